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
    Some(WRITER.lock().await)
);

/// The turn of the writers of this process.
static WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Folds the count deltas into the base counts, in one write transaction (SQLite has one
/// writer, so nothing lands between the sum and the delete).
pub async fn fold_counts(pool: &sqlx::SqlitePool) -> Result<u64, crate::error::ApiError> {
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM row_count_deltas")
        .fetch_one(pool)
        .await?;
    if pending == 0 {
        return Ok(0);
    }
    let _writer = WRITER.lock().await;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let done = sqlx::query(
        "INSERT INTO row_counts (name, n) SELECT name, sum(d) FROM row_count_deltas \
         WHERE true GROUP BY name ON CONFLICT (name) DO UPDATE SET n = row_counts.n + excluded.n",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM row_count_deltas")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
