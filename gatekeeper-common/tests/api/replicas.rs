//! Two gatekeeper replicas on one PostgreSQL database (behind one load balancer) answer alike.

use std::time::Duration;

use crate::helpers::packages::sample;
use crate::helpers::{Backend, CallbackMock, Platform, TestApp, TestDb};

#[tokio::test]
async fn two_replicas_on_one_postgres_database_answer_the_same_status() {
    let db = TestDb::new(Backend::Postgres).await;
    let mock = CallbackMock::spawn().await;
    let platform = Platform::start_gated(Backend::Postgres, |_| {}).await;
    let a = TestApp::spawn(platform.config(&db)).await;
    // Replica B hands the packager replica A's on-change URL: the outcome arrives at A.
    let mut cfg = platform.config(&db);
    cfg.callback_base = Some(a.base.clone());
    let b = TestApp::spawn(cfg).await;

    let id = b
        .upload_ok(
            "r.tgo",
            sample("replicated"),
            &[("callback_url", &mock.callback_url("r"))],
        )
        .await;
    let path = format!("/packages/status/{id}");
    let (status_a, running_a) = a.get_json(&path).await;
    let (status_b, running_b) = b.get_json(&path).await;
    assert_eq!((status_a, status_b), (200, 200));
    assert_eq!(running_a, running_b);
    assert_eq!(running_a["status"], "running");

    platform.gate().open();
    let done_b = b.wait_finished(&id, Duration::from_secs(20)).await;
    assert_eq!(done_b["package_process_status"], "success", "{done_b}");
    let (_, done_a) = a.get_json(&path).await;
    assert_eq!(done_a, done_b);
    let package = done_b["package_id"].as_str().unwrap();
    assert_eq!(b.get_json(&format!("/packages/{package}")).await.0, 200);

    // Both replicas' outbox workers compete for the one delivery: it arrives once.
    mock.wait_for("r", 1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mock.attempts("r").await.len(), 1);
}
