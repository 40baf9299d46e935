//! Keeps `Record-Count` cheap: writers append count deltas (storage migration 4); this task
//! folds them into the base counts every second, so a count reads one row and a short tail.
//! The table upkeep (ADR-25) keeps PostgreSQL's statistics and visibility map current on a
//! server that runs without autovacuum.

use std::time::Duration;

use crate::storage::Repository;

/// How often the deltas are folded.
pub const FOLD_INTERVAL: Duration = Duration::from_secs(1);

/// Folds every `FOLD_INTERVAL` and then, on SQLite, checkpoints the write-ahead log
/// (ADR-29), for as long as the returned future is polled.
pub async fn run_count_folder(repo: Repository) {
    loop {
        tokio::time::sleep(FOLD_INTERVAL).await;
        if let Err(err) = repo.fold_counts().await {
            tracing::warn!(%err, "folding record counts failed");
        }
        if let Err(err) = repo.checkpoint().await {
            tracing::warn!(%err, "checkpointing the SQLite log failed");
        }
    }
}

/// Runs the table upkeep (ADR-25) every `interval`, for as long as the returned future is
/// polled.
pub async fn run_upkeep(repo: Repository, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        match repo.upkeep().await {
            Ok(done) => {
                for table in done {
                    tracing::info!(table = %table.table, vacuumed = table.vacuumed, "table upkeep");
                }
            }
            Err(err) => tracing::warn!(%err, "table upkeep failed"),
        }
    }
}
