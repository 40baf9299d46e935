//! Configuration from the environment (every variable documented in docs/catalogue.md).

use std::{env, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;

/// Where the bytes of files and package archives live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobStoreUrl {
    /// A local directory (the default, `data/blobs`).
    Local(PathBuf),
    /// S3-compatible object storage, `s3://bucket/prefix` (credentials from `AWS_*`).
    S3 { bucket: String, prefix: String },
}

impl BlobStoreUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        if let Some(rest) = raw.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            anyhow::ensure!(
                !bucket.is_empty(),
                "CATALOGUE_BLOB_STORE {raw:?}: missing bucket"
            );
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        let path = raw.strip_prefix("file://").unwrap_or(raw);
        anyhow::ensure!(!path.is_empty(), "CATALOGUE_BLOB_STORE is empty");
        Ok(Self::Local(PathBuf::from(path)))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `CATALOGUE_BIND`, default `0.0.0.0:4011`.
    pub bind: SocketAddr,
    /// `CATALOGUE_DATABASE_URL`, `postgres://...` or `sqlite://...`.
    pub database_url: String,
    /// `CATALOGUE_DB_MAX_CONNECTIONS`, default 10 (PostgreSQL pool size).
    pub db_max_connections: u32,
    /// `CATALOGUE_BLOB_STORE`, a directory or `s3://bucket/prefix`.
    pub blob_store: BlobStoreUrl,
    /// `CATALOGUE_MAX_UPLOAD_BYTES`, default 8 GiB: limit of one file or package archive.
    pub max_upload_bytes: u64,
    /// `CATALOGUE_MAX_DESCRIPTOR_BYTES`, default 4 MiB: limit of one descriptor body.
    pub max_descriptor_bytes: usize,
    /// `CATALOGUE_DEFAULT_PAGE_SIZE`, default 1000: page size when a list names none.
    pub default_page_size: u64,
    /// `CATALOGUE_MAX_PAGE_SIZE`, default 10000: the largest page a client may ask for.
    pub max_page_size: u64,
    /// `CATALOGUE_WORKERS`, default: the number of CPUs.
    pub workers: Option<usize>,
    /// `CATALOGUE_BLOB_SWEEP_INTERVAL` in seconds, default 3600; `0` turns the sweep off.
    pub blob_sweep_interval: Option<Duration>,
    /// `CATALOGUE_BLOB_SWEEP_GRACE` in seconds, default 3600: what was written more recently
    /// is never swept.
    pub blob_sweep_grace: Duration,
    /// `CATALOGUE_FIELD_INDEX` (`true` / `false`, default `true`): keep the field index
    /// that serves descriptor field filters at scale (ADR-22, ADR-30).
    pub field_index: bool,
    /// `CATALOGUE_FIELD_INDEX_INTERVAL_MS`, default 200; `0` turns the indexer off: how
    /// often the field indexer writes the rows of the descriptors queued since (ADR-30).
    pub field_index_interval: Option<Duration>,
    /// `CATALOGUE_FIELD_INDEX_BATCH`, default 500 (1 to 5000): descriptors indexed per
    /// transaction.
    pub field_index_batch: u32,
    /// `CATALOGUE_PG_UPKEEP_INTERVAL` in seconds, default 10; `0` turns it off: how often the
    /// catalogue checks whether its PostgreSQL tables need `VACUUM` / `ANALYZE` when the
    /// server's autovacuum is off (ADR-25).
    pub pg_upkeep_interval: Option<Duration>,
    /// `SONATA_SERVICE_TOKEN`: when set, writes (POST/PUT/PATCH/DELETE) need it in
    /// `X-Service-Token` (ADR-21). Reads stay open.
    pub service_token: Option<shared_models::ServiceToken>,
}

