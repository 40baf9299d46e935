//! The `gatekeeper-common` binary reads its configuration from the environment.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{closed_port_url, free_port};

/// Kills the child when the test ends, passing or not.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_starts_from_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let db = dir.path().join("state/gk.db");
    let _child = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_gatekeeper-common"))
            .env("GATEKEEPER_BIND", format!("127.0.0.1:{port}"))
            .env(
                "GATEKEEPER_DATABASE_URL",
                format!("sqlite://{}", db.display()),
            )
            .env("GATEKEEPER_PUBLIC_URL", "http://gk.example:32002")
            .env("PACKAGER_URL", closed_port_url("/api/v1/packages"))
            .env("CATALOGUE_URL", closed_port_url("/api/catalogues/v2"))
            .env("GATEKEEPER_PROCESS_TIMEOUT", "2m")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the binary"),
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let ping = loop {
        match client.get(format!("{base}/api/v3/pings")).send().await {
            Ok(res) => break res,
            Err(e) => {
                assert!(tokio::time::Instant::now() < deadline, "no answer: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(ping.status(), 200);
    assert!(ping.json::<Value>().await.unwrap()["alive_since"].is_string());
    let ready = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert!(db.is_file(), "the SQLite file and its folder were created");
    // The packager behind it is down: a JSON 503, not a crash.
    let form = reqwest::multipart::Form::new().part(
        "package",
        reqwest::multipart::Part::bytes(b"PK".to_vec()).file_name("a.tgo"),
    );
    let res = client
        .post(format!("{base}/api/v3/packages"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "packager-unavailable"
    );
}
