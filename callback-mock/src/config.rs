//! Configuration from the environment, with documented defaults.

use std::time::Duration;

/// Everything the callback mock can be told. Read with [`Config::from_env`].
#[derive(Debug, Clone)]
pub struct Config {
    /// `CALLBACK_MOCK_BIND` (default `0.0.0.0:8000`): address to listen on.
    pub bind: String,
    /// `CALLBACK_MOCK_MAX_STORED` (default `1000`): how many callbacks are kept (oldest dropped).
    pub max_stored: usize,
    /// `CALLBACK_MOCK_MAX_BODY_BYTES` (default `1048576`): largest accepted callback body.
    pub max_body_bytes: usize,
    /// `CALLBACK_MOCK_MAX_WAIT_MS` (default `60000`): longest a long-poll may wait.
    pub max_wait: Duration,
    /// `CALLBACK_MOCK_WORKERS` (default `2`): HTTP worker threads.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0:8000".to_owned(),
            max_stored: 1000,
            max_body_bytes: 1024 * 1024,
            max_wait: Duration::from_millis(60_000),
            workers: 2,
        }
    }
}

impl Config {
    /// Reads the `CALLBACK_MOCK_*` variables; unset ones keep their defaults.
    pub fn from_env() -> anyhow::Result<Self> {
        let defaults = Self::default();
        Ok(Self {
            bind: std::env::var("CALLBACK_MOCK_BIND").unwrap_or(defaults.bind),
            max_stored: env_number("CALLBACK_MOCK_MAX_STORED", defaults.max_stored)?,
            max_body_bytes: env_number("CALLBACK_MOCK_MAX_BODY_BYTES", defaults.max_body_bytes)?,
            max_wait: Duration::from_millis(env_number("CALLBACK_MOCK_MAX_WAIT_MS", 60_000u64)?),
            workers: env_number("CALLBACK_MOCK_WORKERS", defaults.workers)?,
        })
    }

    /// A configuration for tests: loopback, a random port, one worker.
    pub fn for_testing() -> Self {
        Self {
            bind: "127.0.0.1:0".to_owned(),
            workers: 1,
            ..Self::default()
        }
    }
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(raw) if !raw.trim().is_empty() => raw
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a non-negative number, got {raw:?}")),
        _ => Ok(default),
    }
}
