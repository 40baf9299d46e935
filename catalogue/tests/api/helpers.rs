//! Spawning the service on either backend, and small request helpers.

use std::path::Path;

use catalogue::{
    blobstore::{open_store, SharedBlobStore},
    config::BlobStoreUrl,
    Config,
};
use futures_util::TryStreamExt;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

/// Generates one `#[tokio::test]` per backend of the bracketed list for each case:
/// `on_backends!([sqlite => Sqlite, ...] case, ...)` gives `case::sqlite` calling
/// `case(Backend::Sqlite)`.
macro_rules! on_backends {
    ($backends:tt $($case:ident),* $(,)?) => {
        $( $crate::helpers::on_backends!(@case $backends $case); )*
    };
    (@case [$($test:ident => $backend:ident),*] $case:ident) => {
        mod $case {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$case($crate::helpers::Backend::$backend).await;
                }
            )*
        }
    };
}
pub(crate) use on_backends;

/// `<case>::sqlite` and `<case>::postgres` from `async fn <case>(Backend)`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        $crate::helpers::on_backends!([sqlite => Sqlite, postgres => Postgres] $($case),*);
    };
}
pub(crate) use on_both_backends;

/// As `on_both_backends`, plus `<case>::s3`: PostgreSQL with the S3 blob store (moto).
macro_rules! on_every_store {
    ($($case:ident),* $(,)?) => {
        $crate::helpers::on_backends!(
            [sqlite => Sqlite, postgres => Postgres, s3 => PostgresS3] $($case),*
        );
    };
}
pub(crate) use on_every_store;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL records, blobs in a bucket of the moto S3 server.
    PostgresS3,
}

