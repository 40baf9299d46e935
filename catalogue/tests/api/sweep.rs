//! The blob sweep: bytes and staged uploads that no record references are collected after
//! the grace period; what a record uses is never taken, even while uploads race the sweep.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use catalogue::config::BlobStoreUrl;
use futures_util::StreamExt;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::{
    blobs::{bytes_of, uuid_of},
    helpers::{on_both_backends, on_every_store, Backend, TestApp},
};

on_every_store!(sweep_removes_what_no_record_references);
on_both_backends!(sweep_never_takes_bytes_a_record_uses);

/// Stores bytes at their content address behind the service's back: no row, no record.
async fn put_orphan(app: &TestApp, content: Vec<u8>) -> String {
    let staged = stage(app, content).await;
    let sha = staged.digests.sha256.clone();
    app.store.commit(staged).await.expect("commit");
    sha
}

async fn stage(app: &TestApp, content: Vec<u8>) -> catalogue::blobstore::StagedBlob {
    let body = futures_util::stream::once(async move { Ok(Bytes::from(content)) }).boxed_local();
    app.store
        .save_stream(body, u64::MAX)
        .await
        .expect("stage bytes")
}

async fn download(app: &TestApp, id: &str) -> Bytes {
    let response = app.download(&format!("/files/{id}"), None).await;
    assert_eq!(response.status(), StatusCode::OK, "download {id}");
    response.bytes().await.unwrap()
}

async fn sweep_removes_what_no_record_references(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.blob_sweep_interval = Some(Duration::from_millis(300));
        c.blob_sweep_grace = Duration::from_secs(2);
    })
    .await;
    let content = bytes_of(20, 4000);
    let kept = uuid_of(
        app.upload("/files", "kept.bin", content.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    let orphan = put_orphan(&app, bytes_of(21, 1000)).await;
    // A staged upload its process never finished (as after a crash).
    std::mem::forget(stage(&app, bytes_of(22, 1000)).await);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        app.stored_blobs().await.contains(&orphan),
        "kept within the grace period"
    );
    assert_eq!(app.staged_files().await, 1, "kept within the grace period");
    let mut swept = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if !app.stored_blobs().await.contains(&orphan) && app.staged_files().await == 0 {
            swept = true;
            break;
        }
    }
    assert!(
        swept,
        "the orphan and the stale staged upload are collected"
    );
    assert_eq!(
        app.stored_blobs().await,
        vec![hex::encode(Sha256::digest(&content))]
    );
    assert!(download(&app, &kept).await.as_ref() == content.as_slice());
}

/// Old orphans of the very bytes being uploaded, a sweep every 20 ms: each upload either
/// reuses the orphan before the sweep takes it or stores its bytes afresh; no record ever
/// ends up without its bytes.
async fn sweep_never_takes_bytes_a_record_uses(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.blob_sweep_interval = Some(Duration::from_millis(20));
        c.blob_sweep_grace = Duration::from_secs(1);
    })
    .await;
    let BlobStoreUrl::Local(dir) = app.store_url.clone() else {
        panic!("a local store");
    };
    let mut uploaded = Vec::new();
    for i in 0..12u8 {
        let content = bytes_of(40 + i, 3000 + usize::from(i));
        let sha = put_orphan(&app, content.clone()).await;
        let path = dir.join(&sha[..2]).join(&sha);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(SystemTime::now() - Duration::from_secs(3600)))
            .expect("backdate the orphan");
        let id = uuid_of(
            app.upload("/files", &format!("f{i}"), content.clone())
                .await,
            StatusCode::CREATED,
        )
        .await;
        uploaded.push((id, content));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (id, content) in &uploaded {
        assert!(download(&app, id).await.as_ref() == content.as_slice());
    }
    assert_eq!(app.stored_blobs().await.len(), uploaded.len());
}
