//! The platform under test: the real catalogue (either backend), the callback-mock as the
//! callback receiver, and the packager built by its app factory, all on port 0.

pub mod catalogue;
pub mod proxy;

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use packager::service::{build, Config};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

pub use self::catalogue::{Backend, TestCatalogue};

/// Generates `<case>::sqlite` and `<case>::postgres` from `async fn <case>(Backend)`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$case($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$case($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

/// A running packager and the spool directory it was given.
pub struct TestPackager {
    /// `http://127.0.0.1:<port>/api/v1`.
    pub base: String,
    pub spool: tempfile::TempDir,
    /// Sends the configured `service_token` (if any) on every call.
    pub client: reqwest::Client,
}

impl TestPackager {
    /// A packager storing into `catalogue_url`, with its spool in a fresh temp dir.
    pub async fn start(catalogue_url: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let spool = tempfile::tempdir().expect("spool dir");
        let mut config = Config::for_testing(catalogue_url);
        config.temp_dir = spool.path().to_path_buf();
        tweak(&mut config);
        let client = reqwest::Client::builder()
            .default_headers(
                shared_models::ServiceToken::outgoing_headers(config.service_token.as_ref())
                    .expect("token header"),
            )
            .build()
            .expect("client");
        let app = build(config).await.expect("the packager starts");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        Self {
            base: format!("http://127.0.0.1:{port}/api/v1"),
            spool,
            client,
        }
    }

    pub async fn upload(&self, form: Form) -> reqwest::Response {
        self.client
            .post(format!("{}/packages", self.base))
            .multipart(form)
            .send()
            .await
            .expect("the packager answers")
    }

    /// Upload, expect 200 `running`, and return the process id.
    pub async fn accept(&self, form: Form) -> String {
        let response = self.upload(form).await;
        assert_eq!(response.status(), 200, "upload accepted");
        let accepted: Value = response.json().await.expect("JSON");
        assert_eq!(accepted["status"], "running", "{accepted}");
        assert!(accepted["error_msg"].is_null(), "{accepted}");
        accepted["package_process_uuid"]
            .as_str()
            .expect("a process id")
            .to_owned()
    }

    pub async fn status(&self, id: &str) -> Value {
        let response = self
            .client
            .get(format!("{}/packages/status/{id}", self.base))
            .send()
            .await
            .expect("the packager answers");
        assert_eq!(response.status(), 200, "status of {id}");
        response.json().await.expect("JSON")
    }

    /// Poll the status until it is the finished event (bounded).
    pub async fn wait(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.status(id).await;
            if status.get("package_process_status").is_some() {
                return status;
            }
            assert!(Instant::now() < deadline, "{id} did not finish: {status}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Upload and wait for the finished event.
    pub async fn on_board(&self, form: Form) -> Value {
        let id = self.accept(form).await;
        self.wait(&id).await
    }

    /// What is left in the spool dir (kept empty files aside) once the workers have cleaned
    /// up: a worker empties a job's spool file just after the outcome is out, so this waits
    /// up to 10 s for the dir to be clean and then gives what is still there.
    async fn spooled(&self) -> Vec<PathBuf> {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left =
                packager::service::spool::spooled(self.spool.path()).expect("read the spool dir");
            if left.is_empty() || std::time::Instant::now() > until {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Fails unless the spool dir is clean (see [`Self::spooled`]) after what `after` names.
    pub async fn assert_spool_clean(&self, after: &str) {
        let left = self.spooled().await;
        assert!(
            left.is_empty(),
            "after {after}, left in the spool: {left:?}"
        );
    }
}

/// A multipart form with `package` (and a callback URL).
pub fn form(bytes: Vec<u8>, file_name: &str, callback: Option<&str>) -> Form {
    let mut form = Form::new().part(
        "package",
        Part::bytes(bytes).file_name(file_name.to_owned()),
    );
    if let Some(url) = callback {
        form = form.text("callback_url", url.to_owned());
    }
    form
}

/// The whole platform for one test.
pub struct Platform {
    pub catalogue: TestCatalogue,
    pub packager: TestPackager,
    /// `http://127.0.0.1:<port>` of the callback-mock.
    pub mock: String,
}

impl Platform {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        let catalogue = TestCatalogue::start(backend).await;
        let packager = TestPackager::start(&catalogue.base, tweak).await;
        Self {
            catalogue,
            packager,
            mock: start_mock().await,
        }
    }

    /// A callback URL on the mock, unique to `name`.
    pub fn callback(&self, name: &str) -> String {
        format!("{}/callbacks/{name}", self.mock)
    }

    /// Wait until `count` callbacks arrived on `/callbacks/<name>`; their bodies.
    pub async fn callbacks(&self, name: &str, count: usize) -> Vec<Value> {
        received(&self.mock, name, count)
            .await
            .into_iter()
            .map(|c| c["body"].clone())
            .collect()
    }
}

pub async fn start_mock() -> String {
    let mock = callback_mock::build(callback_mock::Config::for_testing())
        .await
        .expect("the callback-mock starts");
    let port = mock.port();
    tokio::spawn(mock.run_until_stopped());
    format!("http://127.0.0.1:{port}")
}

/// Long-poll the mock for `count` accepted callbacks on `/callbacks/<name>`.
pub async fn received(mock: &str, name: &str, count: usize) -> Vec<Value> {
    let response = reqwest::get(format!(
        "{mock}/api/v1/received/wait?path=/callbacks/{name}&count={count}&timeout_ms=20000"
    ))
    .await
    .expect("the mock answers");
    assert_eq!(response.status(), 200, "{count} callbacks on {name}");
    let list: Value = response.json().await.expect("JSON");
    list["callbacks"].as_array().expect("a list").clone()
}

/// A fixture file of ../shared/fixtures (never copied into the project).
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(relative)
}

pub fn read_fixture(relative: &str) -> Vec<u8> {
    let path = fixture(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// The failure code of a finished event.
pub fn code(event: &Value) -> &str {
    event["package_metadata"]["error_code"]
        .as_str()
        .unwrap_or_default()
}
