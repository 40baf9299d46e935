//! Persistence of processes and the callback outbox, on PostgreSQL or an SQLite file.
//!
//! Both backends run the same SQL through sqlx's `Any` driver: times are epoch milliseconds,
//! ids and JSON are text. Only the outbox claim differs (see [`outbox::claim`]).

pub mod outbox;
pub mod processes;
pub mod waiters;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::AnyPool;

/// Every SQLite connection: write-ahead log and `synchronous = NORMAL`, as the catalogue (ADR-15,
/// ADR-23). sqlx's default is a rollback journal with `FULL`: each commit created, synced and
/// deleted a journal file (two fsyncs, an open and an unlink per write).
const SQLITE_PRAGMAS: [&str; 2] = ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"];

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The pool, its backend, and the status requests waiting for processes to finish.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    pub waiters: Arc<waiters::Waiters>,
}

impl Db {
    /// Connects, creating the SQLite file and its folder when needed, and applies migrations.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url) = backend_and_url(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in SQLITE_PRAGMAS {
                            sqlx::Executor::execute(&mut *conn, pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        let migrator = match backend {
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        };
        migrator
            .run(&pool)
            .await
            .context("applying the gatekeeper's database migrations")?;
        Ok(Self {
            pool,
            backend,
            waiters: Arc::default(),
        })
    }

    /// A trivial query, for readiness.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

fn backend_and_url(url: &str) -> anyhow::Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        anyhow::bail!("GATEKEEPER_DATABASE_URL must start with postgres:// or sqlite://");
    };
    let path_and_query = rest.trim_start_matches("//");
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating the folder of {path}"))?;
            }
        }
    }
    let url = if query.contains("mode=") {
        url.to_owned()
    } else if query.is_empty() {
        format!("sqlite://{path}?mode=rwc")
    } else {
        format!("sqlite://{path}?{query}&mode=rwc")
    };
    Ok((Backend::Sqlite, url))
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Reads a column, naming it in the error.
pub fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::Row::try_get(row, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_postgres_passwords_are_hidden() {
        let dir = tempfile_dir();
        let url = format!("sqlite://{dir}/sub/x.db");
        let (backend, url) = backend_and_url(&url).unwrap();
        assert_eq!(backend, Backend::Sqlite);
        assert!(url.ends_with("/sub/x.db?mode=rwc"), "{url}");
        assert!(std::path::Path::new(&format!("{dir}/sub")).is_dir());
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://***@h/db");
        assert!(backend_and_url("mysql://x").is_err());
    }

    #[tokio::test]
    async fn sqlite_connections_use_the_write_ahead_log_with_normal_sync() {
        let dir = tempfile_dir();
        let db = Db::connect(&format!("sqlite://{dir}/gk.db"), 2)
            .await
            .unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 1), "1 is NORMAL");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> String {
        let dir = std::env::temp_dir().join(format!("gk-db-{}", uuid::Uuid::new_v4()));
        dir.to_string_lossy().into_owned()
    }
}
