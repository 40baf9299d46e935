//! Opening the database a URL names and applying its migrations.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::Repository;

/// How much of an SQLite database file is read through a memory map (1 GiB).
const SQLITE_MMAP_SIZE: u64 = 1 << 30;

/// Opens the database, applies the migrations and, with `field_index`, queues for the field
/// indexer the descriptors written without it (or by an older extraction), ADR-30.
pub async fn connect(
    url: &str,
    max_connections: u32,
    field_index: bool,
) -> anyhow::Result<Repository> {
    let repo = open(url, max_connections).await?;
    if !field_index {
        return Ok(repo);
    }
    let queued = repo
        .queue_unindexed()
        .await
        .context("queueing descriptors for the field index failed")?;
    if queued > 0 {
        tracing::info!(queued, "queued existing descriptors for the field index");
    }
    Ok(repo)
}

/// The settings of every catalogue session on PostgreSQL. The catalogue's queries are short
/// index scans: a parallel plan only adds the start of its workers (10-20 ms on a busy host),
/// so the sessions plan without them; and each execution is planned for its values (a generic
/// plan of a page cannot know its LIMIT, OFFSET or key and may read the whole table), and
/// without JIT compilation (over its cost threshold a 3 ms query spent 11 ms compiling),
/// ADR-24. The write transactions plan as the server does by default (ADR-33, storage/pg.rs).
pub(crate) fn pg_session_options(url: &str) -> anyhow::Result<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)
        .context("bad PostgreSQL URL")?
        .options([
            ("max_parallel_workers_per_gather", "0"),
            ("plan_cache_mode", "force_custom_plan"),
            ("jit", "off"),
        ]))
}

/// Plans (without running) a statement per table the reads use, with the columns they filter
/// and order on. A new session loads the catalog entries of what it plans as it first plans
/// it: a field filter's page took 2.0 ms to plan and 1.8 ms to run on a new session against
/// 0.3–0.45 and about 1.9 ms after this (4 ms saved on one query shape, more over the many a
/// connection serves), while this costs about 8 ms once per connection. One statement joining
/// every table would plan for 10 ms each time (the join search), hence one per table.
const WARM_UP: &str = "\
    EXPLAIN SELECT 1 FROM descriptors d WHERE d.kind = '' AND d.vendor = '' AND d.name = '' \
      AND d.version = '' AND d.status = '' AND d.username = '' \
      AND d.uuid IN (SELECT uuid FROM descriptor_fields_pending) \
      ORDER BY d.created_at, d.uuid LIMIT 1; \
    EXPLAIN SELECT 1 FROM descriptor_fields f WHERE f.kind = '' AND f.path = '' AND f.sole \
      AND f.t = 0 AND f.text = '' AND f.num = 0 \
      AND f.uuid = '00000000-0000-0000-0000-000000000000' ORDER BY f.created_at, f.uuid LIMIT 1; \
    EXPLAIN SELECT 1 FROM descriptor_latest l JOIN list_anchors a ON a.kind = l.kind \
      WHERE l.uuid = '00000000-0000-0000-0000-000000000000' ORDER BY a.created_at LIMIT 1; \
    EXPLAIN SELECT 1 FROM row_counts c JOIN row_count_deltas r ON r.name = c.name \
      WHERE c.name = ''";

/// Loads a new session's catalog caches for the reads ([`WARM_UP`]).
pub(crate) fn warm_up(
    conn: &mut sqlx::PgConnection,
) -> futures_util::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move { sqlx::Executor::execute(conn, WARM_UP).await.map(|_| ()) })
}

async fn open(url: &str, max_connections: u32) -> anyhow::Result<Repository> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = pg_session_options(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // Before the first migration the tables are missing: no harm, nothing to warm.
                    if let Err(err) = warm_up(conn).await {
                        tracing::debug!(%err, "warming a new session's caches failed");
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("cannot connect to PostgreSQL")?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .context("PostgreSQL migrations failed")?;
        Ok(Repository::Postgres(pool))
    } else if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("bad SQLite URL {url:?}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // Reads map the file instead of copying each page through a system call: at
            // 100,000 records an index walk touches more pages than the page cache keeps (ADR-24).
            .pragma("mmap_size", SQLITE_MMAP_SIZE.to_string())
            // No checkpoint inside a writer's commit (it held every other writer while it
            // copied and synced); the count folder checkpoints every second (ADR-29).
            .pragma("wal_autocheckpoint", "0")
            // After a burst, a restarted log is cut back to 64 MiB.
            .pragma("journal_size_limit", (64u64 << 20).to_string())
            // Statement journals (a statement inside a transaction that may roll back alone,
            // as every upsert and trigger does) in memory, not in a temporary file (ADR-29).
            .pragma("temp_store", "memory");
        if let Some(parent) = Path::new(options.get_filename()).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .context("cannot open the SQLite database")?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .context("SQLite migrations failed")?;
        Ok(Repository::Sqlite(pool))
    } else {
        anyhow::bail!(
            "CATALOGUE_DATABASE_URL must start with postgres:// or sqlite:// (got {url:?})"
        )
    }
}

/// The PostgreSQL server the unit tests use: `TEST_DATABASE_URL`, or the local default.
#[cfg(test)]
pub(crate) fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, Executor, PgConnection};

    use super::*;

    /// The warm-up plans against the migrated schema: a renamed table or column fails here
    /// instead of silently leaving new sessions cold.
    #[tokio::test]
    async fn the_warm_up_plans_against_the_migrated_schema() {
        let admin = test_database_url();
        let mut server = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is unreachable ({e})"));
        let name = format!("catalogue_warm_{}", uuid::Uuid::new_v4().simple());
        server
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        let Repository::Postgres(pool) = open(&url, 2).await.unwrap() else {
            panic!("a PostgreSQL URL opened another backend");
        };
        let planned = warm_up(&mut pool.acquire().await.unwrap()).await;
        pool.close().await;
        server
            .execute(format!("DROP DATABASE \"{name}\" WITH (FORCE)").as_str())
            .await
            .unwrap();
        planned.expect("the warm-up statement plans on the migrated schema");
    }
}
