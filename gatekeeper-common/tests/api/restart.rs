use std::time::Duration;

use crate::both_backends;
use crate::helpers::fake_packager::Mode;
use crate::helpers::{event, with_packager, Backend, CallbackMock, TestApp, TestDb};

async fn status_survives_a_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (_packager, cfg) = with_packager(&db, Mode::Accept).await;
    let first = TestApp::spawn(cfg.clone()).await;
    let running = first.upload_ok(&[]).await;
    let finished = first.upload_ok(&[]).await;
    first.post_event(&event(&finished, true)).await;
    first.stopper.stop().await;

    let second = TestApp::spawn(cfg).await;
    let (status, body) = second
        .get_json(&format!("/packages/status/{running}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "running");
    let (status, body) = second
        .get_json(&format!("/packages/status/{finished}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["package_process_status"], "success");
    // The callback for the process started before the restart is still accepted.
    let (status, _) = second.post_event(&event(&running, false)).await;
    assert_eq!(status, 200);
}

async fn a_pending_delivery_survives_a_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let (_packager, cfg) = with_packager(&db, Mode::Accept).await;
    let first = TestApp::spawn(cfg.clone()).await;
    mock.fail_for(60_000).await;
    let id = first
        .upload_ok(&[("callback_url", &mock.callback_url("survivor"))])
        .await;
    first.post_event(&event(&id, true)).await;
    // Wait until the first instance has tried (and failed) at least once, then stop it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while mock.attempts("survivor").await.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no attempt before the restart"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.stopper.stop().await;
    mock.stop_failing().await;

    let _second = TestApp::spawn(cfg).await;
    let got = mock.wait_for("survivor", 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["body"]["package_process_uuid"], id.as_str());
}

both_backends!(
    status_survives_a_restart,
    a_pending_delivery_survives_a_restart
);
