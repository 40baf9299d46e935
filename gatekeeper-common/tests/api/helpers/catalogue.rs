//! The real catalogue, in-process on SQLite, and a way to seed it with a package.

use serde_json::{json, Value};

pub struct TestCatalogue {
    /// `http://127.0.0.1:<port>/api/catalogues/v2`
    pub url: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// What [`TestCatalogue::seed_package`] stored.
pub struct SeededPackage {
    pub uuid: String,
    pub tgo: Vec<u8>,
    pub file_uuid: String,
    pub file_bytes: Vec<u8>,
}

impl TestCatalogue {
    pub async fn spawn() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite://{}/cat.db?mode=rwc", dir.path().display());
        let config = catalogue::Config::for_testing(db, dir.path().join("blobs"));
        let app = catalogue::build(config).await.expect("catalogue builds");
        let url = format!("http://127.0.0.1:{}/api/catalogues/v2", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            url,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn post(
        &self,
        path: &str,
        content_type: &str,
        file_name: Option<&str>,
        body: Vec<u8>,
    ) -> Value {
        let mut req = self
            .client
            .post(format!("{}/{path}", self.url))
            .header("Content-Type", content_type)
            .header("Accept", "application/json")
            .body(body);
        if let Some(name) = file_name {
            req = req.header(
                "Content-Disposition",
                format!("attachment; filename={name}"),
            );
        }
        let res = req.send().await.expect("catalogue POST");
        assert!(
            res.status().is_success(),
            "seeding {path}: {}",
            res.status()
        );
        res.json().await.expect("catalogue JSON")
    }

    /// Stores a package record `name` 0.1 with its `.tgo`, one NSD, one VNFD and one file.
    pub async fn seed_package(&self, name: &str) -> SeededPackage {
        let tgo: Vec<u8> = format!("PK\u{3}\u{4} fake archive of {name} ")
            .repeat(500)
            .into_bytes();
        let tgo_uuid = self
            .post(
                "tgo-packages?username=tester",
                "application/zip",
                Some(&format!("{name}.tgo")),
                tgo.clone(),
            )
            .await["uuid"]
            .as_str()
            .expect("uuid")
            .to_owned();
        let file_bytes = format!("descriptor bytes of {name}\n").into_bytes();
        let file_uuid = self
            .post(
                "files?username=tester",
                "application/octet-stream",
                Some("nsd.yml"),
                file_bytes.clone(),
            )
            .await["uuid"]
            .as_str()
            .expect("uuid")
            .to_owned();
        let nsd = json!({"vendor": "eu.5gtango", "name": format!("{name}-nsd"), "version": "0.1"});
        self.post(
            "network-services?platform=5gtango",
            "application/json",
            None,
            nsd.to_string().into_bytes(),
        )
        .await;
        let vnfd = json!({"vendor": "eu.5gtango", "name": format!("{name}-vnf"), "version": "0.1"});
        self.post(
            "vnfs?platform=5gtango",
            "application/json",
            None,
            vnfd.to_string().into_bytes(),
        )
        .await;
        let pd = json!({
            "vendor": "eu.5gtango", "name": name, "version": "0.1",
            "package_file_uuid": tgo_uuid, "package_file_name": format!("{name}.tgo"),
            "package_content": [{"source": "Definitions/nsd.yml", "uuid": file_uuid,
                "content-type": "application/vnd.5gtango.nsd",
                "id": {"vendor": "eu.5gtango", "name": format!("{name}-nsd"), "version": "0.1"}}]
        });
        let record = self
            .post(
                "packages?username=tester",
                "application/json",
                None,
                pd.to_string().into_bytes(),
            )
            .await;
        SeededPackage {
            uuid: record["uuid"].as_str().expect("uuid").to_owned(),
            tgo,
            file_uuid,
            file_bytes,
        }
    }
}
