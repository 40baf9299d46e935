//! Files and .tgo packages: dedup (§13.6), streamed byte-identical downloads, ranges, limits.

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{assert_error, json, on_every_store, Backend, TestApp};

on_every_store!(
    file_dedup_and_reference_counting,
    downloads_are_byte_identical_with_ranges,
    tgo_packages_are_new_records_sharing_blobs,
    bad_uploads_store_nothing,
    concurrent_uploads_give_one_record,
    big_uploads_round_trip,
    aborted_upload_leaves_nothing_behind,
);

pub fn bytes_of(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

pub async fn uuid_of(response: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    json(response).await["uuid"].as_str().unwrap().to_owned()
}

/// F3–F15 (F10/F12 as the spec's note says: `File referenced => 2`).
async fn file_dedup_and_reference_counting(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (example, cfg) = (bytes_of(1, 5000), bytes_of(2, 300));
    let a = uuid_of(
        app.upload("/files", "dir/MyExample", example.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    let b = uuid_of(
        app.upload("/files", "dir/MyExample.cfg", cfg.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        uuid_of(
            app.upload("/files", "dir/MyExample", example.clone()).await,
            StatusCode::OK
        )
        .await,
        a
    );
    assert_eq!(
        uuid_of(
            app.upload("/files", "dir/MyExample.cfg", cfg.clone()).await,
            StatusCode::OK
        )
        .await,
        b
    );
    let c = uuid_of(
        app.upload("/files", "dir/MyExample_dup", example.clone())
            .await,
        StatusCode::OK,
    )
    .await;
    let d = uuid_of(
        app.upload("/files", "dir/MyExample_dup.cfg", cfg.clone())
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(c != a && d != b);
    assert_eq!(
        uuid_of(
            app.upload("/files", "dir/MyExample", example.clone()).await,
            StatusCode::OK
        )
        .await,
        a
    );
    assert_eq!(
        uuid_of(
            app.upload("/files", "dir/MyExample.cfg", cfg.clone()).await,
            StatusCode::OK
        )
        .await,
        b
    );
    assert_eq!(app.stored_blobs().await.len(), 2, "content stored once");

    let meta = json(app.get(&format!("/files/{c}")).await).await;
    assert_eq!(meta["md5"], format!("{:x}", md5_of(&example)));
    assert_eq!(meta["file_name"], "dir/MyExample_dup");
    assert_eq!(meta["pkg_ref"], 1);
    assert_eq!(app.count("/files").await, 4);
    assert_eq!(app.count("/files?file_name=dir/MyExample").await, 1);

    for (id, expected) in [
        (&a, "File referenced => 2"),
        (&a, "File referenced => 1"),
        (&a, "File removed"),
    ] {
        assert_eq!(
            json(app.delete(&format!("/files/{id}")).await).await["OK"],
            expected
        );
    }
    let still = app
        .client
        .get(app.url(&format!("/files/{c}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.bytes().await.unwrap().as_ref(),
        example.as_slice(),
        "C keeps the shared blob"
    );
    for id in [&b, &b, &b, &d, &c] {
        assert_eq!(
            app.delete(&format!("/files/{id}")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(app.count("/files").await, 0);
    assert!(
        app.stored_blobs().await.is_empty(),
        "unreferenced blobs are collected"
    );
}

fn md5_of(bytes: &[u8]) -> impl std::fmt::LowerHex {
    use md5::{Digest as _, Md5};
    Md5::digest(bytes)
}

async fn downloads_are_byte_identical_with_ranges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let content = bytes_of(7, 300_000);
    let id = uuid_of(
        app.upload("/files", "\"some file.bin\"", content.clone())
            .await,
        StatusCode::CREATED,
    )
    .await;
    let response = app
        .client
        .get(app.url(&format!("/files/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(
        headers["content-length"],
        content.len().to_string().as_str()
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("some file.bin"),
        "{disposition}"
    );
    let sha = hex::encode(Sha256::digest(&content));
    assert_eq!(headers["etag"], format!("\"{sha}\"").as_str());
    assert_eq!(response.bytes().await.unwrap().as_ref(), content.as_slice());

    let ranged = |range: &'static str| {
        app.client
            .get(app.url(&format!("/files/{id}")))
            .header("Range", range)
            .send()
    };
    let part = ranged("bytes=100-199").await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], "bytes 100-199/300000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &content[100..200]);
    let tail = ranged("bytes=-10").await.unwrap();
    assert_eq!(
        tail.bytes().await.unwrap().as_ref(),
        &content[content.len() - 10..]
    );
    let open_end = ranged("bytes=299990-").await.unwrap();
    assert_eq!(open_end.bytes().await.unwrap().len(), 10);
    let outside = ranged("bytes=300000-300010").await.unwrap();
    assert_error(
        outside,
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range-not-satisfiable",
    )
    .await;

    let cached = app
        .client
        .get(app.url(&format!("/files/{id}")))
        .header("If-None-Match", format!("\"{sha}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
}

async fn tgo_packages_are_new_records_sharing_blobs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let archive = bytes_of(3, 40_000);
    let first = uuid_of(
        app.upload("/tgo-packages", "pkg.tgo", archive.clone())
            .await,
        StatusCode::CREATED,
    )
    .await;
    let second = uuid_of(
        app.upload("/tgo-packages", "pkg.tgo", archive.clone())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(first, second);
    assert_eq!(app.stored_blobs().await.len(), 1);
    let download = app
        .client
        .get(app.url(&format!("/tgo-packages/{first}")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.headers()["content-type"], "application/zip");
    assert_eq!(download.bytes().await.unwrap().as_ref(), archive.as_slice());
    let meta: Value = json(app.get(&format!("/tgo-packages/{second}")).await).await;
    assert_eq!(meta["size"], archive.len());
    assert_eq!(
        json(app.delete(&format!("/tgo-packages/{first}")).await).await["OK"],
        "tgo-package removed"
    );
    assert_eq!(
        app.stored_blobs().await.len(),
        1,
        "still used by the second record"
    );
    app.delete(&format!("/tgo-packages/{second}")).await;
    assert!(app.stored_blobs().await.is_empty());
}

async fn bad_uploads_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.max_upload_bytes = 10_000).await;
    let wrong_type = app
        .client
        .post(app.url("/files"))
        .header("Content-Type", "application/json")
        .header("Content-Disposition", "attachment; filename=x")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(
        wrong_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    let zip_as_file = app
        .client
        .post(app.url("/tgo-packages"))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Disposition", "attachment; filename=x")
        .body("PK")
        .send()
        .await
        .unwrap();
    assert_error(
        zip_as_file,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    let no_name = app
        .client
        .post(app.url("/files"))
        .header("Content-Type", "application/octet-stream")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_error(
        no_name,
        StatusCode::BAD_REQUEST,
        "missing-content-disposition",
    )
    .await;
    let too_big = app.upload("/files", "big", bytes_of(1, 10_001)).await;
    assert_error(too_big, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
    // Without a Content-Length the limit is enforced while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![0u8; 1000])).collect();
    let streamed = app
        .client
        .post(app.url("/files"))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Disposition", "attachment; filename=streamed")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_error(streamed, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
    assert_eq!(app.count("/files").await, 0);
    assert_eq!(app.count("/tgo-packages").await, 0);
    assert!(app.stored_blobs().await.is_empty());
    assert_eq!(app.staged_files().await, 0, "partial uploads are removed");
}

async fn concurrent_uploads_give_one_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let content = bytes_of(9, 20_000);
    let uploads = (0..6).map(|_| app.upload("/files", "same.bin", content.clone()));
    let mut ids = Vec::new();
    let mut created = 0;
    for response in futures_util::future::join_all(uploads).await {
        if response.status() == StatusCode::CREATED {
            created += 1;
        }
        ids.push(json(response).await["uuid"].clone());
    }
    assert_eq!(created, 1);
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    let list = json(app.get("/files").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["pkg_ref"], 6);
    assert_eq!(app.stored_blobs().await.len(), 1);
}

/// 20 MiB: several parts of a multipart upload on S3; read back whole and across a part
/// boundary.
async fn big_uploads_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let content = bytes_of(11, 20 * 1024 * 1024 + 123);
    let id = uuid_of(
        app.upload("/files", "big.bin", content.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    let whole = app.download(&format!("/files/{id}"), None).await;
    assert_eq!(
        whole.headers()["content-length"],
        content.len().to_string().as_str()
    );
    let body = whole.bytes().await.unwrap();
    assert!(body.as_ref() == content.as_slice(), "byte-identical");
    let boundary = 8 * 1024 * 1024;
    let range = format!("bytes={}-{}", boundary - 5, boundary + 4);
    let part = app.download(&format!("/files/{id}"), Some(&range)).await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.bytes().await.unwrap().as_ref(),
        &content[boundary - 5..boundary + 5]
    );
    assert_eq!(app.staged_files().await, 0);
}

/// A client that goes away mid-upload (12 of 20 MiB sent) leaves no record, no staged
/// file and, on S3, no unfinished multipart upload.
async fn aborted_upload_leaves_nothing_behind(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(backend).await;
    let address = app
        .base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/catalogues/v2/files HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=cut.bin\r\n\
         Content-Length: {}\r\n\r\n",
        20 * 1024 * 1024
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket
        .write_all(&bytes_of(5, 12 * 1024 * 1024))
        .await
        .unwrap();
    socket.flush().await.unwrap();
    let mut under_way = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let begun = match backend {
            Backend::PostgresS3 => app.unfinished_multipart_uploads().await,
            _ => app.staged_files().await,
        };
        if begun == 1 {
            under_way = true;
            break;
        }
    }
    assert!(under_way, "the upload is staging when the client goes away");
    drop(socket);
    let mut clean = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if app.staged_files().await == 0 && app.unfinished_multipart_uploads().await == 0 {
            clean = true;
            break;
        }
    }
    assert!(clean, "a staged upload or multipart upload was left behind");
    assert_eq!(app.count("/files").await, 0);
    assert!(app.stored_blobs().await.is_empty());
}
