//! `SONATA_SERVICE_TOKEN` (ADR-21): with a token configured, writes need `X-Service-Token`
//! (401 without, 403 when wrong, nothing stored); reads stay open.

use reqwest::StatusCode;

use crate::helpers::{assert_error, descriptor, json, Backend, TestApp};

const TOKEN: &str = "cluster-secret-7";

#[tokio::test]
async fn writes_need_the_token_and_reads_stay_open() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.service_token = shared_models::ServiceToken::new(Some(TOKEN));
    })
    .await;
    let post = |token: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/vnfs"))
            .header("Content-Type", "application/json")
            .body(descriptor("eu.test", "guarded", "0.1"));
        if let Some(token) = token {
            request = request.header("X-Service-Token", token);
        }
        request.send()
    };

    let refused = post(None).await.unwrap();
    assert_error(refused, StatusCode::UNAUTHORIZED, "service-token-required").await;
    let refused = post(Some("cluster-secret-6")).await.unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, "service-token-invalid").await;
    assert_eq!(
        app.count("/vnfs").await,
        0,
        "a refused write stored something"
    );

    let stored = post(Some(TOKEN)).await.unwrap();
    assert!(stored.status().is_success(), "{}", stored.status());
    let uuid = json(stored).await["uuid"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/vnfs/{uuid}")).await.status(), 200);

    let delete = app.delete(&format!("/vnfs/{uuid}")).await;
    assert_error(delete, StatusCode::UNAUTHORIZED, "service-token-required").await;
    assert_eq!(app.count("/vnfs").await, 1);
}
