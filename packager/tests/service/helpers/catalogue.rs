//! The real catalogue, in-process on port 0, on the embedded SQLite backend or on a fresh
//! PostgreSQL database (from `TEST_DATABASE_URL`; the test fails when the server is missing).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Every list the catalogue keeps, to prove nothing was left behind.
pub const COLLECTIONS: [&str; 6] = [
    "packages",
    "network-services",
    "vnfs",
    "tests",
    "files",
    "tgo-packages",
];

/// The uuids of every collection at one moment.
pub type Snapshot = BTreeMap<&'static str, BTreeSet<String>>;

pub struct TestCatalogue {
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    /// `(admin url, database name)` of a PostgreSQL database to drop.
    pg: Option<(String, String)>,
}

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Create an empty PostgreSQL database; `(its url, admin url, name)`.
async fn fresh_database() -> (String, String, String) {
    let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
    let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required: cannot connect to TEST_DATABASE_URL={admin}: {e}")
    });
    let name = format!("packager_test_{}", uuid::Uuid::new_v4().simple());
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .expect("create the test database");
    let server = admin.rsplit_once('/').map_or(admin.as_str(), |(s, _)| s);
    (format!("{server}/{name}"), admin.clone(), name)
}

impl TestCatalogue {
    pub async fn start(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/cat.db?mode=rwc", dir.path().display()),
                None,
            ),
            Backend::Postgres => {
                let (url, admin, name) = fresh_database().await;
                (url, Some((admin, name)))
            }
        };
        let config = catalogue::Config::for_testing(url, dir.path().join("blobs"));
        let app = catalogue::build(config)
            .await
            .expect("the catalogue starts");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        Self {
            base: format!("http://127.0.0.1:{port}/api/catalogues/v2"),
            client: reqwest::Client::new(),
            _dir: dir,
            pg,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}/{path}", self.base))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("the catalogue answers")
    }

    pub async fn list(&self, collection: &str) -> Vec<Value> {
        let response = self.get(collection).await;
        assert!(response.status().is_success(), "GET {collection}");
        response.json().await.expect("a JSON list")
    }

    pub async fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new();
        for collection in COLLECTIONS {
            let uuids = self
                .list(collection)
                .await
                .iter()
                .map(|record| record["uuid"].as_str().expect("a uuid").to_owned())
                .collect();
            snapshot.insert(collection, uuids);
        }
        snapshot
    }

    /// Delete a package (the catalogue's cascade); it must succeed.
    pub async fn delete_package(&self, id: &str) {
        let url = format!("{}/packages/{id}", self.base);
        let deleted = self.client.delete(url).send().await.expect("answers");
        assert!(deleted.status().is_success(), "DELETE packages/{id}");
    }

    /// The collection a content entry of a package is stored in: `None` for the
    /// `application/vnd.*` types that are not descriptors (never stored).
    pub fn collection_of(entry: &Value) -> Option<&'static str> {
        use package_format::descriptor::DescriptorType;
        let content_type = entry["content-type"].as_str();
        match content_type.and_then(DescriptorType::of_content_type) {
            Some(DescriptorType::Nsd) => Some("network-services"),
            Some(DescriptorType::Vnfd) => Some("vnfs"),
            Some(DescriptorType::Tstd) => Some("tests"),
            None if content_type.is_some_and(|t| t.starts_with("application/vnd.")) => None,
            None => Some("files"),
        }
    }

    /// Every collection is empty.
    pub async fn assert_empty(&self) {
        for (collection, uuids) in self.snapshot().await {
            assert!(uuids.is_empty(), "{collection} holds {uuids:?}");
        }
    }
}

impl Drop for TestCatalogue {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop cannot await: drop the database on a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
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
