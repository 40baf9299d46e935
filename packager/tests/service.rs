//! The packager service against a real catalogue (in-process, embedded SQLite backend) and the
//! callback-mock as the callback receiver.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::time::{Duration, Instant};

use package_format::test_support::{sample_package, sample_package_files, ZipBuilder};
use packager::service::{build, Config};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

struct Platform {
    packager: String,
    catalogue: String,
    mock: String,
    _dirs: tempfile::TempDir,
}

async fn start_platform() -> Platform {
    let dirs = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/cat.db?mode=rwc", dirs.path().display());
    let cat = catalogue::build(catalogue::Config::for_testing(
        db,
        dirs.path().join("blobs"),
    ))
    .await
    .expect("catalogue starts");
    let cat_port = cat.port();
    tokio::spawn(cat.run_until_stopped());
    let mock = callback_mock::build(callback_mock::Config::for_testing())
        .await
        .unwrap();
    let mock_port = mock.port();
    tokio::spawn(mock.run_until_stopped());
    let catalogue = format!("http://127.0.0.1:{cat_port}/api/catalogues/v2");
    let packager = start_packager(&catalogue).await;
    Platform {
        packager,
        catalogue,
        mock: format!("http://127.0.0.1:{mock_port}"),
        _dirs: dirs,
    }
}

async fn start_packager(catalogue: &str) -> String {
    let app = build(Config::for_testing(catalogue))
        .await
        .expect("packager starts");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    format!("http://127.0.0.1:{port}/api/v1")
}

fn form(bytes: Vec<u8>, callback: Option<&str>) -> Form {
    let mut form = Form::new().part("package", Part::bytes(bytes).file_name("p.tgo"));
    if let Some(url) = callback {
        form = form.text("callback_url", url.to_owned());
    }
    form
}

