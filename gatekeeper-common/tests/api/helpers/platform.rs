//! The real stack behind the gatekeeper, in-process: the catalogue on the test's backend (a
//! fresh SQLite file or PostgreSQL database, blobs in a temp dir) and the packager service
//! pointed at it, optionally through a closed [`Gate`] so processes stay in flight.

use std::net::SocketAddr;

use gatekeeper_common::Config;
use serde_json::Value;

use super::database::{Backend, TestDb};
use super::gate::Gate;

pub struct Platform {
    /// `http://127.0.0.1:<port>/api/catalogues/v2`, the catalogue itself.
    pub catalogue_url: String,
    /// `http://127.0.0.1:<port>/api/v1/packages`, the packager's upload endpoint.
    pub packager_url: String,
    /// The relay between the packager and the catalogue, when the platform was started gated.
    pub gate: Option<Gate>,
    client: reqwest::Client,
    _catalogue_db: TestDb,
    _blobs: tempfile::TempDir,
}

impl Platform {
    /// Catalogue and packager, wired directly.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, false, None, |_| {}).await
    }

    /// Catalogue and packager both requiring the service `token` (ADR-21), optionally gated;
    /// this platform's own calls send it.
    pub async fn start_secured(backend: Backend, gated: bool, token: &str) -> Self {
        Self::start_with(backend, gated, Some(token), |_| {}).await
    }

    /// The packager reaches the catalogue only through a closed gate: its processes hang until
    /// [`Gate::open`]. `tweak` adjusts the packager's configuration (workers, queue).
    pub async fn start_gated(
        backend: Backend,
        tweak: impl FnOnce(&mut packager::service::Config),
    ) -> Self {
        Self::start_with(backend, true, None, tweak).await
    }

    async fn start_with(
        backend: Backend,
        gated: bool,
        token: Option<&str>,
        tweak: impl FnOnce(&mut packager::service::Config),
    ) -> Self {
        let token = shared_models::ServiceToken::new(token);
        let catalogue_db = TestDb::new(backend).await;
        let blobs = tempfile::tempdir().expect("temp dir");
        let mut cat_config =
            catalogue::Config::for_testing(catalogue_db.url.clone(), blobs.path().join("blobs"));
        cat_config.service_token = token.clone();
        let cat = catalogue::build(cat_config)
            .await
            .expect("catalogue builds");
        let cat_addr = SocketAddr::from(([127, 0, 0, 1], cat.port()));
        tokio::spawn(cat.run_until_stopped());
        let gate = if gated {
            Some(Gate::spawn(cat_addr).await)
        } else {
            None
        };
        let packager_sees = gate.as_ref().map_or(cat_addr, |g| g.addr);
        let mut config = packager::service::Config::for_testing(&format!(
            "http://{packager_sees}/api/catalogues/v2"
        ));
        config.temp_dir = blobs.path().to_path_buf();
        config.service_token = token;
        tweak(&mut config);
        let client = client_with(config.service_token.as_ref());
        let packager = packager::service::build(config)
            .await
            .expect("packager builds");
        let packager_port = packager.port();
        tokio::spawn(packager.run_until_stopped());
        Self {
            catalogue_url: format!("http://{cat_addr}/api/catalogues/v2"),
            packager_url: format!("http://127.0.0.1:{packager_port}/api/v1/packages"),
            gate,
            client,
            _catalogue_db: catalogue_db,
            _blobs: blobs,
        }
    }

    /// A gatekeeper configuration on `db` in front of this platform.
    pub fn config(&self, db: &TestDb) -> Config {
        Config::for_testing(
            db.url.clone(),
            self.packager_url.clone(),
            self.catalogue_url.clone(),
        )
    }

    /// A catalogue collection (`packages`, `vnfs`, `files`, ...), read directly.
    pub async fn catalogue_list(&self, route: &str) -> Vec<Value> {
        self.client
            .get(format!("{}/{route}", self.catalogue_url))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .send()
            .await
            .expect("catalogue list")
            .json()
            .await
            .expect("catalogue JSON")
    }

    /// The processes the packager remembers.
    pub async fn packager_processes(&self) -> Vec<Value> {
        let body = self.packager_get("status").await;
        body["package_processes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The packager's own status of one process.
    pub async fn packager_status(&self, id: &str) -> Value {
        self.packager_get(&format!("status/{id}")).await
    }

    async fn packager_get(&self, path: &str) -> Value {
        self.client
            .get(format!("{}/{path}", self.packager_url))
            .send()
            .await
            .expect("packager GET")
            .json()
            .await
            .expect("packager JSON")
    }

    pub fn gate(&self) -> &Gate {
        self.gate.as_ref().expect("a gated platform")
    }
}

/// A client sending `X-Service-Token` when a token is given.
pub fn client_with(token: Option<&shared_models::ServiceToken>) -> reqwest::Client {
    let headers = shared_models::ServiceToken::outgoing_headers(token).expect("ASCII token");
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}
