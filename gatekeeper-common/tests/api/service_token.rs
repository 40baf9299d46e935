//! `SONATA_SERVICE_TOKEN` between the gatekeeper and the real packager and catalogue (decision
//! 13, ADR-21): the on-change callback, the packager and the catalogue's writes need it, and the
//! gatekeeper and the packager send it on their own calls.

use std::time::Duration;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::packages::sample;
use crate::helpers::{event, Backend, CallbackMock, Platform, TestApp, TestDb};

const TOKEN: &str = "cluster-secret-1";

fn token() -> Option<shared_models::ServiceToken> {
    shared_models::ServiceToken::new(Some(TOKEN))
}

async fn post_on_change(app: &TestApp, body: &Value, header: Option<&str>) -> (u16, Value) {
    let mut request = app.client.post(app.url("/packages/on-change")).json(body);
    if let Some(value) = header {
        request = request.header("X-Service-Token", value);
    }
    let res = request.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// With the token on the gatekeeper and the packager, an upload on-boards end to end (the
/// packager's callback carries the token), and the caller's callback does not get it.
async fn with_the_token_everywhere_an_upload_onboards(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let platform = Platform::start_secured(backend, false, TOKEN).await;
    let mut cfg = platform.config(&db);
    cfg.service_token = token();
    let app = TestApp::spawn(cfg).await;

    let caller = mock.callback_url("caller");
    let (_, done) = app
        .onboard("t.tgo", sample("tokened"), &[("callback_url", &caller)])
        .await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    let package = done["package_id"].as_str().unwrap();
    let stored = platform.catalogue_list("packages").await;
    assert!(
        stored.iter().any(|p| p["uuid"] == package),
        "{package} not in {stored:?}"
    );

    let got = mock.wait_for("caller", 1, Duration::from_secs(10)).await;
    assert_eq!(got[0]["body"]["package_id"], package);
    let headers = got[0]["headers"].as_object().expect("recorded headers");
    assert!(
        !headers.contains_key("x-service-token"),
        "the caller got the token: {headers:?}"
    );

    // The catalogue refuses a write without the token; the gatekeeper's delete carries it.
    let direct = reqwest::Client::new()
        .delete(format!("{}/packages/{package}", platform.catalogue_url))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 401);
    let body: Value = direct.json().await.unwrap();
    assert_eq!(body["code"], "service-token-required", "{body}");
    assert_eq!(platform.catalogue_list("packages").await.len(), 1);
    let res = app.delete(&format!("/packages/{package}")).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert!(platform.catalogue_list("packages").await.is_empty());
}

/// The packager itself refuses uploads and status reads without the token (401) or with a
/// wrong one (403), and accepts nothing from them; its pings stay open.
async fn the_packager_refuses_calls_without_the_token(backend: Backend) {
    let platform = Platform::start_secured(backend, false, TOKEN).await;
    let anyone = reqwest::Client::new();
    let form = || {
        reqwest::multipart::Form::new().part(
            "package",
            reqwest::multipart::Part::bytes(sample("intruder")).file_name("i.tgo"),
        )
    };
    let res = anyone
        .post(&platform.packager_url)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "service-token-required", "{body}");
    assert!(body["error"].is_string());

    let res = anyone
        .post(&platform.packager_url)
        .header("X-Service-Token", "guess")
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "service-token-invalid", "{body}");

    let status = anyone
        .get(format!("{}/status", platform.packager_url))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 401);
    let pings = platform.packager_url.replace("/packages", "/pings");
    assert_eq!(anyone.get(pings).send().await.unwrap().status(), 200);
    assert!(platform.packager_processes().await.is_empty());
}

/// A forged on-change without the token (401) or with a wrong one (403) finishes nothing; the
/// packager's real callback, with the token, still does.
async fn an_on_change_without_the_token_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start_secured(backend, true, TOKEN).await;
    let mut cfg = platform.config(&db);
    cfg.service_token = token();
    let app = TestApp::spawn(cfg).await;
    let id = app.upload_ok("g.tgo", sample("guarded"), &[]).await;
    platform
        .gate()
        .wait_for_connections(1, Duration::from_secs(10))
        .await;

    let forged = event(&id, true);
    let (status, body) = post_on_change(&app, &forged, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "service-token-required");
    let (status, body) = post_on_change(&app, &forged, Some("cluster-secret-2")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "service-token-invalid");
    let (status, running) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        running.get("package_process_status").is_none(),
        "a forged event finished the process: {running}"
    );

    platform.gate().open();
    let done = app.wait_finished(&id, Duration::from_secs(20)).await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    assert_ne!(done["package_id"], forged["package_id"]);
}

both_backends!(
    with_the_token_everywhere_an_upload_onboards,
    the_packager_refuses_calls_without_the_token,
    an_on_change_without_the_token_changes_nothing
);
