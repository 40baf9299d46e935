//! `POST /packages/bundle`: a whole package stored in one transaction, or nothing of it.

use reqwest::{
    multipart::{Form, Part},
    Response, StatusCode,
};
use serde_json::{json, Value};

use crate::helpers::{assert_error, json, on_every_store, Backend, TestApp};

on_every_store!(
    a_bundle_stores_every_part_and_the_completed_package,
    a_bundle_reuses_descriptors_other_packages_hold,
    a_duplicate_bundle_stores_nothing,
    a_refused_part_stores_nothing_and_is_named,
    an_archive_with_another_digest_stores_nothing,
    a_bundle_cancelled_before_it_arrives_stores_nothing,
    a_cancel_after_the_store_removes_the_package_and_can_be_repeated,
    a_request_id_is_used_once_and_must_be_well_formed,
);

const ARCHIVE: &[u8] = b"PK\x05\x06 pretend this is a zip";
const ARTIFACT: &[u8] = b"an artifact, stored as a generic file";

fn vnfd() -> Value {
    json!({"vendor": "eu.b", "name": "vnf", "version": "0.1", "descriptor_schema": "x"})
}

fn nsd() -> Value {
    json!({"vendor": "eu.b", "name": "ns", "version": "0.1", "network_functions": []})
}

/// The manifest of package `eu.b.<name>.0.1`: a VNFD, an NSD and a file.
fn manifest(name: &str, archive_sha256: Option<&str>) -> Value {
    json!({
        "username": "tester",
        "package": {
            "vendor": "eu.b", "name": name, "version": "0.1",
            "package_file_name": "p.tgo",
            "package_content": [
                {"source": "Definitions/vnfd.yml", "content-type": "application/vnd.5gtango.vnfd",
                 "id": {"vendor": "eu.b", "name": "vnf", "version": "0.1"}},
                {"source": "Definitions/nsd.yml", "content-type": "application/vnd.5gtango.nsd",
                 "id": {"vendor": "eu.b", "name": "ns", "version": "0.1"}},
                {"source": "Docs/a.bin", "content-type": "application/octet-stream"},
            ],
        },
        "parts": [
            {"collection": "vnfs", "content_index": 0, "platform": "5gtango", "source": "Definitions/vnfd.yml"},
            {"collection": "network-services", "content_index": 1, "source": "Definitions/nsd.yml"},
            {"collection": "files", "content_index": 2, "file_name": "a.bin", "source": "Docs/a.bin"},
        ],
        "archive": {"file_name": "p.tgo", "sha256": archive_sha256},
    })
}

fn json_part(value: &Value) -> Part {
    Part::bytes(value.to_string().into_bytes())
        .mime_str("application/json")
        .unwrap()
}

fn bytes_part(bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec())
        .mime_str("application/octet-stream")
        .unwrap()
}

fn form(manifest: &Value, nsd: Part) -> Form {
    Form::new()
        .part("manifest", json_part(manifest))
        .part("part", json_part(&vnfd()))
        .part("part", nsd)
        .part("part", bytes_part(ARTIFACT))
        .part("archive", bytes_part(ARCHIVE))
}

async fn post(app: &TestApp, form: Form) -> Response {
    app.post_bundle(form).await
}

/// The `pkg_ref` of the VNFD (the first part) of a stored bundle.
async fn vnf_references(app: &TestApp, stored: &Value) -> u64 {
    let uuid = stored["parts"][0]["uuid"].as_str().unwrap();
    let vnf = json(app.get(&format!("/vnfs/{uuid}")).await).await;
    vnf["pkg_ref"]
        .as_u64()
        .unwrap_or_else(|| panic!("no pkg_ref: {vnf}"))
}

/// How many records each collection holds.
async fn counts(app: &TestApp) -> Vec<u64> {
    let mut counts = Vec::new();
    for collection in [
        "/vnfs",
        "/network-services",
        "/packages",
        "/files",
        "/tgo-packages",
    ] {
        counts.push(app.count(collection).await);
    }
    counts
}

