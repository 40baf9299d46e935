//! Outcomes the gatekeeper missed, read back from the packager.
//!
//! The packager reports an outcome by POSTing it to the on-change endpoint, retried a few
//! times and in memory only. When every try fails (the gatekeeper was down longer than the
//! packager's retry budget, or could not reach its database), the process would stay open here
//! and end as `timeout` although the package was stored. So the gatekeeper asks the packager
//! (`GET <PACKAGER_URL>/status/<id>`) at two moments: once at start-up for every process that
//! was open then, and once more when a process reaches its deadline, before failing it.

use std::time::Duration;

use futures_util::{stream, StreamExt};
use shared_models::{OnChangeEvent, ProcessId};
use tokio::sync::watch;

use crate::db::processes::{self, Finished, Notify};
use crate::db::Db;
use crate::outcome;
use crate::upstream::packager;

/// How many status questions are in flight at once.
const CONCURRENT_ASKS: usize = 8;

/// Asks the packager about open processes and finishes those it has an outcome for.
#[derive(Clone)]
pub struct Reconciler {
    pub db: Db,
    /// Carries the service token, like every call to the packager.
    pub http: reqwest::Client,
    /// `PACKAGER_URL`, the upload endpoint; its `/status/<id>` is asked.
    pub packager_url: String,
    /// `GATEKEEPER_PACKAGER_STATUS_TIMEOUT`: the limit of one question.
    pub status_timeout: Duration,
    /// `<public url>/api/v3/packages`, for the stored event's `package_location`.
    pub packages_url: String,
    pub notify: Notify,
}

impl Reconciler {
    /// The packager's outcome of `id`, if it has one.
    pub async fn packager_outcome(&self, id: ProcessId) -> Option<OnChangeEvent> {
        packager::finished_event(&self.http, &self.packager_url, id, self.status_timeout).await
    }

    /// Finishes `id` with `event` (the packager's), as its callback would have.
    pub async fn adopt(&self, id: ProcessId, event: OnChangeEvent) -> Result<bool, sqlx::Error> {
        let finished = processes::finish(
            &self.db,
            id,
            |record| outcome::as_stored(event, record, &self.packages_url),
            &self.notify,
        )
        .await?;
        let now = matches!(finished, Finished::Now { .. });
        if now {
            tracing::warn!(process = %id, "outcome read back from the packager (its callback was lost)");
        }
        Ok(now)
    }

    /// One pass over the processes open at `before_ms`: each that the packager has finished
    /// is finished here too. Returns how many.
    pub async fn recover(&self, before_ms: i64) -> Result<usize, sqlx::Error> {
        let open = processes::open_before(&self.db, before_ms).await?;
        let asked = open.len();
        let results: Vec<Result<bool, sqlx::Error>> = stream::iter(open)
            .map(|id| async move {
                match self.packager_outcome(id).await {
                    Some(event) => self.adopt(id, event).await,
                    None => Ok(false),
                }
            })
            .buffer_unordered(CONCURRENT_ASKS)
            .collect()
            .await;
        let mut recovered = 0;
        for result in results {
            recovered += usize::from(result?);
        }
        tracing::info!(
            open = asked,
            recovered,
            "start-up reconciliation with the packager done"
        );
        Ok(recovered)
    }

    /// The start-up pass, in the background; a shutdown cuts it short.
    pub async fn run_once(self, before_ms: i64, mut shutdown: watch::Receiver<bool>) {
        tokio::select! {
            done = self.recover(before_ms) => {
                if let Err(e) = done {
                    tracing::warn!(error = %e, "start-up reconciliation failed");
                }
            }
            _ = shutdown.changed() => {}
        }
    }
}
