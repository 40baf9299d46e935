//! Opening the database a URL names and applying its migrations.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::Repository;

/// Opens the database, applies the migrations and, with `field_index`, indexes the fields
/// of descriptors written without it (or by an older extraction).
pub async fn connect(
    url: &str,
    max_connections: u32,
    field_index: bool,
) -> anyhow::Result<Repository> {
    let repo = open(url, max_connections).await?;
    if !field_index {
        return Ok(repo);
    }
    let indexed = repo
        .reindex_fields()
        .await
        .context("indexing descriptor fields failed")?;
    if indexed > 0 {
        tracing::info!(indexed, "indexed the fields of existing descriptors");
    }
    Ok(repo)
}

async fn open(url: &str, max_connections: u32) -> anyhow::Result<Repository> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
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
            .busy_timeout(Duration::from_secs(30));
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
