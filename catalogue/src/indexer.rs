//! The field indexer (ADR-30): writes the field index rows of the descriptors queued since
//! its last round, in batches, so a descriptor write costs one queue row instead of its
//! index rows, and the index rows of many descriptors share their pages.

use std::time::Duration;

use crate::storage::{Parked, Repository};

/// Every `interval`, indexes what is queued, `batch` descriptors per transaction, until the
/// queue is empty; for as long as the returned future is polled.
/// Descriptors whose rows cannot be written are left waiting and tried again later
/// ([`Parked`]).
pub async fn run_field_indexer(repo: Repository, interval: Duration, batch: u32) {
    let mut parked = Parked::default();
    loop {
        tokio::time::sleep(interval).await;
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
