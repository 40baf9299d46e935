//! The callback outbox: one row per (process, target). Rows are claimed with a lease by any
//! replica's worker, delivered, and then marked delivered, rescheduled or abandoned.

use shared_models::{OnChangeEvent, ProcessId};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use uuid::Uuid;

use super::{col, now_ms, Backend, Db};

/// A claimed delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub process_id: String,
    pub target_url: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// A delivery's state as shown to clients and tests.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub delivery_id: String,
    pub target_url: String,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Enqueues the event as JSON for `target`.
pub async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    process: ProcessId,
    target: &str,
    kind: &str,
    event: &OnChangeEvent,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_string(event)
        .map_err(|e| sqlx::Error::Protocol(format!("encoding the event: {e}")))?;
    enqueue_payload(tx, process, target, kind, payload).await
}

/// Enqueues a delivery of `payload` (possibly empty) for `target`.
pub async fn enqueue_payload(
    tx: &mut Transaction<'_, Any>,
    process: ProcessId,
    target: &str,
    kind: &str,
    payload: String,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO deliveries (id, process_id, target_url, kind, payload, state, attempts, \
         next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(process.to_string())
    .bind(target.to_owned())
    .bind(kind.to_owned())
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims up to `limit` due deliveries for `worker` until `lease_until`. PostgreSQL skips rows
/// other replicas are claiming (`FOR UPDATE SKIP LOCKED`); SQLite has a single writer, so the
/// one `UPDATE ... RETURNING` statement is already exclusive.
pub async fn claim(
    db: &Db,
    worker: &str,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let lock = match db.backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE deliveries SET claimed_by = $1, claimed_until = $2 WHERE id IN (\
           SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $3 \
           AND (claimed_until IS NULL OR claimed_until < $3) \
           ORDER BY next_attempt_at LIMIT $4{lock}) \
         RETURNING id, process_id, target_url, payload, attempts"
    );
    let rows = sqlx::query(&sql)
        .bind(worker.to_owned())
        .bind(lease_until)
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(delivery_from_row).collect()
}

fn delivery_from_row(row: &AnyRow) -> Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        id: col(row, "id")?,
        process_id: col(row, "process_id")?,
        target_url: col(row, "target_url")?,
        payload: col(row, "payload")?,
        attempts: col(row, "attempts")?,
    })
}

pub async fn mark_delivered(db: &Db, id: &str, worker: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, claimed_by = NULL, \
         claimed_until = NULL, last_error = NULL, updated_at = $1 \
         WHERE id = $2 AND claimed_by = $3",
    )
    .bind(now_ms())
    .bind(id.to_owned())
    .bind(worker.to_owned())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Records a failed attempt: rescheduled at `retry_at`, or abandoned when that is `None`.
pub async fn mark_failed(
    db: &Db,
    id: &str,
    worker: &str,
    error: &str,
    retry_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let (state, next) = match retry_at {
        Some(at) => ("pending", at),
        None => ("abandoned", now),
    };
    sqlx::query(
        "UPDATE deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = $2, \
         claimed_by = NULL, claimed_until = NULL, last_error = $3, updated_at = $4 \
         WHERE id = $5 AND claimed_by = $6",
    )
    .bind(state)
    .bind(next)
    .bind(error.to_owned())
    .bind(now)
    .bind(id.to_owned())
    .bind(worker.to_owned())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Every delivery of one process, oldest first.
pub async fn for_process(db: &Db, process: ProcessId) -> Result<Vec<DeliveryView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, target_url, kind, state, attempts, last_error FROM deliveries \
         WHERE process_id = $1 ORDER BY created_at, id",
    )
    .bind(process.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DeliveryView {
                delivery_id: col(row, "id")?,
                target_url: col(row, "target_url")?,
                kind: col(row, "kind")?,
                state: col(row, "state")?,
                attempts: col(row, "attempts")?,
                last_error: col(row, "last_error")?,
            })
        })
        .collect()
}