pub const DEFAULT_BIND: &str = "0.0.0.0:4011";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/catalogue.db";
pub const DEFAULT_BLOB_STORE: &str = "data/blobs";
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 8 * 1024 * 1024 * 1024;
pub const DEFAULT_MAX_DESCRIPTOR_BYTES: usize = 4 * 1024 * 1024;
pub const DEFAULT_PAGE_SIZE: u64 = 1000;
pub const DEFAULT_MAX_PAGE_SIZE: u64 = 10_000;
pub const DEFAULT_BLOB_SWEEP_SECS: u64 = 3600;
pub const DEFAULT_PG_UPKEEP_SECS: u64 = 10;
pub const DEFAULT_FIELD_INDEX_INTERVAL_MS: u64 = 200;
pub const DEFAULT_FIELD_INDEX_BATCH: u32 = 500;
/// The largest batch: its rows are written in statements of 1,000 rows, and its claim binds
/// one parameter per descriptor.
pub const MAX_FIELD_INDEX_BATCH: u32 = 5000;

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            bind: var_or("CATALOGUE_BIND", DEFAULT_BIND)
                .parse()
                .context("CATALOGUE_BIND must be host:port")?,
            database_url: var_or("CATALOGUE_DATABASE_URL", DEFAULT_DATABASE_URL),
            db_max_connections: parse_var("CATALOGUE_DB_MAX_CONNECTIONS", 10)?,
            blob_store: BlobStoreUrl::parse(&var_or("CATALOGUE_BLOB_STORE", DEFAULT_BLOB_STORE))?,
            max_upload_bytes: parse_var("CATALOGUE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)?,
            max_descriptor_bytes: parse_var(
                "CATALOGUE_MAX_DESCRIPTOR_BYTES",
                DEFAULT_MAX_DESCRIPTOR_BYTES,
            )?,
            default_page_size: parse_var("CATALOGUE_DEFAULT_PAGE_SIZE", DEFAULT_PAGE_SIZE)?,
            max_page_size: parse_var("CATALOGUE_MAX_PAGE_SIZE", DEFAULT_MAX_PAGE_SIZE)?,
            workers: match env::var("CATALOGUE_WORKERS") {
                Ok(v) => Some(v.parse().context("CATALOGUE_WORKERS must be a number")?),
                Err(_) => None,
            },
            blob_sweep_interval: interval_var(
                "CATALOGUE_BLOB_SWEEP_INTERVAL",
                DEFAULT_BLOB_SWEEP_SECS,
            )?,
            field_index: parse_var("CATALOGUE_FIELD_INDEX", true)?,
            field_index_interval: Some(parse_var(
                "CATALOGUE_FIELD_INDEX_INTERVAL_MS",
                DEFAULT_FIELD_INDEX_INTERVAL_MS,
            )?)
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis),
            field_index_batch: field_index_batch()?,
            pg_upkeep_interval: interval_var(
                "CATALOGUE_PG_UPKEEP_INTERVAL",
                DEFAULT_PG_UPKEEP_SECS,
            )?,
            blob_sweep_grace: Duration::from_secs(parse_var(
                "CATALOGUE_BLOB_SWEEP_GRACE",
                DEFAULT_BLOB_SWEEP_SECS,
            )?),
            service_token: shared_models::ServiceToken::from_env(),
        })
    }

    /// A configuration for tests: port 0 on localhost, one worker, the given database and
    /// blob directory, no periodic sweep and no periodic table upkeep; the field indexer
    /// runs every 50 ms, so lists meet both queued and indexed descriptors.
    pub fn for_testing(database_url: impl Into<String>, blob_dir: impl Into<PathBuf>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            db_max_connections: 5,
            blob_store: BlobStoreUrl::Local(blob_dir.into()),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            max_descriptor_bytes: DEFAULT_MAX_DESCRIPTOR_BYTES,
            default_page_size: DEFAULT_PAGE_SIZE,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            workers: Some(1),
            blob_sweep_interval: None,
            blob_sweep_grace: Duration::from_secs(DEFAULT_BLOB_SWEEP_SECS),
            field_index: true,
            field_index_interval: Some(Duration::from_millis(50)),
            field_index_batch: DEFAULT_FIELD_INDEX_BATCH,
            pg_upkeep_interval: None,
            service_token: None,
        }
    }
}

/// `CATALOGUE_FIELD_INDEX_BATCH`, checked (its default when unset).
pub fn field_index_batch() -> anyhow::Result<u32> {
    let batch = parse_var("CATALOGUE_FIELD_INDEX_BATCH", DEFAULT_FIELD_INDEX_BATCH)?;
    if !(1..=MAX_FIELD_INDEX_BATCH).contains(&batch) {
        anyhow::bail!(
            "CATALOGUE_FIELD_INDEX_BATCH must be 1 to {MAX_FIELD_INDEX_BATCH}, not {batch}"
        );
    }
    Ok(batch)
}

fn var_or(name: &str, default: &str) -> String {
    env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// An interval in seconds; `0` turns what it paces off (`None`).
fn interval_var(name: &str, default_secs: u64) -> anyhow::Result<Option<Duration>> {
    Ok(Some(parse_var(name, default_secs)?)
        .filter(|secs| *secs > 0)
        .map(Duration::from_secs))
}

fn parse_var<T>(name: &str, default: T) -> anyhow::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .with_context(|| format!("{name}={v:?} is not valid")),
        _ => Ok(default),
    }
}
