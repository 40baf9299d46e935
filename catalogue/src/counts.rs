//! Keeps `Record-Count` cheap: writers append count deltas (storage migration 4); this task
//! folds them into the base counts every second, so a count reads one row and a short tail.

use std::time::Duration;

use crate::storage::Repository;

/// How often the deltas are folded.
pub const FOLD_INTERVAL: Duration = Duration::from_secs(1);

/// Folds every `FOLD_INTERVAL`, for as long as the returned future is polled.
pub async fn run_count_folder(repo: Repository) {
    loop {
        tokio::time::sleep(FOLD_INTERVAL).await;
        if let Err(err) = repo.fold_counts().await {
            tracing::warn!(%err, "folding record counts failed");
        }
    }
}
