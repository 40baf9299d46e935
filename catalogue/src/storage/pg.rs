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

/// Queues for the field indexer the descriptors written without the field index (or indexed
/// by an older extraction), dropping their old rows; how many (ADR-30). One statement, so a
/// descriptor written meanwhile is either stamped and queued or left for the next start; one
/// catalogue at a time (a transaction-level advisory lock), so two starting together do not
/// both queue it. Costs one scan when there is nothing to do.
pub async fn queue_unindexed(pool: &sqlx::PgPool) -> Result<u64, crate::error::ApiError> {
    let version = crate::query::fields::FIELDS_VERSION;
    if !field_queue::any_unindexed(pool).await? {
        return Ok(0);
    }
    let (_writer, mut tx) = begin(pool).await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(QUEUE_LOCK)
        .execute(&mut *tx)
        .await?;
    let stamped: i64 = sqlx::query_scalar(
        "WITH stale AS (UPDATE descriptors SET fields_version = $1 WHERE fields_version < $1 \
         RETURNING uuid, kind, created_at), \
         dropped AS (DELETE FROM descriptor_fields AS f USING stale WHERE f.uuid = stale.uuid), \
         queued AS (INSERT INTO descriptor_fields_pending (uuid, kind, created_at) \
         SELECT uuid, kind, created_at FROM stale ON CONFLICT (uuid) DO NOTHING) \
         SELECT count(*) FROM stale",
    )
    .bind(version)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(stamped as u64)
}

/// Makes [`queue_unindexed`] wait for the indexer's batch in `tx` (it takes the lock
/// exclusively): a descriptor stamped for a new extraction while an older catalogue's indexer
/// claims it would otherwise keep the older rows, or get both.
async fn hold_off_requeue(tx: &mut Tx) -> Result<(), crate::error::ApiError> {
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind(QUEUE_LOCK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The advisory lock key of [`queue_unindexed`] (any constant other than the fold's and the
/// upkeep's, storage/upkeep.rs).
const QUEUE_LOCK: i64 = 0x534f_4e41_5443;

/// The advisory lock key of the fold ("SONATA" in ASCII digits, any constant would do).
const FOLD_LOCK: i64 = 0x534f_4e41_5441;
