//! Test harness: databases, the gatekeeper, the real packager and catalogue behind it, and the
//! callback mock as a receiver.

pub mod database;
pub mod gate;
pub mod mock;
pub mod packages;
pub mod platform;

use std::time::Duration;

use gatekeeper_common::{build, AppStopper, Config};
use serde_json::{json, Value};

pub use database::{Backend, TestDb};
pub use mock::CallbackMock;
pub use platform::Platform;

/// Runs one async test body on both backends: `both_backends!(name);` expects
/// `async fn name(backend: Backend)` in the same module.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await })+
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })+
        }
    };
}

/// A running gatekeeper.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub stopper: AppStopper,
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A closed local port: nothing listens there.
pub fn closed_port_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

/// A test configuration on `db`, with nothing reachable behind it; adjust and spawn.
pub fn config(db: &TestDb) -> Config {
    Config::for_testing(
        db.url.clone(),
        closed_port_url("/api/v1/packages"),
        closed_port_url("/api/catalogues/v2"),
    )
}

/// A gatekeeper on a fresh database of `backend` in front of a fresh real platform.
pub async fn stack(backend: Backend) -> (TestDb, Platform, TestApp) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start(backend).await;
    let app = TestApp::spawn(platform.config(&db)).await;
    (db, platform, app)
}

impl TestApp {
    pub async fn spawn(config: Config) -> Self {
        let app = build(config).await.expect("gatekeeper builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let stopper = app.stopper();
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            client: reqwest::Client::new(),
            stopper,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v3{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET and parse the JSON body (any status).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.json().await.expect("a JSON body"))
    }

    /// POSTs a multipart form as it is to `/packages`.
    pub async fn post_form(&self, form: reqwest::multipart::Form) -> reqwest::Response {
        self.client
            .post(self.url("/packages"))
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// A multipart upload of `bytes` as `name`, with `fields` before the package part.
    pub async fn upload(
        &self,
        name: &str,
        bytes: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        self.post_form(form.part("package", part)).await
    }

    /// Uploads and returns the process id (expects 200).
    pub async fn upload_ok(&self, name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> String {
        let res = self.upload(name, bytes, fields).await;
        let status = res.status();
        let body: Value = res.json().await.expect("json");
        assert_eq!(status, 200, "upload should be accepted: {body}");
        assert_eq!(body["status"], "running", "{body}");
        body["package_process_uuid"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Uploads and waits for the terminal status: `(process id, finished body)`.
    pub async fn onboard(
        &self,
        name: &str,
        bytes: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> (String, Value) {
        let id = self.upload_ok(name, bytes, fields).await;
        let done = self.wait_finished(&id, Duration::from_secs(20)).await;
        (id, done)
    }

    /// Uploads and returns the new package's uuid (expects success).
    pub async fn onboard_ok(&self, name: &str, bytes: Vec<u8>) -> String {
        let (_, done) = self.onboard(name, bytes, &[]).await;
        assert_eq!(done["package_process_status"], "success", "{done}");
        done["package_id"].as_str().expect("package_id").to_owned()
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("DELETE")
    }

    pub async fn post_event(&self, event: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(self.url("/packages/on-change"))
            .json(event)
            .send()
            .await
            .expect("on-change");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json"))
    }

    /// Polls the status until it has `package_process_status`, at most `limit`.
    pub async fn wait_finished(&self, id: &str, limit: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let (status, body) = self.get_json(&format!("/packages/status/{id}")).await;
            assert_eq!(status, 200, "{body}");
            if body.get("package_process_status").is_some() {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "process {id} did not finish: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A packager on-change event for process `id`.
pub fn event(id: &str, success: bool) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    if success {
        json!({
            "event_name": "onPackageChangeEvent",
            "package_id": "7d0c6a4b-2a8e-4d4e-9d7b-2d6c6c1f0a11",
            "package_location": "http://catalogue:4011/api/catalogues/v2/packages/7d0c6a4b-2a8e-4d4e-9d7b-2d6c6c1f0a11",
            "package_metadata": {"vendor": "eu.5gtango", "name": "ns", "version": "0.1",
                "error": null, "package_content": []},
            "package_process_status": "success",
            "package_process_uuid": id,
            "created_at": now, "updated_at": now
        })
    } else {
        json!({
            "event_name": "onPackageChangeEvent",
            "package_id": null,
            "package_location": null,
            "package_metadata": {"error": "Checksum mismatch in Definitions/x.yml",
                "error_code": "checksum-mismatch"},
            "package_process_status": "failed",
            "package_process_uuid": id,
            "created_at": now, "updated_at": now
        })
    }
}
