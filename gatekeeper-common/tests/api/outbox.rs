//! The persisted outbox: retries with one delivery id, and a spent retry budget.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::both_backends;
use crate::helpers::packages::sample;
use crate::helpers::{event, stack, Backend, CallbackMock, Platform, TestApp, TestDb};

async fn a_receiver_failing_three_times_gets_the_event_once(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let mock = CallbackMock::spawn().await;
    mock.fail_next(3).await;
    let (id, done) = app
        .onboard(
            "f.tgo",
            sample("flaky"),
            &[("callback_url", &mock.callback_url("flaky"))],
        )
        .await;

    let accepted = mock.wait_for("flaky", 1, Duration::from_secs(10)).await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["body"], done);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let attempts = mock.attempts("flaky").await;
    assert_eq!(attempts.len(), 4, "three failures and one success");
    let mut per_delivery: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for a in &attempts {
        assert_eq!(a["body"]["package_process_uuid"], id.as_str());
        per_delivery
            .entry(a["delivery_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(a["answered_status"].as_u64().unwrap());
    }
    assert_eq!(
        per_delivery.len(),
        1,
        "every retry carries the same delivery id"
    );
    let statuses = per_delivery.values().next().unwrap();
    assert_eq!(statuses, &[500, 500, 500, 200], "accepted exactly once");
    let numbers: Vec<&str> = attempts
        .iter()
        .map(|a| a["headers"]["x-delivery-attempt"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4"]);
}

async fn a_spent_budget_abandons_the_delivery(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start(backend).await;
    let mock = CallbackMock::spawn().await;
    let mut cfg = platform.config(&db);
    cfg.callback_max_attempts = 2;
    let app = TestApp::spawn(cfg).await;
    mock.fail_for(60_000).await;
    let (id, _) = app
        .onboard(
            "d.tgo",
            sample("down"),
            &[("callback_url", &mock.callback_url("down"))],
        )
        .await;

    // A repeated on-change answers the process record with its deliveries' state.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, answer) = app.post_event(&event(&id, true)).await;
        let state = answer["callbacks"][0]["state"].as_str().unwrap().to_owned();
        if state == "abandoned" {
            assert_eq!(answer["callbacks"][0]["attempts"], 2);
            assert!(answer["callbacks"][0]["last_error"].is_string());
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mock.attempts("down").await.len(), 2);
}

both_backends!(
    a_receiver_failing_three_times_gets_the_event_once,
    a_spent_budget_abandons_the_delivery
);
