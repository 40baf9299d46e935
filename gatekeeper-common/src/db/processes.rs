//! Process records: created before the upload is forwarded, finished by the packager's
//! callback or by the timeout sweeper. Finishing enqueues the callbacks in the same transaction.

use chrono::{DateTime, Utc};
use shared_models::{OnChangeEvent, ProcessId, ProcessOutcome, ProcessState};
use sqlx::any::AnyRow;

use super::{col, now_ms, outbox, to_time, Db};

/// One stored process.
#[derive(Debug, Clone)]
pub struct ProcessRecord {
    pub id: ProcessId,
    pub state: ProcessState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub username: Option<String>,
    pub callback_url: Option<String>,
    /// The stored (rewritten) on-change event, once the process has finished.
    pub event: Option<OnChangeEvent>,
}

/// What the upload handler knows when it creates a process.
#[derive(Debug, Clone)]
pub struct NewProcess {
    pub id: ProcessId,
    pub username: Option<String>,
    pub callback_url: Option<String>,
    pub file_name: Option<String>,
    pub deadline_ms: i64,
}

/// Who hears about a finished process besides the caller's `callback_url`.
#[derive(Debug, Clone, Default)]
pub struct Notify {
    /// `GATEKEEPER_SUBSCRIBERS`: each gets the event JSON on success (the planner).
    pub subscribers: Vec<String>,
    /// `GATEKEEPER_RECOMMENDER_URL`: gets an empty POST to `<url>/<package_id>` on success.
    pub recommender: Option<String>,
}

impl Notify {
    /// The recommender's target for a stored package, if one is configured.
    pub fn recommender_target(&self, package_id: Option<&str>) -> Option<String> {
        let base = self.recommender.as_deref()?;
        let id = package_id.filter(|id| !id.is_empty())?;
        Some(format!("{}/{id}", base.trim_end_matches('/')))
    }
}

/// The result of trying to finish a process.
#[derive(Debug)]
pub enum Finished {
    /// This call finished it; these callbacks were enqueued.
    Now {
        record: ProcessRecord,
        callbacks: Vec<String>,
    },
    /// It had already finished (a repeated callback, or the timeout came first).
    Already(ProcessRecord),
    Unknown,
}

const COLUMNS: &str = "id, state, created_at, updated_at, username, callback_url, event";

fn from_row(row: &AnyRow) -> Result<ProcessRecord, sqlx::Error> {
    let id: String = col(row, "id")?;
    let state: String = col(row, "state")?;
    let event: Option<String> = col(row, "event")?;
    let decode = |what: &str, e: String| sqlx::Error::Decode(format!("{what}: {e}").into());
    Ok(ProcessRecord {
        id: id
            .parse()
            .map_err(|e: shared_models::ProcessIdError| decode("processes.id", e.to_string()))?,
        state: state.parse().map_err(|e| decode("processes.state", e))?,
        created_at: to_time(col(row, "created_at")?),
        updated_at: to_time(col(row, "updated_at")?),
        username: col(row, "username")?,
        callback_url: col(row, "callback_url")?,
        event: event
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| decode("processes.event", e.to_string()))?,
    })
}

pub async fn insert(db: &Db, new: &NewProcess) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO processes (id, state, created_at, updated_at, deadline_at, username, \
         callback_url, file_name) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
    )
    .bind(new.id.to_string())
    .bind(ProcessState::Running.as_str())
    .bind(now)
    .bind(new.deadline_ms)
    .bind(new.username.clone())
    .bind(new.callback_url.clone())
    .bind(new.file_name.clone())
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn find(db: &Db, id: ProcessId) -> Result<Option<ProcessRecord>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM processes WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Forgets a process whose upload never reached the packager.
pub async fn delete(db: &Db, id: ProcessId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM processes WHERE id = $1")
        .bind(id.to_string())
        .execute(&db.pool)
        .await?;
    db.waiters.wake(id);
    Ok(())
}

