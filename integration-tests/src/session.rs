//! A platform started for one test: the four real binaries on free ports, logs in a temporary
//! folder, and on PostgreSQL two fresh databases that are dropped afterwards.

use std::time::Duration;

use platform::{database, Logs, Platform, PlatformSpec, Ports, Service, Storage};
use tempfile::TempDir;

use crate::binaries;

/// Where the catalogue's and the gatekeeper's records go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh pair of databases on `TEST_DATABASE_URL`'s server.
    Postgres,
    /// SQLite files in the test's data folder (the embedded default).
    Embedded,
}

/// The server the PostgreSQL tests use (they fail when it is unreachable).
pub fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that is dropped when the guard goes, even when the test panics.
#[derive(Debug)]
pub struct DatabaseGuard {
    pub url: String,
}

impl DatabaseGuard {
    pub async fn create(name: &str) -> anyhow::Result<Self> {
        let url = database::with_database(&test_database_url(), name)?;
        let created = database::ensure_database(&url).await?;
        anyhow::ensure!(created, "database {name} existed already");
        Ok(Self { url })
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let url = self.url.clone();
        // A thread of its own: Drop cannot await, and may run inside a runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(database::drop_database(&url))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.url);
        }
    }
}

/// The running platform of one test.
#[derive(Debug)]
pub struct TestPlatform {
    pub platform: Platform,
    /// Its addresses and a client; also reached through `Deref` (`tp.http`, `tp.gatekeeper()`).
    pub endpoints: Endpoints,
    // Dropped after `platform` (fields drop in order): the services are gone first.
    _databases: Vec<DatabaseGuard>,
    pub dir: TempDir,
}

impl TestPlatform {
    /// Builds the binaries if needed and starts the platform on `backend`. `extra` adds
    /// variables for one service.
    pub async fn start(backend: Backend, extra: &[(Service, &str, &str)]) -> anyhow::Result<Self> {
        let bin_dir = binaries::ensure_built().clone();
        let dir = tempfile::tempdir()?;
        let ports = Ports::free()?;
        let mut spec = PlatformSpec::embedded(dir.path().join("data"), ports);
        spec.bin_dir = bin_dir;
        spec.logs = Logs::Files(dir.path().join("logs"));
        spec.ready_timeout = Duration::from_secs(60);
        let mut databases = Vec::new();
        if backend == Backend::Postgres {
            let tag = uuid::Uuid::new_v4().simple().to_string();
            let catalogue =
                DatabaseGuard::create(&format!("itest_{}_catalogue", &tag[..12])).await?;
            let gatekeeper =
                DatabaseGuard::create(&format!("itest_{}_gatekeeper", &tag[..12])).await?;
            spec.storage = Storage::Postgres {
                catalogue_url: catalogue.url.clone(),
                gatekeeper_url: gatekeeper.url.clone(),
            };
            databases = vec![catalogue, gatekeeper];
        }
        spec.extra_env = test_settings(&spec)
            .into_iter()
            .chain(
                extra
                    .iter()
                    .map(|(s, k, v)| (*s, (*k).to_owned(), (*v).to_owned())),
            )
            .collect();
        let platform = start_with_retry(spec).await?;
        let endpoints = Endpoints {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                // Below the services' 5 s keep-alive (actix's default): a connection the server
                // is closing is not reused for a request (1 upload in 10,000 failed so).
                .pool_idle_timeout(Duration::from_secs(2))
                .build()?,
            ports: platform.spec().ports,
        };
        Ok(Self {
            platform,
            endpoints,
            _databases: databases,
            dir,
        })
    }

    /// The end of each service's log, for assertion messages.
    pub fn logs(&self) -> String {
        self.platform.log_tails(40)
    }

    /// Stops every service with SIGTERM and checks that each one exited cleanly. With
    /// `SONATA_TEST_KEEP` set, the test's folder (logs, SQLite files, blobs) is kept.
    pub async fn shutdown(mut self) {
        let logs = self.logs();
        for (service, status) in self.platform.stop().await {
            let status = status.expect("waiting for a service");
            assert!(
                status.success(),
                "{service} did not stop cleanly on SIGTERM: {status}\n{logs}"
            );
        }
        if std::env::var_os("SONATA_TEST_KEEP").is_some() {
            eprintln!("kept {}", self.dir.keep().display());
        }
    }
}

impl std::ops::Deref for TestPlatform {
    type Target = Endpoints;

    fn deref(&self) -> &Endpoints {
        &self.endpoints
    }
}

/// How to reach a running platform: the services' addresses and an HTTP client. A copy stays
/// usable while the platform itself is changed (a service killed or restarted on its port).
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub http: reqwest::Client,
    pub ports: Ports,
}

impl Endpoints {
    /// `http://127.0.0.1:<port>` of a service.
    pub fn base_url(&self, service: Service) -> String {
        format!("http://127.0.0.1:{}", self.ports.of(service))
    }

    /// `http://127.0.0.1:<port>/api/v3`.
    pub fn gatekeeper(&self) -> String {
        format!("{}/api/v3", self.base_url(Service::Gatekeeper))
    }

    /// `http://127.0.0.1:<port>` of callback-mock.
    pub fn callback_mock(&self) -> String {
        self.base_url(Service::CallbackMock)
    }
}

/// Starts the platform; when a service could not start (another process may have taken one of
/// the free ports between their choice and the bind), tries twice more on new ports.
async fn start_with_retry(mut spec: PlatformSpec) -> anyhow::Result<Platform> {
    let mut attempt = 1;
    loop {
        match Platform::start(spec.clone()).await {
            Ok(platform) => return Ok(platform),
            Err(e) if attempt < 3 && e.to_string().contains("exited during start-up") => {
                eprintln!("platform start attempt {attempt} failed, new ports: {e:#}");
                attempt += 1;
                let ports = Ports::free()?;
                spec.ports = ports;
                for (service, key, value) in &mut spec.extra_env {
                    let subscribed = *service == Service::Gatekeeper
                        && key == "GATEKEEPER_SUBSCRIBERS"
                        && !value.is_empty();
                    if subscribed {
                        *value = subscriber_url(ports);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// callback-mock's path for the configured subscriber.
fn subscriber_url(ports: Ports) -> String {
    format!(
        "http://127.0.0.1:{}/callbacks/subscriber",
        ports.callback_mock
    )
}

/// Quick background loops, so a test does not wait on production intervals; the subscriber
/// URL points at callback-mock.
fn test_settings(spec: &PlatformSpec) -> Vec<(Service, String, String)> {
    let subscriber = subscriber_url(spec.ports);
    let gatekeeper = [
        ("GATEKEEPER_OUTBOX_POLL_INTERVAL", "50ms"),
        ("GATEKEEPER_SWEEP_INTERVAL", "200ms"),
        ("GATEKEEPER_CALLBACK_BACKOFF", "100ms"),
        ("GATEKEEPER_CALLBACK_BACKOFF_MAX", "1s"),
        ("GATEKEEPER_SUBSCRIBERS", subscriber.as_str()),
    ];
    let mut settings: Vec<(Service, String, String)> = gatekeeper
        .iter()
        .map(|(k, v)| (Service::Gatekeeper, (*k).to_owned(), (*v).to_owned()))
        .collect();
    for service in Service::START_ORDER {
        settings.push((service, "RUST_LOG".into(), "info,sqlx=warn".into()));
    }
    settings.push((Service::Packager, "PACKAGER_WORKERS".into(), "2".into()));
    settings
}
