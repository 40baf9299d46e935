//! The storage operations on PostgreSQL (row locks with `FOR UPDATE`).

super::backend::backend_ops!(
    sqlx::Postgres,
    sqlx::PgPool,
    "BEGIN",
    " FOR UPDATE",
    " COLLATE \"C\"",
    None,
    " FOR UPDATE OF p SKIP LOCKED FOR KEY SHARE OF d SKIP LOCKED"
);

use crate::storage::positions::NOTHING_TO_FOLD;

/// Folds the count deltas into the base counts and keeps the list anchors (storage/lists.rs
/// `fold_in`), in one repeatable-read transaction: the deltas folded are exactly those of the
/// records its snapshot sees. One fold at a time (a transaction-level advisory lock; a
/// catalogue finding it taken skips this round).
pub async fn fold_counts(pool: &sqlx::PgPool) -> Result<u64, crate::error::ApiError> {
    let idle: bool = sqlx::query_scalar(NOTHING_TO_FOLD)
        .bind(crate::storage::positions::anchor_gap())
        .fetch_one(pool)
        .await?;
    if idle {
        return Ok(0);
    }
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .await?;
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(FOLD_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !ours {
        return Ok(0);
    }
    let done = lists::fold_in(&mut tx).await?;
    tx.commit().await?;
    Ok(done)
}

/// The advisory lock key of the fold ("SONATA" in ASCII digits, any constant would do).
const FOLD_LOCK: i64 = 0x534f_4e41_5441;