async fn a_bundle_stores_every_part_and_the_completed_package(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = post(&app, form(&manifest("one", None), json_part(&nsd()))).await;
    let status = response.status();
    let stored = json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let pd = &stored["package"]["pd"];
    assert_eq!(stored["uuid"], stored["package"]["uuid"], "{stored}");
    assert_eq!(stored["package"]["username"], "tester");
    let parts = stored["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3, "{stored}");
    for (index, route) in ["vnfs", "network-services", "files"].iter().enumerate() {
        let uuid = parts[index]["uuid"].as_str().unwrap();
        assert_eq!(parts[index]["content_index"], index);
        assert_eq!(pd["package_content"][index]["uuid"], uuid, "{pd}");
        let record = app.get(&format!("/{route}/{uuid}")).await;
        assert_eq!(record.status(), StatusCode::OK, "{route}/{uuid}");
    }
    let archive = &stored["archive"];
    assert_eq!(pd["package_file_uuid"], archive["uuid"]);
    let bytes = app
        .download(
            &format!("/tgo-packages/{}", archive["uuid"].as_str().unwrap()),
            None,
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), ARCHIVE);
    let file = parts[2]["uuid"].as_str().unwrap();
    let file = app.download(&format!("/files/{file}"), None).await;
    assert_eq!(file.bytes().await.unwrap().as_ref(), ARTIFACT);
    assert_eq!(counts(&app).await, vec![1, 1, 1, 1, 1]);
}

async fn a_bundle_reuses_descriptors_other_packages_hold(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = json(post(&app, form(&manifest("one", None), json_part(&nsd()))).await).await;
    let second = json(post(&app, form(&manifest("two", None), json_part(&nsd()))).await).await;
    assert_eq!(
        first["parts"][0]["uuid"], second["parts"][0]["uuid"],
        "the VNFD is shared"
    );
    let vnf = json(
        app.get(&format!(
            "/vnfs/{}",
            first["parts"][0]["uuid"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(vnf["pkg_ref"], 2, "{vnf}");
    // The same file under the same name is one record with two references, as on /files.
    assert_eq!(counts(&app).await, vec![1, 1, 2, 1, 2]);
    let gone = app
        .delete(&format!("/packages/{}", first["uuid"].as_str().unwrap()))
        .await;
    assert_eq!(gone.status(), StatusCode::OK);
    assert_eq!(
        counts(&app).await,
        vec![1, 1, 1, 1, 1],
        "the second keeps its parts"
    );
    assert_eq!(
        vnf_references(&app, &second).await,
        1,
        "the shared VNFD is counted down"
    );
}

async fn a_duplicate_bundle_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = json(post(&app, form(&manifest("one", None), json_part(&nsd()))).await).await;
    let before = counts(&app).await;
    let again = post(&app, form(&manifest("one", None), json_part(&nsd()))).await;
    let body = assert_error(again, StatusCode::CONFLICT, "duplicate-package").await;
    assert_eq!(body["uuid"], first["uuid"]);
    assert_eq!(counts(&app).await, before);
    assert_eq!(app.staged_files().await, 0, "staged uploads removed");
}

async fn a_refused_part_stores_nothing_and_is_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let broken = Part::bytes(b"name: x\n\tbroken: [\n".to_vec())
        .mime_str("application/x-yaml")
        .unwrap();
    let refused = post(&app, form(&manifest("bad", None), broken)).await;
    let body = assert_error(refused, StatusCode::BAD_REQUEST, "malformed-yaml").await;
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Definitions/nsd.yml"),
        "{body}"
    );
    assert_eq!(counts(&app).await, vec![0, 0, 0, 0, 0]);
    assert!(app.stored_blobs().await.is_empty(), "no blob kept");
    assert_eq!(app.staged_files().await, 0);
    let misnamed = Form::new().part("archive", bytes_part(ARCHIVE));
    assert_error(
        post(&app, misnamed).await,
        StatusCode::BAD_REQUEST,
        "invalid-bundle",
    )
    .await;
    let mut wrong_index = manifest("bad", None);
    wrong_index["parts"][2]["content_index"] = json!(7);
    let response = post(&app, form(&wrong_index, json_part(&nsd()))).await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid-bundle").await;
}

async fn an_archive_with_another_digest_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wrong = manifest("digest", Some(&"0".repeat(64)));
    let response = post(&app, form(&wrong, json_part(&nsd()))).await;
    assert_error(response, StatusCode::BAD_REQUEST, "archive-digest-mismatch").await;
    assert_eq!(counts(&app).await, vec![0, 0, 0, 0, 0]);
    use sha2::Digest as _;
    let right = hex::encode(sha2::Sha256::digest(ARCHIVE));
    let response = post(
        &app,
        form(&manifest("digest", Some(&right)), json_part(&nsd())),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// [`manifest`] sent with a request id.
fn manifest_with_id(name: &str, request_id: &str) -> Value {
    let mut manifest = manifest(name, None);
    manifest["request_id"] = request_id.into();
    manifest
}

async fn cancel(app: &TestApp, request_id: &str) -> (StatusCode, Value) {
    let response = app.delete(&format!("/packages/bundle/{request_id}")).await;
    let status = response.status();
    (status, json(response).await)
}

async fn a_bundle_cancelled_before_it_arrives_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, answer) = cancel(&app, "process-1").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "before-store", "{answer}");
    assert!(answer["package_uuid"].is_null(), "{answer}");
    let late = post(
        &app,
        form(&manifest_with_id("late", "process-1"), json_part(&nsd())),
    )
    .await;
    assert_error(late, StatusCode::CONFLICT, "bundle-cancelled").await;
    assert_eq!(counts(&app).await, vec![0, 0, 0, 0, 0]);
    assert_eq!(app.staged_files().await, 0, "staged uploads removed");
}

