//! The storage operations on PostgreSQL (row locks with `FOR UPDATE`).

super::backend::backend_ops!(
    sqlx::Postgres,
    sqlx::PgPool,
    WRITE_BEGIN,
    " FOR UPDATE",
    " COLLATE \"C\"",
    None,
    " FOR UPDATE OF p SKIP LOCKED FOR KEY SHARE OF d SKIP LOCKED"
);

use crate::storage::positions::NOTHING_TO_FOLD;

/// The start of every write transaction. Its statements (and the foreign-key checks and
/// triggers they fire) have the same plan whatever their values, so they go back to the
/// server's default: planned for their values five times, then with a kept generic plan. The
/// sessions' `force_custom_plan` (storage/connect.rs), which list pages need, had PostgreSQL
/// plan every one of them on every execution: a quarter of its CPU in on-boarding (ADR-33).
const WRITE_BEGIN: &str = "BEGIN; SET LOCAL plan_cache_mode = auto";

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The write transactions plan as the server does by default; every other statement of
    /// the session is planned for its values.
    #[tokio::test]
    async fn write_transactions_keep_generic_plans_and_reads_plan_for_their_values() {
        let url = crate::storage::connect::test_database_url();
        let options = crate::storage::connect::pg_session_options(&url).unwrap();
        let pool = sqlx::PgPool::connect_with(options)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} is unreachable ({e})"));
        let mode = "SELECT current_setting('plan_cache_mode')";
        let (_writer, mut tx) = begin(&pool).await.unwrap();
        let inside: String = sqlx::query_scalar(mode).fetch_one(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        let outside: String = sqlx::query_scalar(mode).fetch_one(&pool).await.unwrap();
        assert_eq!(inside, "auto");
        assert_eq!(outside, "force_custom_plan");
    }
}