pub struct TestApp {
    pub base: String,
    pub alt_base: String,
    pub client: Client,
    /// The store the service uses, opened once more for the tests to look into.
    pub store: SharedBlobStore,
    pub store_url: BlobStoreUrl,
    /// The database the service uses.
    pub database_url: String,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn fresh_postgres_database() -> (String, String, String) {
    let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
    let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} is unreachable ({e}); start it or set TEST_DATABASE_URL")
    });
    let name = format!("catalogue_test_{}", uuid::Uuid::new_v4().simple());
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .expect("create test database");
    let (server, _) = admin
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    (format!("{server}/{name}"), admin, name)
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let blob_dir = dir.path().join("blobs");
        let (url, pg) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.path().join("cat.db").display()),
                None,
            ),
            Backend::Postgres | Backend::PostgresS3 => {
                let (url, admin, name) = fresh_postgres_database().await;
                (url, Some((admin, name)))
            }
        };
        let mut config = Config::for_testing(url, &blob_dir);
        if matches!(backend, Backend::PostgresS3) {
            let bucket = crate::moto::create_bucket().await;
            config.blob_store = BlobStoreUrl::S3 {
                bucket,
                prefix: "blobs/test".to_owned(),
            };
        }
        tweak(&mut config);
        let store_url = config.blob_store.clone();
        let database_url = config.database_url.clone();
        let store = open_store(&store_url).await.expect("open the blob store");
        let app = catalogue::build(config).await.expect("build the service");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        Self {
            base: format!("http://127.0.0.1:{port}/api/catalogues/v2"),
            alt_base: format!("http://127.0.0.1:{port}/catalogues/api/v2"),
            client: Client::new(),
            store,
            store_url,
            database_url,
            _dir: dir,
            pg,
        }
    }

    /// The service's database, opened once more for the tests to look into.
    pub async fn repository(&self) -> catalogue::storage::Repository {
        catalogue::storage::connect(&self.database_url, 2, false)
            .await
            .expect("open the service's database")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: &[u8]) -> Response {
        self.client
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("request")
    }

    /// A GET without `Accept` (blob bytes rather than metadata), with an optional `Range`.
    pub async fn download(&self, path: &str, range: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        request.send().await.expect("request")
    }

    /// `POST /packages/bundle` with `form`.
    pub async fn post_bundle(&self, form: reqwest::multipart::Form) -> Response {
        self.client
            .post(self.url("/packages/bundle"))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn put(&self, path: &str) -> Response {
        self.client
            .put(self.url(path))
            .header("Content-Type", "application/json")
            .send()
            .await
            .expect("request")
    }

    pub async fn upload(&self, collection: &str, name: &str, bytes: Vec<u8>) -> Response {
        let content_type = if collection == "/tgo-packages" {
            "application/zip"
        } else {
            "application/octet-stream"
        };
        self.client
            .post(self.url(collection))
            .header("Content-Type", content_type)
            .header(
                "Content-Disposition",
                format!("attachment; filename={name}"),
            )
            .body(bytes)
            .send()
            .await
            .expect("request")
    }

    /// Asserts `/health/ready` answers 503 naming `what` (the blob store or the database).
    pub async fn assert_unready(&self, what: &str) {
        let response = self.get("/health/ready").await;
        let body = assert_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "service-unavailable",
        )
        .await;
        assert!(body["error"].as_str().unwrap().contains(what), "{body}");
    }

    /// Drops this test's PostgreSQL database under the running service.
    pub async fn drop_postgres_database(&self) {
        let (admin, name) = self.pg.clone().expect("a PostgreSQL backend");
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("admin connection");
        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        conn.execute(sql.as_str()).await.expect("drop the database");
    }

    /// Makes the blob store unusable: the directory removed, or the (empty) bucket deleted.
    pub async fn break_blob_store(&self) {
        match &self.store_url {
            BlobStoreUrl::Local(dir) => std::fs::remove_dir_all(dir).expect("remove blob dir"),
            BlobStoreUrl::S3 { bucket, .. } => {
                let response = self
                    .client
                    .delete(format!("{}/{bucket}", crate::moto::endpoint()))
                    .send()
                    .await
                    .expect("moto_server answers");
                assert!(response.status().is_success(), "{response:?}");
            }
        }
    }

    /// The number of records a list reports in `Record-Count`.
    pub async fn count(&self, collection: &str) -> u64 {
        let response = self.get(collection).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.headers()["record-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The SHA-256 of every blob in the store (staging area excluded).
    pub async fn stored_blobs(&self) -> Vec<String> {
        let entries: Vec<_> = self
            .store
            .list()
            .try_collect()
            .await
            .expect("list the store");
        entries.into_iter().map(|e| e.key).collect()
    }

    /// Multipart uploads begun and neither completed nor aborted (0 for a local store).
    pub async fn unfinished_multipart_uploads(&self) -> usize {
        let BlobStoreUrl::S3 { bucket, .. } = &self.store_url else {
            return 0;
        };
        let listing = self
            .client
            .get(format!("{}/{bucket}?uploads", crate::moto::endpoint()))
            .send()
            .await
            .expect("moto_server answers")
            .text()
            .await
            .expect("a listing");
        listing.matches("<Upload>").count()
    }

    /// The number of staged uploads (finished or not).
    pub async fn staged_files(&self) -> usize {
        let entries: Vec<_> = self
            .store
            .list_staged()
            .try_collect()
            .await
            .expect("list the staging area");
        entries.len()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop the test database on a thread of its own (Drop cannot await).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = conn.execute(sql.as_str()).await;
                }
            });
        })
        .join();
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/catalogue")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

pub fn spec_fixture(name: &str) -> Vec<u8> {
    fixture(&format!("spec/fixtures/{name}"))
}

pub async fn json(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// Asserts an error answer: status, JSON `{error, code}`.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body = json(response).await;
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    body
}

pub fn descriptor(vendor: &str, name: &str, version: &str) -> Vec<u8> {
    serde_json::json!({"vendor": vendor, "name": name, "version": version})
        .to_string()
        .into_bytes()
}
