//! The blob sweep: removes what no record references. Deletes collect their blobs at once;
//! the sweep catches the rest (bytes left by an upload whose transaction failed, staged
//! uploads of a crashed process, rows without records). Anything written within the grace
//! period is left alone, and bytes are only removed under the blob row's lock, so a
//! concurrent upload of the same content never loses them.

use std::time::{Duration, SystemTime};

use futures_util::TryStreamExt;

use crate::{blobstore::BlobStore, error::ApiError, storage::Repository};

/// Blob names checked against the database per query.
const BATCH: usize = 500;

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Staged uploads not written to within the grace period.
    pub staged: u64,
    /// Bytes in the store without a `blobs` row.
    pub orphans: u64,
    /// `blobs` rows (and their bytes) that no record references.
    pub unreferenced: u64,
    /// Bundle request ids older than [`REQUEST_RETENTION`] (ADR-23).
    pub requests: u64,
}

/// How long a bundle's request id is kept: far longer than a process may take, so that a
/// cancel always finds it.
pub const REQUEST_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// One pass over the store and the `blobs` table.
pub async fn sweep_once(
    repo: &Repository,
    store: &dyn BlobStore,
    grace: Duration,
) -> Result<SweepReport, ApiError> {
    let cutoff = SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut report = SweepReport::default();
    let mut staged = store.list_staged();
    while let Some(entry) = staged.try_next().await? {
        if entry.modified < cutoff {
            store.remove_staged(&entry.key).await?;
            report.staged += 1;
        }
    }
    let mut blobs = store.list();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let next = blobs.try_next().await?;
        if let Some(entry) = next.as_ref().filter(|e| e.modified < cutoff) {
            batch.push(entry.key.clone());
        }
        if batch.len() >= BATCH || (next.is_none() && !batch.is_empty()) {
            report.orphans += collect_orphans(repo, store, &batch).await?;
            batch.clear();
        }
        if next.is_none() {
            break;
        }
    }
    report.unreferenced = repo.collect_unreferenced(cutoff.into(), store).await?;
    let forget_before = SystemTime::now()
        .checked_sub(REQUEST_RETENTION)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    report.requests = repo.forget_bundle_requests(forget_before.into()).await?;
    Ok(report)
}

async fn collect_orphans(
    repo: &Repository,
    store: &dyn BlobStore,
    shas: &[String],
) -> Result<u64, ApiError> {
    let known = repo.known_blobs(shas).await?;
    let mut removed = 0;
    for sha in shas.iter().filter(|sha| !known.contains(*sha)) {
        if repo.collect_orphan(sha, store).await? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Sweeps every `interval`, for as long as the returned future is polled.
pub async fn run_sweeper(
    repo: Repository,
    store: crate::blobstore::SharedBlobStore,
    interval: Duration,
    grace: Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        match sweep_once(&repo, store.as_ref(), grace).await {
            Ok(report) if report == SweepReport::default() => {
                tracing::debug!("blob sweep: nothing to collect");
            }
            Ok(report) => tracing::info!(?report, "blob sweep collected"),
            Err(err) => tracing::warn!(%err, "blob sweep failed"),
        }
    }
}