/// Records a caller's `callback_url` that arrived after the upload was forwarded. If the
/// process already finished, its callback is enqueued here (the row lock orders this against
/// [`finish`], so the callback is enqueued exactly once).
pub async fn set_callback_url(db: &Db, id: ProcessId, url: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE processes SET callback_url = $1 WHERE id = $2 RETURNING {COLUMNS}"
    ))
    .bind(url.to_owned())
    .bind(id.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(record) = row.as_ref().map(from_row).transpose()? {
        if let Some(event) = record.event.as_ref().filter(|_| record.state.is_terminal()) {
            outbox::enqueue(&mut tx, id, url, "client", event).await?;
        }
    }
    tx.commit().await
}

/// Moves a running process to the event's outcome, storing the event and enqueueing the
/// caller's callback (always), the subscribers and the recommender (on success), all in one
/// transaction.
pub async fn finish(
    db: &Db,
    id: ProcessId,
    make_event: impl FnOnce(&ProcessRecord) -> OnChangeEvent,
    notify: &Notify,
) -> Result<Finished, sqlx::Error> {
    let Some(current) = find(db, id).await? else {
        return Ok(Finished::Unknown);
    };
    if current.state.is_terminal() {
        return Ok(Finished::Already(current));
    }
    let event = make_event(&current);
    let outcome: ProcessState = event.package_process_status.into();
    let text = serde_json::to_string(&event)
        .map_err(|e| sqlx::Error::Protocol(format!("encoding the event: {e}")))?;
    let mut tx = db.pool.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE processes SET state = $1, event = $2, updated_at = $3 \
         WHERE id = $4 AND state IN ('waiting', 'running') RETURNING {COLUMNS}"
    ))
    .bind(outcome.as_str())
    .bind(text)
    .bind(event.updated_at.timestamp_millis())
    .bind(id.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(record) = row.as_ref().map(from_row).transpose()? else {
        tx.rollback().await?;
        return Ok(match find(db, id).await? {
            Some(record) => Finished::Already(record),
            None => Finished::Unknown,
        });
    };
    let mut callbacks = Vec::new();
    if let Some(url) = &record.callback_url {
        outbox::enqueue(&mut tx, id, url, "client", &event).await?;
        callbacks.push(url.clone());
    }
    if event.package_process_status == ProcessOutcome::Success {
        for url in &notify.subscribers {
            outbox::enqueue(&mut tx, id, url, "subscriber", &event).await?;
            callbacks.push(url.clone());
        }
        if let Some(url) = notify.recommender_target(event.package_id.as_deref()) {
            outbox::enqueue_payload(&mut tx, id, &url, "recommender", String::new()).await?;
            callbacks.push(url);
        }
    }
    tx.commit().await?;
    db.waiters.wake(id);
    Ok(Finished::Now { record, callbacks })
}

/// Open processes whose deadline has passed (at most `limit`).
pub async fn overdue(db: &Db, limit: i64) -> Result<Vec<ProcessId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id FROM processes WHERE state IN ('waiting', 'running') AND deadline_at <= $1 \
         ORDER BY deadline_at LIMIT $2",
    )
    .bind(now_ms())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    ids_of(&rows)
}

/// Open processes created at or before `before_ms` (epoch ms), oldest first.
pub async fn open_before(db: &Db, before_ms: i64) -> Result<Vec<ProcessId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id FROM processes WHERE state IN ('waiting', 'running') AND created_at <= $1 \
         ORDER BY created_at, id",
    )
    .bind(before_ms)
    .fetch_all(&db.pool)
    .await?;
    ids_of(&rows)
}

fn ids_of(rows: &[AnyRow]) -> Result<Vec<ProcessId>, sqlx::Error> {
    rows.iter()
        .map(|row| {
            let id: String = col(row, "id")?;
            id.parse()
                .map_err(|e: shared_models::ProcessIdError| sqlx::Error::Decode(e.into()))
        })
        .collect()
}
