//! Files kept as byte ranges of their package archive (`in_archive` bundle parts, ADR-31):
//! stored once, read back exactly, and collected with the last record that uses them.

use md5::Md5;
use reqwest::{
    multipart::{Form, Part},
    StatusCode,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{assert_error, json, on_both_backends, on_every_store, Backend, TestApp};

on_every_store!(a_file_in_the_archive_is_stored_once_and_reads_back_exactly);
on_both_backends!(
    a_file_shared_with_another_package_keeps_the_archive_it_is_in,
    an_uploaded_copy_frees_the_archive_a_file_was_in,
    ranges_that_cannot_be_read_store_nothing,
);

/// Bigger than one hashing batch, so the range spans several.
fn artifact() -> Vec<u8> {
    (0..3 * 1024 * 1024 + 4321)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// An "archive": `prefix`, the artifact, a trailer; and the artifact's range in it.
fn archive(prefix: &[u8], artifact: &[u8]) -> (Vec<u8>, Value) {
    let mut bytes = prefix.to_vec();
    bytes.extend_from_slice(artifact);
    bytes.extend_from_slice(b"PK\x05\x06 trailer");
    let range = json!({"offset": prefix.len(), "length": artifact.len()});
    (bytes, range)
}

/// Package `eu.s.<name>.0.1` with one file, `in_archive` at `range` (or sent as a part when
/// `range` is null).
fn manifest(name: &str, range: &Value) -> Value {
    let mut part = json!({"collection": "files", "content_index": 0, "file_name": "image.img",
        "source": "Images/image.img"});
    if !range.is_null() {
        part["in_archive"] = range.clone();
    }
    json!({
        "package": {
            "vendor": "eu.s", "name": name, "version": "0.1",
            "package_file_name": format!("{name}.tgo"),
            "package_content": [
                {"source": "Images/image.img", "content-type": "application/octet-stream"},
            ],
        },
        "parts": [part],
        "archive": {"file_name": format!("{name}.tgo")},
    })
}

fn bytes_part(bytes: Vec<u8>, mime: &str) -> Part {
    Part::bytes(bytes).mime_str(mime).unwrap()
}

async fn post(app: &TestApp, manifest: &Value, archive: Vec<u8>) -> reqwest::Response {
    let form = Form::new()
        .part(
            "manifest",
            bytes_part(manifest.to_string().into_bytes(), "application/json"),
        )
        .part("archive", bytes_part(archive, "application/zip"));
    app.post_bundle(form).await
}

/// Stores a package whose one file is in its archive; the stored bundle.
async fn store(app: &TestApp, name: &str, archive: (Vec<u8>, Value)) -> Value {
    let response = post(app, &manifest(name, &archive.1), archive.0).await;
    let status = response.status();
    let stored = json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    stored
}

fn file_of(stored: &Value) -> String {
    stored["parts"][0]["uuid"].as_str().unwrap().to_owned()
}

async fn bytes_of(app: &TestApp, path: &str, range: Option<&str>) -> (StatusCode, Vec<u8>) {
    let response = app.download(path, range).await;
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

fn sorted(mut shas: Vec<String>) -> Vec<String> {
    shas.sort();
    shas
}

async fn a_file_in_the_archive_is_stored_once_and_reads_back_exactly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let artifact = artifact();
    let (bytes, range) = archive(b"PK\x03\x04 local header of image.img ", &artifact);
    let archive_sha = hex::encode(Sha256::digest(&bytes));
    let stored = store(&app, "one", (bytes.clone(), range)).await;
    let file = file_of(&stored);

    let record = json(app.get(&format!("/files/{file}")).await).await;
    assert_eq!(
        record["sha256"],
        hex::encode(Sha256::digest(&artifact)),
        "{record}"
    );
    assert_eq!(
        record["md5"],
        hex::encode(Md5::digest(&artifact)),
        "{record}"
    );
    assert_eq!(record["size"], artifact.len(), "{record}");

    let response = app.download(&format!("/files/{file}"), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-length"],
        artifact.len().to_string().as_str()
    );
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        artifact.as_slice(),
        "the file"
    );
    let (status, part) = bytes_of(&app, &format!("/files/{file}"), Some("bytes=10-19")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, artifact[10..20]);
    let (status, tail) = bytes_of(&app, &format!("/files/{file}"), Some("bytes=-5")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail, artifact[artifact.len() - 5..]);
    let tgo = stored["archive"]["uuid"].as_str().unwrap();
    let (_, whole) = bytes_of(&app, &format!("/tgo-packages/{tgo}"), None).await;
    assert_eq!(whole, bytes, "the archive");

    assert_eq!(
        app.stored_blobs().await,
        vec![archive_sha],
        "one copy of the bytes"
    );
    assert_eq!(app.staged_files().await, 0);

    let uuid = stored["uuid"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/packages/{uuid}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.count("/files").await, 0);
    assert_eq!(app.count("/tgo-packages").await, 0);
    assert!(
        app.stored_blobs().await.is_empty(),
        "the archive collected with its file"
    );
}

async fn a_file_shared_with_another_package_keeps_the_archive_it_is_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let artifact = artifact();
    let first = archive(b"first archive ", &artifact);
    let second = archive(b"the second archive ", &artifact);
    let first_sha = hex::encode(Sha256::digest(&first.0));
    let second_sha = hex::encode(Sha256::digest(&second.0));
    let one = store(&app, "one", first).await;
    let two = store(&app, "two", second).await;
    assert_eq!(file_of(&one), file_of(&two), "the same file, counted twice");
    let file = format!("/files/{}", file_of(&one));
    assert_eq!(json(app.get(&file).await).await["pkg_ref"], 2);

    let uuid = one["uuid"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/packages/{uuid}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.count("/tgo-packages").await, 1);
    assert_eq!(json(app.get(&file).await).await["pkg_ref"], 1);
    assert_eq!(
        bytes_of(&app, &file, None).await.1,
        artifact,
        "still readable"
    );
    assert_eq!(
        sorted(app.stored_blobs().await),
        sorted(vec![first_sha, second_sha]),
        "the first archive is kept: the file's bytes are in it"
    );

    let uuid = two["uuid"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/packages/{uuid}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.count("/files").await, 0);
    assert!(
        app.stored_blobs().await.is_empty(),
        "both archives collected"
    );
}

