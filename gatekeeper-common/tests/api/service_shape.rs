use serde_json::Value;

use crate::both_backends;
use crate::helpers::packages::sample;
use crate::helpers::{config, stack, Backend, TestApp, TestDb};

async fn pings_root_health_and_openapi(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    for url in [app.url("/pings"), format!("{}/pings", app.base)] {
        let body: Value = app
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let since = body["alive_since"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(since).is_ok(),
            "{since}"
        );
    }
    for url in [format!("{}/", app.base), app.url("")] {
        let res = app.client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("5GTANGO Service Platform"));
    }
    for path in ["/health/live", "/health/ready"] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let (status, api) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v3/packages",
        "/api/v3/packages/status/{id}",
        "/api/v3/packages/on-change",
        "/api/v3/packages/{uuid}/package-file",
        "/api/v3/services",
        "/api/v3/functions/{uuid}",
    ] {
        assert!(
            api["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
}

async fn unknown_routes_and_methods_are_json(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    let (status, body) = app.get_json("/nowhere").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not-found");
    assert!(body["error"].as_str().unwrap().contains("/api/v3/nowhere"));

    let res = app.client.put(app.url("/packages")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method-not-allowed");

    // As in the reference: a trailing slash is optional and HEAD answers like GET, bodiless.
    let (status, body) = app.get_json("/pings/").await;
    assert_eq!(status, 200);
    assert!(body["alive_since"].is_string());
    let (status, body) = app.get_json("/packages/?page_size=1").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("catalogue-unavailable"))
    );
    let (status, body) = app.get_json("/packages/status/not-a-uuid/").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("malformed-uuid"))
    );
    let res = app.client.head(app.url("/pings")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-timing"));
    assert!(res.bytes().await.unwrap().is_empty());
}

async fn options_answers_cors_headers(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    for path in ["/packages", "/services", "/functions"] {
        let res = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let methods = res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap();
        assert!(
            methods.contains("GET") && methods.contains("DELETE"),
            "{methods}"
        );
    }
}

/// AC-01 (every response carries `X-Timing`) and CORS on every response, errors included.
async fn every_response_carries_timing_and_cors(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let package = app.onboard_ok("h.tgo", sample("headers")).await;
    let origin = "http://ui.example";
    let requests = [
        app.client.get(app.url("")),
        app.client.get(app.url("/pings")),
        app.client.get(app.url("/packages")),
        app.client.get(app.url(&format!("/packages/{package}"))),
        app.client
            .get(app.url(&format!("/packages/{package}/package-file"))),
        app.client
            .get(app.url(&format!("/packages/{}", uuid::Uuid::new_v4()))),
        app.client.get(app.url("/packages/status/nope")),
        app.client.get(app.url("/nowhere")),
        app.client.put(app.url("/packages")),
        app.client.post(app.url("/packages")).body("x"),
        app.client.get(format!("{}/health/ready", app.base)),
    ];
    for (i, request) in requests.into_iter().enumerate() {
        let with_origin = i % 2 == 0;
        let request = if with_origin {
            request.header("Origin", origin)
        } else {
            request
        };
        let res = request.send().await.unwrap();
        let what = format!("request {i} ({})", res.url());
        let timing = res.headers()["x-timing"].to_str().unwrap();
        let seconds: f64 = timing
            .parse()
            .unwrap_or_else(|_| panic!("{what}: {timing}"));
        assert!((0.0..60.0).contains(&seconds), "{what}: {timing}");
        let allowed = res.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap();
        if with_origin {
            assert_eq!(allowed, origin, "{what}");
            assert_eq!(res.headers()["access-control-allow-credentials"], "true");
        } else {
            assert_eq!(allowed, "*", "{what}");
        }
        let exposed = res.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap();
        assert!(
            exposed.contains("X-Timing") && exposed.contains("Record-Count"),
            "{what}"
        );
    }

    // A browser's pre-flight, on any path.
    let res = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.url(&format!("/packages/{package}")),
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "DELETE")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], origin);
    let methods = res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("DELETE"), "{methods}");
    let headers = res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(headers.contains("Authorization"), "{headers}");
    assert!(res.headers().contains_key("access-control-max-age"));
    assert!(res.headers().contains_key("x-timing"));
}

both_backends!(
    every_response_carries_timing_and_cors,
    pings_root_health_and_openapi,
    unknown_routes_and_methods_are_json,
    options_answers_cors_headers
);
