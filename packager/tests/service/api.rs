//! The HTTP surface: bad requests, status shapes, the queue-full answer, timeouts, OpenAPI.

use std::time::{Duration, Instant};

use package_format::test_support::sample_package;
use reqwest::multipart::Form;
use serde_json::Value;

use crate::helpers::{
    code, form,
    proxy::{Mode, Relay},
    received, start_mock, TestPackager,
};

/// A packager whose catalogue accepts connections and never answers.
async fn stuck_packager(
    tweak: impl FnOnce(&mut packager::service::Config),
) -> (TestPackager, Relay) {
    let relay = Relay::start("127.0.0.1:9".into(), Mode::Hang).await;
    let packager = TestPackager::start(&format!("{}/api/catalogues/v2", relay.origin), tweak).await;
    (packager, relay)
}

async fn assert_json_error(response: reqwest::Response, status: u16, want: &str) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], want, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    body
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let (p, _relay) = stuck_packager(|_| {}).await;
    let client = reqwest::Client::new();
    let not_multipart = client
        .post(format!("{}/packages", p.base))
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_json_error(not_multipart, 415, "unsupported-media-type").await;

    let no_package = p.upload(Form::new().text("callback_url", "http://x")).await;
    assert_json_error(no_package, 400, "missing-package").await;

    for (field, value) in [
        ("skip_store", "maybe"),
        ("skip_validation", "yes"),
        ("validation_level", "x"),
        ("package_process_uuid", "not-a-uuid"),
    ] {
        let bad = p
            .upload(form(b"x".to_vec(), "p.tgo", None).text(field, value))
            .await;
        let body = assert_json_error(bad, 400, "invalid-field").await;
        assert!(body["error"].as_str().unwrap().contains(field), "{body}");
    }

    let unknown = reqwest::get(format!(
        "{}/packages/status/{}",
        p.base,
        uuid::Uuid::new_v4()
    ))
    .await
    .unwrap();
    assert_json_error(unknown, 404, "not-found").await;
    let malformed = reqwest::get(format!("{}/packages/status/foo-bar", p.base))
        .await
        .unwrap();
    assert_json_error(malformed, 400, "malformed-uuid").await;
    let no_route = reqwest::get(format!("{}/nothing-here", p.base))
        .await
        .unwrap();
    assert_json_error(no_route, 404, "not-found").await;
    let wrong_method = client
        .delete(format!("{}/packages", p.base))
        .send()
        .await
        .unwrap();
    assert_json_error(wrong_method, 405, "method-not-allowed").await;
    p.assert_spool_clean("bad requests").await;
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_stuck_jobs_time_out() {
    let (p, _relay) = stuck_packager(|c| {
        c.workers = 1;
        c.queue_capacity = 1;
        c.process_timeout = Duration::from_secs(2);
    })
    .await;
    let mock = start_mock().await;
    let callback = format!("{mock}/callbacks/stuck");
    let first = p
        .accept(form(
            sample_package("eu.q", "a", "0.1"),
            "a.tgo",
            Some(&callback),
        ))
        .await;
    // The worker holds the first job (stuck on the catalogue)...
    let deadline = Instant::now() + Duration::from_secs(10);
    while p.status(&first).await["status"] != "running" {
        assert!(Instant::now() < deadline, "the first job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...the second waits in the queue...
    let second = p
        .accept(form(
            sample_package("eu.q", "b", "0.1"),
            "b.tgo",
            Some(&callback),
        ))
        .await;
    let waiting = p.status(&second).await;
    assert_eq!(waiting["status"], "waiting", "{waiting}");
    assert!(waiting.get("package_process_status").is_none(), "{waiting}");
    let running = p.status(&first).await;
    assert_eq!(
        running
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>(),
        ["error_msg", "package_process_uuid", "status"].into(),
        "the running shape: {running}"
    );
    // ...and the third finds the queue full.
    let full = p
        .upload(form(sample_package("eu.q", "c", "0.1"), "c.tgo", None))
        .await;
    let retry_after: u64 = full.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    assert_json_error(full, 503, "queue-full").await;

    // Nothing runs forever: both end as `timeout`, with their callbacks, temp files removed.
    for id in [&first, &second] {
        let event = p.wait(id).await;
        assert_eq!(event["package_process_status"], "failed");
        assert_eq!(code(&event), "timeout", "{event}");
    }
    let calls = received(&mock, "stuck", 2).await;
    assert_eq!(calls.len(), 2);
    p.assert_spool_clean("the stuck jobs timed out").await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_the_docs_page_answers() {
    let (p, _relay) = stuck_packager(|_| {}).await;
    let response = reqwest::get(format!("{}/openapi.json", p.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/packages", "post"),
        ("/api/v1/packages/status", "get"),
        ("/api/v1/packages/status/{uuid}", "get"),
        ("/api/v1/pings", "get"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    for schema in [
        "ErrorBody",
        "ProcessAccepted",
        "OnChangeEvent",
        "NapdRecord",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "schema {schema}"
        );
    }
    let page = reqwest::get(format!("{}/docs/", p.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await.unwrap().contains("swagger"),
        "the Swagger UI page"
    );
}

#[tokio::test]
async fn pings_and_health_answer() {
    let (p, _relay) = stuck_packager(|_| {}).await;
    let ping: Value = reqwest::get(format!("{}/pings", p.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ping["alive_since"].is_string(), "{ping}");
    let origin = p.base.trim_end_matches("/api/v1");
    for path in ["/health/live", "/health/ready"] {
        let response = reqwest::get(format!("{origin}{path}")).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_spool_folder_that_does_not_exist_yet_is_created_at_start() {
    let root = tempfile::tempdir().unwrap();
    let spool = root.path().join("spool/packager");
    let wanted = spool.clone();
    let (p, _relay) = stuck_packager(move |c| c.temp_dir = wanted).await;
    assert!(spool.is_dir(), "{} was not created", spool.display());
    let origin = p.base.trim_end_matches("/api/v1");
    let response = reqwest::get(format!("{origin}/health/ready"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Upload with `skip_store` (no catalogue needed) and extra fields.
fn skip_store_form(name: &str) -> Form {
    form(sample_package("eu.api", name, "0.1"), "p.tgo", None)
        .text("skip_store", "true")
        .text("layer", "")
        .text("format", "eu.5gtango")
}

#[tokio::test]
async fn a_finished_status_is_kept_for_its_time_to_live_then_forgotten() {
    let (p, _relay) = stuck_packager(|c| c.status_ttl = Duration::from_secs(1)).await;
    let id = p.accept(skip_store_form("ttl")).await;
    let event = p.wait(&id).await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = reqwest::get(format!("{}/packages/status/{id}", p.base))
            .await
            .unwrap();
        if response.status() == 404 {
            break;
        }
        assert_eq!(response.status(), 200);
        assert!(Instant::now() < deadline, "still kept after 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list: Value = reqwest::get(format!("{}/packages/status", p.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["package_processes"], serde_json::json!([]));
}

#[tokio::test]
async fn a_caller_chosen_process_id_is_used_and_cannot_be_reused() {
    let (p, _relay) = stuck_packager(|_| {}).await;
    let chosen = uuid::Uuid::new_v4().to_string();
    let id = p
        .accept(skip_store_form("chosen").text("package_process_uuid", chosen.clone()))
        .await;
    assert_eq!(id, chosen);
    let again = p
        .upload(skip_store_form("chosen2").text("package_process_uuid", chosen.clone()))
        .await;
    assert_json_error(again, 409, "process-exists").await;
    assert_eq!(p.wait(&id).await["package_metadata"]["name"], "chosen");
    p.assert_spool_clean("a caller-chosen process id").await;
}
