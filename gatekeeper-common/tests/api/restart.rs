//! A gatekeeper restart loses no process and no pending delivery.

use std::time::Duration;

use crate::both_backends;
use crate::helpers::packages::{bad_checksum, sample};
use crate::helpers::{free_port, stack, Backend, CallbackMock, Platform, TestApp, TestDb};

/// A process in flight at the packager (its catalogue is unreachable for now) survives the
/// restart: the new instance, on the same address and database, reports it running and
/// receives its outcome when the packager finishes.
async fn status_survives_a_restart_with_a_process_in_flight(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let platform = Platform::start_gated(backend, |_| {}).await;
    let mut cfg = platform.config(&db);
    cfg.bind = format!("127.0.0.1:{}", free_port());
    let first = TestApp::spawn(cfg.clone()).await;
    // A broken package fails in the packager before it needs the catalogue.
    let (failed, _) = first.onboard("b.tgo", bad_checksum("restart"), &[]).await;
    let running = first
        .upload_ok(
            "r.tgo",
            sample("restart"),
            &[("callback_url", &mock.callback_url("restart"))],
        )
        .await;
    platform
        .gate()
        .wait_for_connections(1, Duration::from_secs(10))
        .await;
    first.stopper.stop().await;

    let second = TestApp::spawn(cfg).await;
    assert_eq!(second.base, first.base);
    let (status, body) = second
        .get_json(&format!("/packages/status/{running}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "running");
    assert!(body.get("package_process_status").is_none());
    let (status, body) = second.get_json(&format!("/packages/status/{failed}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["package_process_status"], "failed");

    platform.gate().open();
    let done = second
        .wait_finished(&running, Duration::from_secs(20))
        .await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    let got = mock.wait_for("restart", 1, Duration::from_secs(10)).await;
    assert_eq!(got[0]["body"], done);
    let package = done["package_id"].as_str().unwrap();
    assert_eq!(
        second.get_json(&format!("/packages/{package}")).await.0,
        200
    );
}

async fn a_pending_delivery_survives_a_restart(backend: Backend) {
    let (db, platform, first) = stack(backend).await;
    let mock = CallbackMock::spawn().await;
    mock.fail_for(60_000).await;
    let (id, _) = first
        .onboard(
            "s.tgo",
            sample("survivor"),
            &[("callback_url", &mock.callback_url("survivor"))],
        )
        .await;
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

    let _second = TestApp::spawn(platform.config(&db)).await;
    let got = mock.wait_for("survivor", 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["body"]["package_process_uuid"], id.as_str());
    let ids: std::collections::BTreeSet<String> = mock
        .attempts("survivor")
        .await
        .iter()
        .map(|a| a["delivery_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "the retried delivery kept its id across the restart"
    );
}

both_backends!(
    status_survives_a_restart_with_a_process_in_flight,
    a_pending_delivery_survives_a_restart
);
