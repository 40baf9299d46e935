use crate::helpers::spawn;

#[tokio::test]
async fn pings_health_and_openapi_are_served() {
    let mock = spawn().await;
    let (status, ping) = mock.get_json("/pings").await;
    assert_eq!(status, 200);
    let since = ping["alive_since"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(since).is_ok(),
        "{since}"
    );
    for path in ["/health/live", "/health/ready"] {
        assert_eq!(mock.get_json(path).await.0, 200, "{path}");
    }
    let (status, api) = mock.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(api["paths"]["/api/v1/received/wait"].is_object());
    let docs = mock.client.get(mock.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let mock = spawn().await;
    let (status, body) = mock.get_json("/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not-found");

    let res = mock
        .client
        .patch(mock.url("/api/v1/received"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method-not-allowed");
}
