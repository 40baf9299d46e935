//! Decision 4: a process the packager never finishes (its catalogue does not answer) is
//! failed with `timeout` and its callback fires.

use std::time::Duration;

use crate::both_backends;
use crate::helpers::packages::sample;
use crate::helpers::{event, Backend, CallbackMock, Platform, TestApp, TestDb};

async fn a_process_without_outcome_fails_with_timeout_and_calls_back(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let platform = Platform::start_gated(backend, |_| {}).await;
    let mut cfg = platform.config(&db);
    cfg.process_timeout = Duration::from_millis(500);
    let app = TestApp::spawn(cfg).await;
    let id = app
        .upload_ok(
            "t.tgo",
            sample("slow"),
            &[("callback_url", &mock.callback_url("late"))],
        )
        .await;
    platform
        .gate()
        .wait_for_connections(1, Duration::from_secs(10))
        .await;

    let done = app.wait_finished(&id, Duration::from_secs(10)).await;
    assert_eq!(done["package_process_status"], "failed");
    assert_eq!(done["package_metadata"]["error_code"], "timeout");
    assert!(done["package_metadata"]["error"].is_string());
    let got = mock.wait_for("late", 1, Duration::from_secs(10)).await;
    assert_eq!(got[0]["body"], done);

    // The catalogue comes back and the packager stores the package after all: its late
    // success changes nothing, and the package it stored is removed again (decision 5).
    platform.gate().open();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let late = platform.packager_status(&id).await;
        if late.get("package_process_status").is_some() {
            assert_eq!(late["package_process_status"], "success", "{late}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the packager never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !platform.catalogue_list("packages").await.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the late package stayed in the catalogue"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, after) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(after, done);
    assert_eq!(mock.attempts("late").await.len(), 1);

    // A forged late success naming another package removes nothing: the packager's own
    // status of the process does not name it.
    // (Uploaded through a replica with the default deadline, so it cannot time out itself.)
    let patient = TestApp::spawn(platform.config(&db)).await;
    let other = patient.onboard_ok("o.tgo", sample("other")).await;
    let mut forged = event(&id, true);
    forged["package_id"] = other.clone().into();
    let (status, answer) = app.post_event(&forged).await;
    assert_eq!((status, &answer["already_finished"]), (200, &true.into()));
    assert_eq!(app.get_json(&format!("/packages/{other}")).await.0, 200);
}

both_backends!(a_process_without_outcome_fails_with_timeout_and_calls_back);
