//! Marks processes that got no outcome in time as `failed` with code `timeout` (decision 4);
//! finishing them enqueues their callbacks like any other outcome. Before failing one, the
//! packager is asked whether it has an outcome the gatekeeper missed (its callback was lost);
//! if so, that outcome is used instead.

use std::time::Duration;

use futures_util::{stream, StreamExt};
use shared_models::{NapdRecord, OnChangeEvent, ProcessId, ProcessOutcome, EVENT_NAME};
use tokio::sync::watch;

use super::reconcile::Reconciler;
use crate::db::processes::{self, Finished, ProcessRecord};

/// Overdue processes read per query; a sweep goes on until none is left.
const BATCH: i64 = 100;
/// Overdue processes handled at once (each may ask the packager first).
const CONCURRENT: usize = 8;

pub struct TimeoutSweeper {
    pub interval: Duration,
    pub process_timeout: Duration,
    pub reconciler: Reconciler,
}

impl TimeoutSweeper {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "timeout sweep failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Ends every overdue process; returns how many this call finished as `timeout`.
    pub async fn sweep(&self) -> Result<usize, sqlx::Error> {
        let mut timed_out = 0;
        loop {
            let due = processes::overdue(&self.reconciler.db, BATCH).await?;
            let full_batch = due.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
            let results: Vec<Result<bool, sqlx::Error>> = stream::iter(due)
                .map(|id| self.expire(id))
                .buffer_unordered(CONCURRENT)
                .collect()
                .await;
            for result in results {
                timed_out += usize::from(result?);
            }
            if !full_batch {
                return Ok(timed_out);
            }
        }
    }

    /// The packager's outcome when it has one, else `timeout`. True when this call failed the
    /// process with `timeout`.
    async fn expire(&self, id: ProcessId) -> Result<bool, sqlx::Error> {
        let reconciler = &self.reconciler;
        if let Some(event) = reconciler.packager_outcome(id).await {
            reconciler.adopt(id, event).await?;
            return Ok(false);
        }
        let outcome = processes::finish(
            &reconciler.db,
            id,
            |record| timeout_event(id, record, self.process_timeout),
            &reconciler.notify,
        )
        .await?;
        let now = matches!(outcome, Finished::Now { .. });
        if now {
            tracing::warn!(process = %id, "process timed out");
        }
        Ok(now)
    }
}

fn timeout_event(id: ProcessId, record: &ProcessRecord, limit: Duration) -> OnChangeEvent {
    OnChangeEvent {
        event_name: EVENT_NAME.to_owned(),
        package_id: None,
        package_location: None,
        package_metadata: NapdRecord::failed(
            "timeout",
            format!(
                "The package was not processed within {} seconds",
                limit.as_secs()
            ),
        ),
        package_process_status: ProcessOutcome::Failed,
        package_process_uuid: id.as_uuid(),
        created_at: record.created_at,
        updated_at: chrono::Utc::now(),
    }
}
