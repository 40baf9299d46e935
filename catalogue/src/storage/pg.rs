//! The storage operations on PostgreSQL (row locks with `FOR UPDATE`).

super::backend::backend_ops!(
    sqlx::Postgres,
    sqlx::PgPool,
    "BEGIN",
    " FOR UPDATE",
    " COLLATE \"C\"",
    None
);

/// Folds the count deltas into the base counts, in one statement (one snapshot: a delta
/// committed meanwhile stays for the next fold).
pub async fn fold_counts(pool: &sqlx::PgPool) -> Result<u64, crate::error::ApiError> {
    let done = sqlx::query(
        "WITH gone AS (DELETE FROM row_count_deltas RETURNING name, d) \
         INSERT INTO row_counts (name, n) SELECT name, sum(d) FROM gone GROUP BY name \
         ON CONFLICT (name) DO UPDATE SET n = row_counts.n + excluded.n",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
