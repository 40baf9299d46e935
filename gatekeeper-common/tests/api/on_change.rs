use std::time::Duration;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::fake_packager::Mode;
use crate::helpers::{config, event, with_packager, Backend, CallbackMock, TestApp, TestDb};

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
}

async fn callbacks_go_to_the_caller_always_and_subscribers_on_success(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let (_packager, mut cfg) = with_packager(&db, Mode::Accept).await;
    cfg.subscribers = vec![mock.callback_url("planner")];
    let app = TestApp::spawn(cfg).await;

    let ok = app
        .upload_ok(&[("callback_url", &mock.callback_url("client"))])
        .await;
    let (status, answer) = app.post_event(&event(&ok, true)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["already_finished"], false);
    assert_eq!(answer["callbacks"].as_array().unwrap().len(), 2);
    let failed = app
        .upload_ok(&[("callback_url", &mock.callback_url("client"))])
        .await;
    app.post_event(&event(&failed, false)).await;

    let client = mock.wait_for("client", 2, Duration::from_secs(5)).await;
    let planner = mock.wait_for("planner", 1, Duration::from_secs(5)).await;
    let by_process = |id: &str| {
        client
            .iter()
            .find(|cb| cb["body"]["package_process_uuid"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no client callback for {id}"))
    };
    let success = by_process(&ok);
    assert_eq!(success["body"]["package_process_status"], "success");
    assert!(success["body"]["package_location"]
        .as_str()
        .unwrap()
        .starts_with(&app.base));
    assert_eq!(success["headers"]["content-type"], "application/json");
    assert_eq!(success["headers"]["x-package-process-uuid"], ok.as_str());
    assert!(success["delivery_id"].is_string());
    assert_eq!(
        by_process(&failed)["body"]["package_process_status"],
        "failed"
    );
    assert_eq!(planner.len(), 1);
    assert_eq!(planner[0]["body"]["package_process_uuid"], ok.as_str());
}

async fn a_trailing_callback_url_is_honoured(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let (_packager, cfg) = with_packager(&db, Mode::AcceptAndCallBack { success: true }).await;
    let app = TestApp::spawn(cfg).await;
    // curl -F package=@x -F callback_url=... puts the callback after the package part.
    let form = reqwest::multipart::Form::new()
        .part(
            "package",
            reqwest::multipart::Part::bytes(b"PK".to_vec()).file_name("a.tgo"),
        )
        .text("callback_url", mock.callback_url("late"));
    let res = app
        .client
        .post(app.url("/packages"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let got = mock.wait_for("late", 1, Duration::from_secs(5)).await;
    assert_eq!(got[0]["body"]["package_process_status"], "success");
}

async fn a_repeated_callback_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let (_packager, cfg) = with_packager(&db, Mode::Accept).await;
    let app = TestApp::spawn(cfg).await;
    let id = app
        .upload_ok(&[("callback_url", &mock.callback_url("once"))])
        .await;
    app.post_event(&event(&id, true)).await;
    let (status, again) = app.post_event(&event(&id, false)).await;
    assert_eq!(status, 200);
    assert_eq!(again["already_finished"], true);
    assert_eq!(again["result"]["package_process_status"], "success");
    assert_eq!(again["callbacks"].as_array().unwrap().len(), 1);
    let (_, status_body) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status_body["package_process_status"], "success");
}

both_backends!(
    bad_bodies_and_unknown_processes,
    callbacks_go_to_the_caller_always_and_subscribers_on_success,
    a_trailing_callback_url_is_honoured,
    a_repeated_callback_changes_nothing
);
