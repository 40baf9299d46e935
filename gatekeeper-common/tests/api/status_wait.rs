//! `GET /packages/status/{id}?wait=` (ADR-26): the answer is held while the process runs and
//! given as soon as it finishes, here or on another replica; bounded in time and in number.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinHandle;

use crate::both_backends;
use crate::helpers::packages::sample;
use crate::helpers::{Backend, Platform, TestApp, TestDb};

/// A gatekeeper in front of a gated platform: its processes run until the gate opens.
async fn gated(backend: Backend, tweak: impl FnOnce(&mut gatekeeper_common::Config)) -> Stack {
    let db = TestDb::new(backend).await;
    let platform = Platform::start_gated(backend, |_| {}).await;
    let mut config = platform.config(&db);
    tweak(&mut config);
    let app = TestApp::spawn(config).await;
    Stack {
        _db: db,
        platform,
        app,
    }
}

struct Stack {
    _db: TestDb,
    platform: Platform,
    app: TestApp,
}

/// The status of `id` asked with `?wait=<wait>` in a task: (HTTP status, body, time taken).
/// A request that is not answered within 30 s fails the test.
fn ask(app: &TestApp, id: &str, wait: &str) -> JoinHandle<(u16, Value, Duration)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(45))
        .build()
        .unwrap();
    let url = app.url(&format!("/packages/status/{id}?wait={wait}"));
    tokio::spawn(async move {
        let start = Instant::now();
        let res = client.get(url).send().await.expect("GET status");
        let status = res.status().as_u16();
        let body = res.json().await.expect("a JSON body");
        (status, body, start.elapsed())
    })
}

async fn a_waiting_request_answers_when_its_process_finishes(backend: Backend) {
    // No rereads within the 30 s wait: only the finish's wake-up answers it before its end.
    let stack = gated(backend, |c| {
        c.status_reread_interval = Duration::from_secs(60);
        c.status_max_wait = Duration::from_secs(30);
    })
    .await;
    let id = stack.app.upload_ok("w.tgo", sample("waited"), &[]).await;
    let waiting = ask(&stack.app, &id, "30");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "the answer is held while the process runs"
    );

    stack.platform.gate().open();
    let opened = Instant::now();
    let (status, body, _) = waiting.await.unwrap();
    let after_open = opened.elapsed();
    assert!(
        after_open < Duration::from_secs(20),
        "woken by the finish, not by the end of the wait: {after_open:?}"
    );
    assert_eq!(status, 200);
    assert_eq!(body["package_process_status"], "success", "{body}");
    let (_, stored) = stack.app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(body, stored, "the held answer is the stored event");
}

async fn a_wait_that_ends_first_answers_the_running_state(backend: Backend) {
    let stack = gated(backend, |c| c.status_max_wait = Duration::from_millis(400)).await;
    let id = stack.app.upload_ok("r.tgo", sample("running"), &[]).await;

    let (status, body, took) = ask(&stack.app, &id, "0.2").await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["status"], "running", "{body}");
    assert!(body.get("package_process_status").is_none(), "{body}");
    assert!(took >= Duration::from_millis(200), "it waited: {took:?}");

    // 3600 s is cut to GATEKEEPER_STATUS_MAX_WAIT (400 ms here).
    let (status, body, took) = ask(&stack.app, &id, "3600").await.unwrap();
    assert_eq!((status, &body["status"]), (200, &Value::from("running")));
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(
        took < Duration::from_secs(5),
        "cut to the maximum: {took:?}"
    );
}

async fn a_stopping_gatekeeper_answers_its_waiting_requests(backend: Backend) {
    let stack = gated(backend, |_| {}).await;
    let id = stack.app.upload_ok("s.tgo", sample("stopping"), &[]).await;
    let waiting = ask(&stack.app, &id, "20");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "the request is held");
    stack.app.stopper.stop().await;
    let (status, body, took) = waiting.await.unwrap();
    assert_eq!((status, &body["status"]), (200, &Value::from("running")));
    assert!(
        took < Duration::from_secs(15),
        "answered at the stop: {took:?}"
    );
}

async fn requests_over_the_waiter_limit_are_answered_at_once(backend: Backend) {
    let stack = gated(backend, |c| c.status_max_waiters = 1).await;
    let id = stack.app.upload_ok("l.tgo", sample("limited"), &[]).await;
    let first = ask(&stack.app, &id, "20");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!first.is_finished(), "the first request waits");

    let (status, body, took) = ask(&stack.app, &id, "20").await.unwrap();
    assert_eq!((status, &body["status"]), (200, &Value::from("running")));
    assert!(took < Duration::from_secs(10), "not held: {took:?}");
    assert!(
        !first.is_finished(),
        "the second was answered while the first still waited"
    );
    stack.platform.gate().open();
    let (_, body, _) = first.await.unwrap();
    assert_eq!(body["package_process_status"], "success", "{body}");
}

async fn malformed_waits_and_unknown_processes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(crate::helpers::config(&db)).await;
    let id = uuid::Uuid::new_v4();
    for wait in ["-1", "soon", "NaN"] {
        let (status, body) = app
            .get_json(&format!("/packages/status/{id}?wait={wait}"))
            .await;
        assert_eq!(status, 400, "{wait}: {body}");
        assert_eq!(body["code"], "invalid-field", "{wait}: {body}");
        assert!(body["error"].as_str().unwrap().contains("wait"), "{body}");
    }
    let (status, body, _) = ask(&app, &id.to_string(), "5").await.unwrap();
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "process-not-found");
}

both_backends!(
    a_waiting_request_answers_when_its_process_finishes,
    a_wait_that_ends_first_answers_the_running_state,
    a_stopping_gatekeeper_answers_its_waiting_requests,
    requests_over_the_waiter_limit_are_answered_at_once,
    malformed_waits_and_unknown_processes,
);

/// A finish recorded by replica A is seen by a request waiting on replica B.
#[tokio::test]
async fn a_request_waiting_on_one_replica_sees_the_finish_recorded_by_another() {
    let db = TestDb::new(Backend::Postgres).await;
    let platform = Platform::start_gated(Backend::Postgres, |_| {}).await;
    let a = TestApp::spawn(platform.config(&db)).await;
    let mut cfg = platform.config(&db);
    cfg.callback_base = Some(a.base.clone());
    let b = TestApp::spawn(cfg).await;

    let id = b.upload_ok("x.tgo", sample("across"), &[]).await;
    let waiting = ask(&b, &id, "20");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished());
    platform.gate().open();
    let (status, body, _) = waiting.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["package_process_status"], "success", "{body}");
}