async fn upload(base: &str, form: Form) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/packages"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Upload and poll the status until it is terminal (bounded).
async fn on_board(base: &str, bytes: Vec<u8>, callback: Option<&str>) -> Value {
    let accepted: Value = upload(base, form(bytes, callback))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accepted["status"], "running");
    let id = accepted["package_process_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status: Value = reqwest::get(format!("{base}/packages/status/{id}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status.get("package_process_status").is_some() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "process {id} did not finish: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn catalogue_list(catalogue: &str, route: &str) -> Vec<Value> {
    reqwest::Client::new()
        .get(format!("{catalogue}/{route}"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_valid_package_is_stored_and_the_callback_carries_the_event() {
    let p = start_platform().await;
    let callback = format!("{}/callbacks/ok", p.mock);
    let event = on_board(
        &p.packager,
        sample_package("eu.test", "good", "0.1"),
        Some(&callback),
    )
    .await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    assert_eq!(event["event_name"], "onPackageChangeEvent");
    let package_id = event["package_id"].as_str().unwrap();
    assert!(event["package_location"]
        .as_str()
        .unwrap()
        .ends_with(package_id));
    let content = event["package_metadata"]["package_content"]
        .as_array()
        .unwrap();
    assert!(
        content
            .iter()
            .all(|e| e["uuid"].is_string() && !e["id"].is_null()),
        "{event}"
    );
    assert!(event["package_metadata"]["package_file_uuid"].is_string());

    let packages = catalogue_list(&p.catalogue, "packages").await;
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0]["uuid"], package_id);
    assert_eq!(catalogue_list(&p.catalogue, "vnfs").await.len(), 1);
    assert_eq!(
        catalogue_list(&p.catalogue, "network-services").await.len(),
        1
    );

    let received: Value = reqwest::get(format!(
        "{}/api/v1/received/wait?path=/callbacks/ok&count=1&timeout_ms=10000",
        p.mock
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let body = &received["callbacks"][0]["body"];
    assert_eq!(body, &event, "the callback is exactly the finished status");
}

#[tokio::test]
async fn a_second_upload_of_the_same_package_is_a_duplicate_and_stores_nothing_more() {
    let p = start_platform().await;
    let first = on_board(&p.packager, sample_package("eu.test", "dup", "0.1"), None).await;
    assert_eq!(first["package_process_status"], "success");
    let second = on_board(&p.packager, sample_package("eu.test", "dup", "0.1"), None).await;
    assert_eq!(second["package_process_status"], "failed");
    assert_eq!(
        second["package_metadata"]["error_code"],
        "duplicate-package"
    );
    let existing = first["package_id"].as_str().unwrap();
    assert!(second["package_metadata"]["error"]
        .as_str()
        .unwrap()
        .contains(existing));
    assert_eq!(catalogue_list(&p.catalogue, "packages").await.len(), 1);
    assert_eq!(catalogue_list(&p.catalogue, "tgo-packages").await.len(), 1);
}

#[tokio::test]
async fn a_bad_checksum_fails_and_leaves_the_catalogue_empty() {
    let p = start_platform().await;
    let mut files = sample_package_files("eu.test", "bad", "0.1");
    files.insert("Docs/README.txt".into(), b"tampered\n".to_vec());
    let event = on_board(&p.packager, ZipBuilder::from_files(&files).build(), None).await;
    assert_eq!(event["package_process_status"], "failed");
    assert_eq!(event["package_metadata"]["error_code"], "checksum-mismatch");
    assert!(event["package_id"].is_null());
    for route in [
        "packages",
        "vnfs",
        "network-services",
        "files",
        "tgo-packages",
    ] {
        assert!(
            catalogue_list(&p.catalogue, route).await.is_empty(),
            "{route} not empty"
        );
    }
}

#[tokio::test]
async fn a_vnf_neither_shipped_nor_catalogued_fails_the_topology_with_no_residue() {
    let p = start_platform().await;
    let mut files = sample_package_files("eu.test", "outside", "0.1");
    files.remove("Definitions/vnfd.yml");
    let napd = String::from_utf8(files["TOSCA-Metadata/NAPD.yaml"].clone()).unwrap();
    let napd = napd
        .split("- source: Definitions/vnfd.yml")
        .next()
        .unwrap()
        .to_owned()
        + &napd
            .split("- source: Docs/README.txt")
            .nth(1)
            .map(|t| format!("- source: Docs/README.txt{t}"))
            .unwrap();
    files.insert("TOSCA-Metadata/NAPD.yaml".into(), napd.into_bytes());
    let event = on_board(&p.packager, ZipBuilder::from_files(&files).build(), None).await;
    assert_eq!(
        event["package_metadata"]["error_code"], "topology-invalid",
        "{event}"
    );
    assert!(catalogue_list(&p.catalogue, "network-services")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_catalogue_that_is_down_gives_catalogue_unavailable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/catalogues/v2", closed.local_addr().unwrap());
    drop(closed);
    let packager = start_packager(&url).await;
    let event = on_board(&packager, sample_package("eu.test", "down", "0.1"), None).await;
    assert_eq!(event["package_process_status"], "failed");
    assert_eq!(
        event["package_metadata"]["error_code"],
        "catalogue-unavailable"
    );
}

#[tokio::test]
async fn skip_store_validates_only() {
    let p = start_platform().await;
    let accepted: Value = upload(
        &p.packager,
        form(sample_package("eu.test", "skip", "0.1"), None).text("skip_store", "true"),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = accepted["package_process_uuid"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let event = loop {
        let s: Value = reqwest::get(format!("{}/packages/status/{id}", p.packager))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if s.get("package_process_status").is_some() {
            break s;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(event["package_process_status"], "success");
    assert!(event["package_id"].is_null());
    assert!(catalogue_list(&p.catalogue, "packages").await.is_empty());
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let p = start_platform().await;
    let client = reqwest::Client::new();
    let not_multipart = client
        .post(format!("{}/packages", p.packager))
        .body("hello")
        .header("Content-Type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(not_multipart.status(), 415);
    let body: Value = not_multipart.json().await.unwrap();
    assert_eq!(body["code"], "unsupported-media-type");

    let no_package = upload(&p.packager, Form::new().text("callback_url", "http://x")).await;
    assert_eq!(no_package.status(), 400);
    assert_eq!(
        no_package.json::<Value>().await.unwrap()["code"],
        "missing-package"
    );

    let bad_bool = upload(
        &p.packager,
        form(b"x".to_vec(), None).text("skip_store", "maybe"),
    )
    .await;
    assert_eq!(bad_bool.status(), 400);

    let unknown = reqwest::get(format!("{}/packages/status/{}", p.packager, uuid_v4()))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], "not-found");
    let malformed = reqwest::get(format!("{}/packages/status/foo-bar", p.packager))
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn a_non_zip_upload_fails_cleanly_with_a_callback() {
    let p = start_platform().await;
    let callback = format!("{}/callbacks/notzip", p.mock);
    let event = on_board(&p.packager, b"not a zip at all".to_vec(), Some(&callback)).await;
    assert_eq!(event["package_metadata"]["error_code"], "not-a-zip");
    let received: Value = reqwest::get(format!(
        "{}/api/v1/received/wait?path=/callbacks/notzip&count=1&timeout_ms=10000",
        p.mock
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        received["callbacks"][0]["body"]["package_process_status"],
        "failed"
    );
}

fn uuid_v4() -> String {
    format!("{:08x}-0000-4000-8000-000000000000", std::process::id())
}
