//! Bad input: 400/404/413/415 as JSON, and nothing stored.

use reqwest::StatusCode;

use crate::helpers::{
    assert_error, descriptor, json, on_both_backends, on_every_store, Backend, TestApp,
};

on_every_store!(readiness_reports_a_missing_dependency);

on_both_backends!(
    bad_descriptors_store_nothing,
    bad_ids_and_routes,
    health_and_docs
);

async fn bad_descriptors_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.max_descriptor_bytes = 1024).await;
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "application/json",
            b"{\"vendor\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "application/x-yaml",
            b"vendor: [unclosed\n  - : :".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-yaml",
        ),
        (
            "application/x-yaml",
            b"a: &x [1]\nb: *y\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-yaml",
        ),
        (
            "application/json",
            b"[1, 2]".to_vec(),
            StatusCode::BAD_REQUEST,
            "not-a-mapping",
        ),
        (
            "application/x-yaml",
            b"".to_vec(),
            StatusCode::BAD_REQUEST,
            "not-a-mapping",
        ),
        (
            "application/json",
            b"{\"name\": \"n\", \"version\": \"1\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "missing-field",
        ),
        (
            "text/plain",
            descriptor("v", "n", "1"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "",
            descriptor("v", "n", "1"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "application/json",
            vec![b' '; 2048],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
        ),
    ];
    for collection in ["/vnfs", "/network-services", "/tests", "/packages"] {
        for (content_type, body, status, code) in &cases {
            let mut request = app.client.post(app.url(collection)).body(body.clone());
            if !content_type.is_empty() {
                request = request.header("Content-Type", *content_type);
            }
            let response = request.send().await.unwrap();
            assert_error(response, *status, code).await;
        }
        assert_eq!(app.count(collection).await, 0, "{collection}");
    }
    let wrong_platform = app
        .post_json("/vnfs?platform=tacker", &descriptor("v", "n", "1"))
        .await;
    assert_error(wrong_platform, StatusCode::BAD_REQUEST, "invalid-platform").await;
}

async fn bad_ids_and_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/vnfs/not-a-uuid",
        "/files/123",
        "/tgo-packages/xyz",
        "/packages/nope/files",
    ] {
        assert_error(
            app.get(path).await,
            StatusCode::BAD_REQUEST,
            "malformed-uuid",
        )
        .await;
    }
    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/vnfs/{unknown}"),
        format!("/network-services/{unknown}"),
        format!("/files/{unknown}"),
        format!("/tgo-packages/{unknown}"),
        format!("/packages/{unknown}/files"),
        "/no-such-collection".to_owned(),
    ] {
        assert_error(app.get(&path).await, StatusCode::NOT_FOUND, "not-found").await;
    }
    assert_error(
        app.delete(&format!("/packages/{unknown}")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_error(
        app.delete(&format!("/files/{unknown}")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let root_unknown = app
        .client
        .get(app.base.replace("/api/catalogues/v2", "/elsewhere"))
        .send()
        .await
        .unwrap();
    assert_error(root_unknown, StatusCode::NOT_FOUND, "not-found").await;
}

async fn health_and_docs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.base.replace("/api/catalogues/v2", "");
    for url in [
        format!("{root}/pings"),
        app.url("/pings"),
        format!("{}/pings", app.alt_base),
    ] {
        let pings = json(app.client.get(url).send().await.unwrap()).await;
        assert!(pings["alive_since"].is_string());
    }
    let ready = app
        .client
        .get(format!("{root}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let live = app
        .client
        .get(format!("{root}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let doc = json(app.get("/openapi.json").await).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(
        doc["paths"]["/api/catalogues/v2/{collection}"].is_object(),
        "{}",
        doc["paths"]
    );
    let ui = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

/// `/health/ready` checks the blob store and the database: 503 naming the one that is gone.
async fn readiness_reports_a_missing_dependency(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ready = app.url("/health/ready");
    let response = app.client.get(&ready).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["blob_store"], "ok");
    app.break_blob_store().await;
    app.assert_unready("blob store").await;
    if matches!(backend, Backend::Sqlite) {
        return;
    }
    app.drop_postgres_database().await;
    app.assert_unready("database").await;
}
