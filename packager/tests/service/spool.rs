//! Temporary files: the spool directory is empty again after a success, a failure and every
//! kind of rejected upload, and an upload over the limit is refused while it streams.

use futures_util::stream;
use package_format::test_support::sample_package;
use reqwest::multipart::{Form, Part};

use crate::helpers::{code, form, Backend, Platform};

const LIMIT: u64 = 16 * 1024;

async fn platform() -> Platform {
    Platform::start_with(Backend::Sqlite, |c| c.max_upload_bytes = LIMIT).await
}

#[tokio::test]
async fn temporary_files_are_gone_after_success_and_after_failure() {
    let p = platform().await;
    let ok = p
        .packager
        .on_board(form(sample_package("eu.t", "ok", "0.1"), "ok.tgo", None))
        .await;
    assert_eq!(ok["package_process_status"], "success", "{ok}");
    p.packager.assert_spool_clean("a success").await;
    let dup = p
        .packager
        .on_board(form(sample_package("eu.t", "ok", "0.1"), "ok.tgo", None))
        .await;
    assert_eq!(code(&dup), "duplicate-package");
    p.packager.assert_spool_clean("a duplicate").await;
    let bad = p
        .packager
        .on_board(form(b"PK\x03\x04 truncated".to_vec(), "t.tgo", None))
        .await;
    assert_eq!(code(&bad), "not-a-zip");
    p.packager.assert_spool_clean("a broken archive").await;
}

/// A body of `size` bytes sent in chunks with no declared length.
fn streamed(size: usize) -> Part {
    let chunks = (0..size.div_ceil(1024)).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1024]));
    Part::stream(reqwest::Body::wrap_stream(stream::iter(chunks))).file_name("big.tgo")
}

#[tokio::test]
async fn temporary_files_are_gone_after_rejected_uploads() {
    let p = platform().await;
    let declared = p
        .packager
        .upload(form(vec![0; 2 * LIMIT as usize], "big.tgo", None))
        .await;
    assert_eq!(declared.status(), 413, "declared length over the limit");
    p.packager.assert_spool_clean("a declared 413").await;

    let chunked = p
        .packager
        .upload(Form::new().part("package", streamed(2 * LIMIT as usize)))
        .await;
    assert_eq!(chunked.status(), 413, "streamed over the limit");
    let body: serde_json::Value = chunked.json().await.unwrap();
    assert_eq!(body["code"], "payload-too-large");
    p.packager.assert_spool_clean("a streamed 413").await;

    let bad_field = p
        .packager
        .upload(form(sample_package("eu.t", "f", "0.1"), "f.tgo", None).text("skip_store", "maybe"))
        .await;
    assert_eq!(bad_field.status(), 400);
    p.packager
        .assert_spool_clean("a bad field after the file")
        .await;

    let twice = p
        .packager
        .upload(
            form(sample_package("eu.t", "g", "0.1"), "g.tgo", None)
                .part("package", Part::bytes(b"again".to_vec()).file_name("h.tgo")),
        )
        .await;
    assert_eq!(twice.status(), 400);
    p.packager
        .assert_spool_clean("a package part given twice")
        .await;

    // Within the limit, streamed with no declared length, the upload is accepted.
    let small = sample_package("eu.t", "small", "0.1");
    let part = Part::stream(reqwest::Body::wrap_stream(stream::iter([Ok::<
        _,
        std::io::Error,
    >(small)])))
    .file_name("small.tgo");
    let event = p.packager.on_board(Form::new().part("package", part)).await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    p.packager.assert_spool_clean("a streamed success").await;
    assert_eq!(
        p.catalogue.list("packages").await.len(),
        1,
        "only the last upload"
    );
}
