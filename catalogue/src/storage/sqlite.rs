//! The storage operations on SQLite (`BEGIN IMMEDIATE` serialises writers, so no row locks;
//! text compares byte-wise, which is code point order for UTF-8).
//!
//! Writers also take turns on an async mutex before `BEGIN IMMEDIATE`: waiting in SQLite's
//! busy handler sleeps in steps of up to 100 ms, which under concurrent writes cost more
//! than the writes themselves. (One per process; the embedded store has one process.)

super::backend::backend_ops!(
    sqlx::Sqlite,
    sqlx::SqlitePool,
    "BEGIN IMMEDIATE",
    "",
    "",
    Some(WRITER.lock().await),
    ""
);

use crate::storage::positions::NOTHING_TO_FOLD;

/// The turn of the writers of this process.
static WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Queues for the field indexer the descriptors written without the field index (or indexed
/// by an older extraction), dropping their old rows, in one write transaction; how many
/// (ADR-30).
pub async fn queue_unindexed(pool: &sqlx::SqlitePool) -> Result<u64, crate::error::ApiError> {
    let version = crate::query::fields::FIELDS_VERSION;
    if !field_queue::any_unindexed(pool).await? {
        return Ok(0);
    }
    let (_writer, mut tx) = begin(pool).await?;
    let queue_and_drop = [
        "INSERT INTO descriptor_fields_pending (uuid, kind, created_at) \
         SELECT uuid, kind, created_at FROM descriptors WHERE fields_version < $1 \
         ON CONFLICT (uuid) DO NOTHING",
        "DELETE FROM descriptor_fields WHERE uuid IN \
         (SELECT uuid FROM descriptors WHERE fields_version < $1)",
    ];
    for sql in queue_and_drop {
        sqlx::query(sql).bind(version).execute(&mut *tx).await?;
    }
    let stamped =
        sqlx::query("UPDATE descriptors SET fields_version = $1 WHERE fields_version < $1")
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    tx.commit().await?;
    Ok(stamped)
}

/// Nothing: the writer's turn that the indexer's batch holds keeps [`queue_unindexed`] out.
async fn hold_off_requeue(_tx: &mut Tx) -> Result<(), crate::error::ApiError> {
    Ok(())
}

/// Folds the count deltas into the base counts and keeps the list anchors (storage/lists.rs
/// `fold_in`), in one write transaction (SQLite has one writer, so nothing lands between the
/// sums and the delete).
pub async fn fold_counts(pool: &sqlx::SqlitePool) -> Result<u64, crate::error::ApiError> {
    let idle: bool = sqlx::query_scalar(NOTHING_TO_FOLD)
        .bind(crate::storage::positions::anchor_gap())
        .fetch_one(pool)
        .await?;
    if idle {
        return Ok(0);
    }
    let (_writer, mut tx) = begin(pool).await?;
    let done = lists::fold_in(&mut tx).await?;
    tx.commit().await?;
    Ok(done)
}

/// Copies the write-ahead log into the database file (ADR-29): first beside the writers
/// (`PASSIVE` does not block them), then the frames they appended meanwhile on the writers'
/// turn, so the log is wholly copied and the next writer starts it again from its beginning.
/// A reader still open from before (a long list) can keep a frame from being copied or the
/// log from restarting; the log then grows until a later checkpoint gets through, which is
/// logged at debug level.
pub async fn checkpoint(pool: &sqlx::SqlitePool) -> Result<(), crate::error::ApiError> {
    passive_checkpoint(pool).await?;
    let _writer = WRITER.lock().await;
    let (busy, log, copied) = passive_checkpoint(pool).await?;
    if busy != 0 || copied < log {
        tracing::debug!(
            log,
            copied,
            "the SQLite log was not wholly copied (open readers)"
        );
    }
    Ok(())
}

/// `(busy, frames in the log, frames copied)`.
async fn passive_checkpoint(
    pool: &sqlx::SqlitePool,
) -> Result<(i64, i64, i64), crate::error::ApiError> {
    Ok(sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?)
}