async fn a_cancel_after_the_store_removes_the_package_and_can_be_repeated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Another package holds the VNFD too: the cancel counts it down, not away.
    let other = post(&app, form(&manifest("other", None), json_part(&nsd()))).await;
    assert_eq!(other.status(), StatusCode::CREATED);
    let stored = post(
        &app,
        form(&manifest_with_id("mine", "process-2"), json_part(&nsd())),
    )
    .await;
    assert_eq!(stored.status(), StatusCode::CREATED);
    let stored = json(stored).await;
    assert_eq!(counts(&app).await, vec![1, 1, 2, 1, 2]);
    let (status, answer) = cancel(&app, "process-2").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "removed", "{answer}");
    assert_eq!(answer["package_uuid"], stored["uuid"], "{answer}");
    assert_eq!(
        counts(&app).await,
        vec![1, 1, 1, 1, 1],
        "the other package keeps its parts"
    );
    assert_eq!(
        vnf_references(&app, &stored).await,
        1,
        "the shared VNFD is counted down"
    );
    let (status, again) = cancel(&app, "process-2").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "already", "{again}");
    assert_eq!(counts(&app).await, vec![1, 1, 1, 1, 1]);
}

async fn a_request_id_is_used_once_and_must_be_well_formed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = post(
        &app,
        form(&manifest_with_id("once", "process-3"), json_part(&nsd())),
    )
    .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let before = counts(&app).await;
    // Another package under a used id: refused, not stored.
    let reused = post(
        &app,
        form(&manifest_with_id("twice", "process-3"), json_part(&nsd())),
    )
    .await;
    assert_error(reused, StatusCode::CONFLICT, "bundle-cancelled").await;
    assert_eq!(counts(&app).await, before);
    let bad = post(
        &app,
        form(
            &manifest_with_id("bad", "no spaces/here"),
            json_part(&nsd()),
        ),
    )
    .await;
    assert_error(bad, StatusCode::BAD_REQUEST, "invalid-bundle").await;
    let (status, answer) = cancel(&app, &"x".repeat(201)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "invalid-bundle", "{answer}");
    assert_eq!(counts(&app).await, before);
}
