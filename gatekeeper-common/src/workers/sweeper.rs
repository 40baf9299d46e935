//! Marks processes that got no outcome in time as `failed` with code `timeout` (decision 4);
//! finishing them enqueues their callbacks like any other outcome.

use std::time::Duration;

use shared_models::{NapdRecord, OnChangeEvent, ProcessId, ProcessOutcome, EVENT_NAME};
use tokio::sync::watch;

use crate::db::processes::{self, Finished, Notify, ProcessRecord};
use crate::db::Db;

pub struct TimeoutSweeper {
    pub db: Db,
    pub interval: Duration,
    pub process_timeout: Duration,
    pub notify: Notify,
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

    /// Fails every overdue process; returns how many this call finished.
    pub async fn sweep(&self) -> Result<usize, sqlx::Error> {
        let mut finished = 0;
        for id in processes::overdue(&self.db, 100).await? {
            let outcome = processes::finish(
                &self.db,
                id,
                |record| timeout_event(id, record, self.process_timeout),
                &self.notify,
            )
            .await?;
            if matches!(outcome, Finished::Now { .. }) {
                tracing::warn!(process = %id, "process timed out");
                finished += 1;
            }
        }
        Ok(finished)
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
