//! Configuration: every setting comes from an environment variable with a documented default
//! (see docs/gatekeeper.md for the table).

use std::time::Duration;

/// The gatekeeper's settings. Read with [`Config::from_env`]; tests use [`Config::for_testing`].
#[derive(Debug, Clone)]
pub struct Config {
    /// `GATEKEEPER_BIND`, default `0.0.0.0:32002`.
    pub bind: String,
    /// `GATEKEEPER_DATABASE_URL`, default `sqlite://data/gatekeeper.db` (`postgres://...` for
    /// PostgreSQL).
    pub database_url: String,
    /// `GATEKEEPER_PUBLIC_URL`: how clients reach this service (no `/api/v3`). Default
    /// `http://127.0.0.1:<bound port>`.
    pub public_url: Option<String>,
    /// `GATEKEEPER_CALLBACK_BASE`: how the packager reaches this service. Default: the public URL.
    pub callback_base: Option<String>,
    /// `PACKAGER_URL`, default `http://127.0.0.1:5099/api/v1/packages`.
    pub packager_url: String,
    /// `CATALOGUE_URL`, default `http://127.0.0.1:4011/api/catalogues/v2`.
    pub catalogue_url: String,
    /// `GATEKEEPER_SUBSCRIBERS`: comma-separated URLs that get every success event.
    pub subscribers: Vec<String>,
    /// `GATEKEEPER_RECOMMENDER_URL`: on success it gets an empty POST to `<url>/<package_id>`.
    pub recommender_url: Option<String>,
    /// `GATEKEEPER_PROCESS_TIMEOUT`, default `10m` (`ms`, `s`, `m`, `h` suffixes; bare = seconds).
    pub process_timeout: Duration,
    /// `GATEKEEPER_SWEEP_INTERVAL`, default `5s`: how often timed-out processes are looked for.
    pub sweep_interval: Duration,
    /// `GATEKEEPER_OUTBOX_POLL_INTERVAL`, default `500ms`: how often due deliveries are claimed.
    pub outbox_poll_interval: Duration,
    /// `GATEKEEPER_CALLBACK_MAX_ATTEMPTS`, default `10`: the retry budget of one delivery.
    pub callback_max_attempts: u32,
    /// `GATEKEEPER_CALLBACK_BACKOFF`, default `1s`: delay after the first failed attempt
    /// (doubled after each further failure).
    pub callback_backoff: Duration,
    /// `GATEKEEPER_CALLBACK_BACKOFF_MAX`, default `5m`: the longest delay between attempts.
    pub callback_backoff_max: Duration,
    /// `GATEKEEPER_CALLBACK_TIMEOUT`, default `10s`: one delivery attempt's time limit.
    pub callback_timeout: Duration,
    /// `GATEKEEPER_JWT_SECRET`: when set, writes need `Authorization: Bearer <HS256 JWT>`.
    pub jwt_secret: Option<String>,
    /// `GATEKEEPER_JWT_ROLES`: when set (comma-separated), the token's `role`/`roles` must name
    /// one of them (else 403).
    pub jwt_roles: Vec<String>,
    /// `SONATA_SERVICE_TOKEN`: when set, `POST /packages/on-change` needs it in
    /// `X-Service-Token`, and every call to the packager and the catalogue carries it.
    pub service_token: Option<shared_models::ServiceToken>,
    /// `GATEKEEPER_CALLBACK_ALLOWLIST`: comma-separated hosts (`host` or `host:port`) a caller's
    /// `callback_url` may point at. Empty = any host.
    pub callback_allowlist: Vec<String>,
    /// `GATEKEEPER_MAX_UPLOAD_BYTES`, default 1 GiB: larger uploads get 413.
    pub max_upload_bytes: u64,
    /// `GATEKEEPER_DEFAULT_PAGE_SIZE`, default `100`: `page_size` added to list calls without one.
    pub default_page_size: u32,
    /// `GATEKEEPER_UPSTREAM_CONNECT_TIMEOUT`, default `5s`: connecting to packager/catalogue.
    pub upstream_connect_timeout: Duration,
    /// `GATEKEEPER_PACKAGER_ANSWER_TIMEOUT`, default `30s`: how long the packager may take to
    /// answer once the whole upload has been sent to it (it answers before processing).
    pub packager_answer_timeout: Duration,
    /// `GATEKEEPER_PACKAGER_STATUS_TIMEOUT`, default `5s`: the limit of one question about a
    /// process's outcome to the packager (at start-up, and before a process is timed out).
    pub packager_status_timeout: Duration,
    /// `GATEKEEPER_CATALOGUE_ANSWER_TIMEOUT`, default `30s`: how long the catalogue may take to
    /// start answering a call (a download's body then streams without a limit).
    pub catalogue_answer_timeout: Duration,
    /// `GATEKEEPER_WORKERS`, default `2`: HTTP worker threads.
    pub workers: usize,
    /// `GATEKEEPER_DB_MAX_CONNECTIONS`, default `10`.
    pub db_max_connections: u32,
    /// `GATEKEEPER_STATUS_MAX_WAIT`, default `10s`: the longest a status request with `wait`
    /// is held before it answers the running state (longer waits are cut to this).
    pub status_max_wait: Duration,
    /// `GATEKEEPER_STATUS_MAX_WAITERS`, default `1000`: status requests held at once; more
    /// are answered at once.
    pub status_max_waiters: usize,
    /// `GATEKEEPER_STATUS_REREAD_INTERVAL`, default `1s`: how often a held status request
    /// reads its process again (for a finish recorded by another replica).
    pub status_reread_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0:32002".to_owned(),
            database_url: "sqlite://data/gatekeeper.db".to_owned(),
            public_url: None,
            callback_base: None,
            packager_url: "http://127.0.0.1:5099/api/v1/packages".to_owned(),
            catalogue_url: "http://127.0.0.1:4011/api/catalogues/v2".to_owned(),
            subscribers: Vec::new(),
            recommender_url: None,
            process_timeout: Duration::from_secs(600),
            sweep_interval: Duration::from_secs(5),
            outbox_poll_interval: Duration::from_millis(500),
            callback_max_attempts: 10,
            callback_backoff: Duration::from_secs(1),
            callback_backoff_max: Duration::from_secs(300),
            callback_timeout: Duration::from_secs(10),
            jwt_secret: None,
            jwt_roles: Vec::new(),
            service_token: None,
            callback_allowlist: Vec::new(),
            max_upload_bytes: 1024 * 1024 * 1024,
            default_page_size: 100,
            upstream_connect_timeout: Duration::from_secs(5),
            packager_answer_timeout: Duration::from_secs(30),
            packager_status_timeout: Duration::from_secs(5),
            catalogue_answer_timeout: Duration::from_secs(30),
            workers: 2,
            db_max_connections: 10,
            status_max_wait: Duration::from_secs(10),
            status_max_waiters: 1000,
            status_reread_interval: Duration::from_secs(1),
        }
    }
}

