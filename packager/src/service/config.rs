//! Service configuration from `PACKAGER_*` environment variables (docs/configuration.md).

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use package_format::{Limits, ValidationLevel};

/// Everything the service needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PACKAGER_BIND`, default `0.0.0.0:5099`.
    pub bind: SocketAddr,
    /// `CATALOGUE_URL`, default `http://127.0.0.1:4011/api/catalogues/v2`.
    pub catalogue_url: String,
    /// `PACKAGER_MAX_UPLOAD_BYTES`, default 8 GiB.
    pub max_upload_bytes: u64,
    /// `PACKAGER_WORKERS`, default 4: packages processed at once.
    pub workers: usize,
    /// `PACKAGER_QUEUE_CAPACITY`, default 256: accepted uploads waiting for a worker.
    pub queue_capacity: usize,
    /// `PACKAGER_STATUS_TTL_SECS`, default 3600: how long a finished process stays queryable.
    pub status_ttl: Duration,
    /// `PACKAGER_PROCESS_TIMEOUT_SECS`, default 600: a process still running then fails.
    pub process_timeout: Duration,
    /// `PACKAGER_CALLBACK_ATTEMPTS`, default 6 (backoff 0.5 s doubling).
    pub callback_attempts: u32,
    /// `PACKAGER_CATALOGUE_ATTEMPTS`, default 3: tries of each catalogue call that cannot connect.
    pub catalogue_attempts: u32,
    /// `PACKAGER_TEMP_DIR`, default the system temp dir: where uploads are spooled.
    pub temp_dir: PathBuf,
    /// `PACKAGER_SCHEMA_DIR`: official schemas for full descriptor validation (off when unset).
    pub schema_dir: Option<PathBuf>,
    /// `PACKAGER_DEFAULT_LEVEL`, default `topology`.
    pub default_level: ValidationLevel,
    /// `PACKAGER_MAX_ENTRIES`, `PACKAGER_MAX_UNPACKED_BYTES`, `PACKAGER_MAX_RATIO`.
    pub limits: Limits,
    /// `SONATA_SERVICE_TOKEN`: when set, `/api/v1/packages*` needs it in `X-Service-Token`, and
    /// the calls to the catalogue and the callbacks carry it.
    pub service_token: Option<shared_models::ServiceToken>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([0, 0, 0, 0], 5099)),
            catalogue_url: "http://127.0.0.1:4011/api/catalogues/v2".into(),
            max_upload_bytes: 8 * 1024 * 1024 * 1024,
            workers: 4,
            queue_capacity: 256,
            status_ttl: Duration::from_secs(3600),
            process_timeout: Duration::from_secs(600),
            callback_attempts: 6,
            catalogue_attempts: 3,
            temp_dir: std::env::temp_dir(),
            schema_dir: None,
            default_level: ValidationLevel::Topology,
            limits: Limits::default(),
            service_token: None,
        }
    }
}

fn env_or<T: FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={text:?} is invalid: {e}")),
        _ => Ok(default),
    }
}

impl Config {
    /// Read the environment; every variable is optional.
    pub fn from_env() -> anyhow::Result<Self> {
        let d = Self::default();
        let secs = |name, default: Duration| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs(env_or(name, default.as_secs())?))
        };
        Ok(Self {
            bind: env_or("PACKAGER_BIND", d.bind)?,
            catalogue_url: env_or("CATALOGUE_URL", d.catalogue_url)?
                .trim_end_matches('/')
                .to_owned(),
            max_upload_bytes: env_or("PACKAGER_MAX_UPLOAD_BYTES", d.max_upload_bytes)?,
            workers: env_or("PACKAGER_WORKERS", d.workers)?.max(1),
            queue_capacity: env_or("PACKAGER_QUEUE_CAPACITY", d.queue_capacity)?.max(1),
            status_ttl: secs("PACKAGER_STATUS_TTL_SECS", d.status_ttl)?,
            process_timeout: secs("PACKAGER_PROCESS_TIMEOUT_SECS", d.process_timeout)?,
            callback_attempts: env_or("PACKAGER_CALLBACK_ATTEMPTS", d.callback_attempts)?.max(1),
            catalogue_attempts: env_or("PACKAGER_CATALOGUE_ATTEMPTS", d.catalogue_attempts)?.max(1),
            temp_dir: env_or("PACKAGER_TEMP_DIR", d.temp_dir)?,
            schema_dir: std::env::var_os("PACKAGER_SCHEMA_DIR").map(PathBuf::from),
            default_level: env_or("PACKAGER_DEFAULT_LEVEL", d.default_level)?,
            limits: Limits {
                max_entries: env_or("PACKAGER_MAX_ENTRIES", d.limits.max_entries)?,
                max_total_bytes: env_or("PACKAGER_MAX_UNPACKED_BYTES", d.limits.max_total_bytes)?,
                max_ratio: env_or("PACKAGER_MAX_RATIO", d.limits.max_ratio)?,
                ..d.limits
            },
            service_token: shared_models::ServiceToken::from_env(),
        })
    }

    /// Port 0 on loopback, a given catalogue, quick retries: for tests.
    pub fn for_testing(catalogue_url: &str) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            catalogue_url: catalogue_url.trim_end_matches('/').to_owned(),
            callback_attempts: 4,
            catalogue_attempts: 2,
            ..Self::default()
        }
    }
}
