//! `POST /packages/on-change` (AC-15) and the notifications it triggers (AC-14), with the real
//! packager calling back.

use std::time::Duration;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::packages::{bad_checksum, sample};
use crate::helpers::{config, event, stack, Backend, CallbackMock, Platform, TestApp, TestDb};

async fn bad_bodies_and_unknown_processes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    let res = app
        .client
        .post(app.url("/packages/on-change"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid-event");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .starts_with("Event data not valid: not json"));

    let (status, body) = app
        .post_event(&serde_json::json!({"package_process_uuid": "x"}))
        .await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = app
        .post_event(&event(&uuid::Uuid::new_v4().to_string(), true))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "process-not-found");
    assert!(body["error"].is_string());
}

/// AC-14: the caller always; the planner (a subscriber) and the recommender on success only.
async fn callbacks_go_to_the_caller_always_and_planner_and_recommender_on_success(
    backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let platform = Platform::start(backend).await;
    let mut cfg = platform.config(&db);
    cfg.subscribers = vec![mock.callback_url("planner")];
    cfg.recommender_url = Some(mock.callback_url("recommender"));
    let app = TestApp::spawn(cfg).await;

    let client = mock.callback_url("client");
    let (ok, done) = app
        .onboard("n.tgo", sample("notified"), &[("callback_url", &client)])
        .await;
    let package = done["package_id"].as_str().unwrap().to_owned();
    let (failed, _) = app
        .onboard(
            "b.tgo",
            bad_checksum("notified"),
            &[("callback_url", &client)],
        )
        .await;

    let to_client = mock.wait_for("client", 2, Duration::from_secs(10)).await;
    let planner = mock.wait_for("planner", 1, Duration::from_secs(10)).await;
    let recommender = mock
        .wait_for(
            &format!("recommender/{package}"),
            1,
            Duration::from_secs(10),
        )
        .await;
    let by_process = |id: &str| {
        to_client
            .iter()
            .find(|cb| cb["body"]["package_process_uuid"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no client callback for {id}"))
    };
    let success = by_process(&ok);
    assert_eq!(success["body"], done, "the callback is the finished status");
    assert_eq!(success["headers"]["content-type"], "application/json");
    assert_eq!(success["headers"]["x-package-process-uuid"], ok.as_str());
    assert!(success["delivery_id"].is_string());
    let failure = by_process(&failed);
    assert_eq!(failure["body"]["package_process_status"], "failed");
    assert!(failure["body"]["package_metadata"]["error"].is_string());

    let planned = &planner[0];
    assert_eq!(planned["headers"]["content-type"], "application/json");
    assert_eq!(planned["body"]["event_name"], "onPackageChangeEvent");
    assert_eq!(planned["body"]["package_id"], package.as_str());
    assert_eq!(planned["body"]["package_process_uuid"], ok.as_str());
    assert!(planned["body"]["package_location"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/api/v3/packages/{package}")));
    assert_eq!(recommender[0]["method"], "POST");
    assert_eq!(recommender[0]["body"], Value::Null, "an empty body");

    // The failure's deliveries were enqueued together with its client callback: give the
    // worker a moment, then nothing more than the success's may have arrived.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let everything = mock.everything().await;
    let count = |prefix: &str| {
        everything
            .iter()
            .filter(|cb| cb["path"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    assert_eq!(count("/callbacks/planner"), 1);
    assert_eq!(count("/callbacks/recommender"), 1);
    assert_eq!(count("/callbacks/client"), 2);
}

async fn a_trailing_callback_url_is_honoured(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let mock = CallbackMock::spawn().await;
    // curl -F package=@x -F callback_url=... puts the callback after the package part.
    let form = reqwest::multipart::Form::new()
        .part(
            "package",
            reqwest::multipart::Part::bytes(sample("late")).file_name("a.tgo"),
        )
        .text("callback_url", mock.callback_url("late"));
    let res = app.post_form(form).await;
    assert_eq!(res.status(), 200);
    let got = mock.wait_for("late", 1, Duration::from_secs(10)).await;
    assert_eq!(got[0]["body"]["package_process_status"], "success");
}

/// AC-15: a second on-change for a finished process answers the stored record, changes
/// nothing and sends nothing again.
async fn a_repeated_callback_changes_nothing(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let mock = CallbackMock::spawn().await;
    let (id, _) = app
        .onboard(
            "o.tgo",
            sample("once"),
            &[("callback_url", &mock.callback_url("once"))],
        )
        .await;
    let (status, again) = app.post_event(&event(&id, false)).await;
    assert_eq!(status, 200);
    assert_eq!(again["already_finished"], true);
    assert_eq!(again["package_process_uuid"], id.as_str());
    assert_eq!(again["result"]["package_process_status"], "success");
    assert_eq!(again["callbacks"].as_array().unwrap().len(), 1);
    let (_, status_body) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status_body["package_process_status"], "success");
    mock.wait_for("once", 1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mock.attempts("once").await.len(), 1);
}

both_backends!(
    bad_bodies_and_unknown_processes,
    callbacks_go_to_the_caller_always_and_planner_and_recommender_on_success,
    a_trailing_callback_url_is_honoured,
    a_repeated_callback_changes_nothing
);