async fn an_uploaded_copy_frees_the_archive_a_file_was_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let artifact = artifact();
    let stored = store(&app, "one", archive(b"an archive ", &artifact)).await;
    let upload = app.upload("/files", "copy.img", artifact.clone()).await;
    assert_eq!(
        upload.status(),
        StatusCode::OK,
        "the same bytes, so not new content"
    );
    let copy = json(upload).await["uuid"].as_str().unwrap().to_owned();

    let uuid = stored["uuid"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/packages/{uuid}")).await.status(),
        StatusCode::OK
    );
    let artifact_sha = hex::encode(Sha256::digest(&artifact));
    assert_eq!(
        app.stored_blobs().await,
        vec![artifact_sha],
        "the archive is collected; the uploaded copy holds the bytes now"
    );
    assert_eq!(
        bytes_of(&app, &format!("/files/{copy}"), None).await.1,
        artifact
    );
}

async fn ranges_that_cannot_be_read_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (bytes, _) = archive(b"prefix ", b"short artifact");
    let beyond = json!({"offset": 7, "length": bytes.len()});
    let response = post(&app, &manifest("beyond", &beyond), bytes.clone()).await;
    let body = assert_error(response, StatusCode::BAD_REQUEST, "invalid-bundle").await;
    assert!(body["error"].as_str().unwrap().contains("beyond"), "{body}");

    let empty = json!({"offset": 7, "length": 0});
    let response = post(&app, &manifest("empty", &empty), bytes.clone()).await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid-bundle").await;

    let mut overlapping = manifest("overlap", &json!({"offset": 0, "length": 10}));
    let content = overlapping["package"]["package_content"]
        .as_array_mut()
        .unwrap();
    content.push(json!({"source": "Images/b.img", "content-type": "application/octet-stream"}));
    overlapping["parts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"collection": "files",
        "content_index": 1, "file_name": "b.img", "in_archive": {"offset": 9, "length": 2}}));
    let response = post(&app, &overlapping, bytes.clone()).await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid-bundle").await;

    let mut descriptor = manifest("descriptor", &Value::Null);
    descriptor["parts"][0]["collection"] = json!("vnfs");
    descriptor["parts"][0]["in_archive"] = json!({"offset": 0, "length": 3});
    let response = post(&app, &descriptor, bytes).await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid-bundle").await;

    for collection in ["/files", "/tgo-packages", "/packages"] {
        assert_eq!(app.count(collection).await, 0, "{collection}");
    }
    assert!(app.stored_blobs().await.is_empty(), "no blob kept");
    assert_eq!(app.staged_files().await, 0, "staged uploads removed");
}