impl Config {
    /// Reads every variable; unset or empty ones keep their defaults.
    pub fn from_env() -> anyhow::Result<Self> {
        let d = Self::default();
        Ok(Self {
            bind: text("GATEKEEPER_BIND").unwrap_or(d.bind),
            database_url: text("GATEKEEPER_DATABASE_URL").unwrap_or(d.database_url),
            public_url: text("GATEKEEPER_PUBLIC_URL"),
            callback_base: text("GATEKEEPER_CALLBACK_BASE"),
            packager_url: text("PACKAGER_URL").unwrap_or(d.packager_url),
            catalogue_url: text("CATALOGUE_URL").unwrap_or(d.catalogue_url),
            subscribers: list("GATEKEEPER_SUBSCRIBERS"),
            recommender_url: text("GATEKEEPER_RECOMMENDER_URL"),
            process_timeout: duration("GATEKEEPER_PROCESS_TIMEOUT", d.process_timeout)?,
            sweep_interval: duration("GATEKEEPER_SWEEP_INTERVAL", d.sweep_interval)?,
            outbox_poll_interval: duration(
                "GATEKEEPER_OUTBOX_POLL_INTERVAL",
                d.outbox_poll_interval,
            )?,
            callback_max_attempts: number(
                "GATEKEEPER_CALLBACK_MAX_ATTEMPTS",
                d.callback_max_attempts,
            )?,
            callback_backoff: duration("GATEKEEPER_CALLBACK_BACKOFF", d.callback_backoff)?,
            callback_backoff_max: duration(
                "GATEKEEPER_CALLBACK_BACKOFF_MAX",
                d.callback_backoff_max,
            )?,
            callback_timeout: duration("GATEKEEPER_CALLBACK_TIMEOUT", d.callback_timeout)?,
            jwt_secret: text("GATEKEEPER_JWT_SECRET"),
            jwt_roles: list("GATEKEEPER_JWT_ROLES"),
            service_token: shared_models::ServiceToken::from_env(),
            callback_allowlist: list("GATEKEEPER_CALLBACK_ALLOWLIST"),
            max_upload_bytes: number("GATEKEEPER_MAX_UPLOAD_BYTES", d.max_upload_bytes)?,
            default_page_size: number("GATEKEEPER_DEFAULT_PAGE_SIZE", d.default_page_size)?,
            upstream_connect_timeout: duration(
                "GATEKEEPER_UPSTREAM_CONNECT_TIMEOUT",
                d.upstream_connect_timeout,
            )?,
            packager_answer_timeout: duration(
                "GATEKEEPER_PACKAGER_ANSWER_TIMEOUT",
                d.packager_answer_timeout,
            )?,
            packager_status_timeout: duration(
                "GATEKEEPER_PACKAGER_STATUS_TIMEOUT",
                d.packager_status_timeout,
            )?,
            catalogue_answer_timeout: duration(
                "GATEKEEPER_CATALOGUE_ANSWER_TIMEOUT",
                d.catalogue_answer_timeout,
            )?,
            workers: number("GATEKEEPER_WORKERS", d.workers)?,
            db_max_connections: number("GATEKEEPER_DB_MAX_CONNECTIONS", d.db_max_connections)?,
            status_max_wait: duration("GATEKEEPER_STATUS_MAX_WAIT", d.status_max_wait)?,
            status_max_waiters: number("GATEKEEPER_STATUS_MAX_WAITERS", d.status_max_waiters)?,
            status_reread_interval: duration(
                "GATEKEEPER_STATUS_REREAD_INTERVAL",
                d.status_reread_interval,
            )?,
        })
    }

