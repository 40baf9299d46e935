//! `SONATA_SERVICE_TOKEN` (docs/decisions.md): with a token configured, `/api/v1/packages*`
//! needs it, pings/health/OpenAPI stay open, and the callbacks carry it.

use package_format::test_support::sample_package;
use serde_json::Value;

use crate::helpers::{form, received, Backend, Platform};

const TOKEN: &str = "cluster-secret-9";

async fn refused(response: reqwest::Response, status: u16, want: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], want, "{body}");
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_calls_with_the_token_are_served_and_callbacks_carry_it() {
    let p = Platform::start_with(Backend::Sqlite, |c| {
        c.service_token = shared_models::ServiceToken::new(Some(TOKEN));
    })
    .await;
    let anyone = reqwest::Client::new();
    let upload = || form(sample_package("eu.test", "tok", "0.1"), "tok.tgo", None);
    let url = format!("{}/packages", p.packager.base);

    let res = anyone.post(&url).multipart(upload()).send().await.unwrap();
    refused(res, 401, "service-token-required").await;
    let res = anyone
        .post(&url)
        .header("X-Service-Token", "cluster-secret-8")
        .multipart(upload())
        .send()
        .await
        .unwrap();
    refused(res, 403, "service-token-invalid").await;
    let res = anyone.get(format!("{url}/status")).send().await.unwrap();
    refused(res, 401, "service-token-required").await;
    p.packager.assert_spool_clean("refused uploads").await;

    let origin = p.packager.base.trim_end_matches("/api/v1");
    for open in ["/api/v1/pings", "/api/v1/openapi.json", "/health/live"] {
        let res = anyone.get(format!("{origin}{open}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{open}");
    }

    let callback = p.callback("tokened");
    let event = p
        .packager
        .on_board(form(
            sample_package("eu.test", "tok", "0.1"),
            "tok.tgo",
            Some(&callback),
        ))
        .await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    let got = received(&p.mock, "tokened", 1).await;
    assert_eq!(got[0]["headers"]["x-service-token"], TOKEN, "{}", got[0]);
}
