//! The field indexer (ADR-30): writes the field index rows of the descriptors queued since
//! its last round, in batches, so a descriptor write costs one queue row instead of its
//! index rows, and the index rows of many descriptors share their pages.

use std::time::{Duration, Instant};

use crate::storage::{Parked, Repository};

/// How often the indexer also queues descriptors written without the index (by a catalogue
/// with `CATALOGUE_FIELD_INDEX=false`, or older than ADR-30, beside this one); start-up does
/// it first.
pub const REQUEUE_EVERY: Duration = Duration::from_secs(60);

/// Every `interval`, indexes what is queued, `batch` descriptors per transaction, until the
/// queue is empty; every `requeue_every` (the service passes [`REQUEUE_EVERY`]) it first
/// queues what was written without the index. For as long as the returned future is polled.
/// Descriptors whose rows cannot be written are left waiting and tried again later
/// ([`Parked`]).
pub async fn run_field_indexer(
    repo: Repository,
    interval: Duration,
    batch: u32,
    requeue_every: Duration,
) {
    let mut parked = Parked::default();
    let mut requeued = Instant::now();
    loop {
        tokio::time::sleep(interval).await;
        if requeued.elapsed() >= requeue_every {
            requeued = Instant::now();
            match repo.queue_unindexed().await {
                Ok(0) => {}
                Ok(queued) => {
                    tracing::info!(queued, "queued descriptors written without the field index")
                }
                Err(err) => {
                    tracing::warn!(%err, "queueing descriptors without the field index failed")
                }
            }
        }
        loop {
            match repo.index_pending(batch, &mut parked).await {
                Ok(done) if done >= u64::from(batch) => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(%err, "writing the field index failed");
                    break;
                }
            }
        }
    }
}