    /// Who is told about successes besides the caller.
    pub fn notify(&self) -> crate::db::processes::Notify {
        crate::db::processes::Notify {
            subscribers: self.subscribers.clone(),
            recommender: self.recommender_url.clone(),
        }
    }

    /// Loopback on a random port, fast background loops and short back-offs, for tests.
    pub fn for_testing(
        database_url: impl Into<String>,
        packager_url: impl Into<String>,
        catalogue_url: impl Into<String>,
    ) -> Self {
        Self {
            bind: "127.0.0.1:0".to_owned(),
            database_url: database_url.into(),
            packager_url: packager_url.into(),
            catalogue_url: catalogue_url.into(),
            sweep_interval: Duration::from_millis(100),
            outbox_poll_interval: Duration::from_millis(50),
            callback_backoff: Duration::from_millis(50),
            callback_backoff_max: Duration::from_millis(500),
            callback_timeout: Duration::from_secs(5),
            workers: 1,
            db_max_connections: 5,
            ..Self::default()
        }
    }
}

fn text(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn list(name: &str) -> Vec<String> {
    text(name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match text(name) {
        Some(raw) => raw
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a non-negative number, got {raw:?}")),
        None => Ok(default),
    }
}

fn duration(name: &str, default: Duration) -> anyhow::Result<Duration> {
    match text(name) {
        Some(raw) => parse_duration(&raw)
            .ok_or_else(|| anyhow::anyhow!("{name}: cannot read {raw:?} as a duration (e.g. 30s)")),
        None => Ok(default),
    }
}

/// `500ms`, `30s`, `10m`, `1h`, or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: u64 = digits.parse().ok()?;
    match unit.trim() {
        "" | "s" => Some(Duration::from_secs(n)),
        "ms" => Some(Duration::from_millis(n)),
        "m" | "min" => Some(Duration::from_secs(n.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(n.checked_mul(3600)?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_units() {
        assert_eq!(parse_duration("600"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5 weeks"), None);
    }
}
