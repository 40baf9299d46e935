use serde_json::{json, Value};

use std::time::Duration;

use crate::both_backends;
use crate::helpers::packages::sample;
use crate::helpers::{Backend, CallbackMock, Platform, TestApp, TestDb};

const SECRET: &str = "test-secret";

fn bearer(claims: Value) -> String {
    format!(
        "Bearer {}",
        gatekeeper_common::auth::sign(SECRET, &claims).unwrap()
    )
}

/// Decision 13 and AC-20.
async fn writes_need_a_valid_token_and_record_its_username(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start(backend).await;
    let mock = CallbackMock::spawn().await;
    let mut cfg = platform.config(&db);
    cfg.recommender_url = Some(mock.callback_url("recommender"));
    cfg.jwt_secret = Some(SECRET.to_owned());
    cfg.jwt_roles = vec!["developer".to_owned()];
    let app = TestApp::spawn(cfg).await;
    let form = || {
        reqwest::multipart::Form::new().part(
            "package",
            reqwest::multipart::Part::bytes(sample("authz")).file_name("a.tgo"),
        )
    };
    let future = chrono::Utc::now().timestamp() + 600;

    let res = app
        .client
        .post(app.url("/packages"))
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "unauthorized");

    let forged = format!(
        "Bearer {}",
        gatekeeper_common::auth::sign("wrong", &json!({"username": "eve"})).unwrap()
    );
    let res = app
        .client
        .post(app.url("/packages"))
        .header("Authorization", forged)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let customer = bearer(json!({"username": "carol", "role": "customer", "exp": future}));
    let res = app
        .client
        .post(app.url("/packages"))
        .header("Authorization", customer)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "forbidden");

    let developer = bearer(json!({"username": "dave", "role": "developer", "exp": future}));
    let res = app
        .client
        .post(app.url("/packages"))
        .header("Authorization", developer)
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap()["package_process_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        platform.packager_processes().await.len(),
        1,
        "only the authorised upload is forwarded"
    );
    let done = app.wait_finished(&id, Duration::from_secs(20)).await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    let package = done["package_id"].as_str().unwrap();
    let (_, record) = app.get_json(&format!("/packages/{package}")).await;
    assert_eq!(record["username"], "dave", "{record}");
    mock.wait_for(
        &format!("recommender/{package}"),
        1,
        Duration::from_secs(10),
    )
    .await;

    let res = app
        .client
        .delete(app.url(&format!("/packages/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .delete(app.url(&format!("/packages/{package}")))
        .header(
            "Authorization",
            bearer(json!({"username": "dave", "role": "developer", "exp": future})),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Reads stay open.
    let (status, _) = app
        .get_json(&format!("/packages/status/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, 404);
}

both_backends!(writes_need_a_valid_token_and_record_its_username);
