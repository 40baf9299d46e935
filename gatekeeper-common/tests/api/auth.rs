use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::fake_packager::Mode;
use crate::helpers::{with_packager, Backend, TestApp, TestDb};

const SECRET: &str = "test-secret";

fn bearer(claims: Value) -> String {
    format!(
        "Bearer {}",
        gatekeeper_common::auth::sign(SECRET, &claims).unwrap()
    )
}

async fn writes_need_a_valid_token_and_record_its_username(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (packager, mut cfg) = with_packager(&db, Mode::Accept).await;
    cfg.jwt_secret = Some(SECRET.to_owned());
    cfg.jwt_roles = vec!["developer".to_owned()];
    let app = TestApp::spawn(cfg).await;
    let form = || {
        reqwest::multipart::Form::new().part(
            "package",
            reqwest::multipart::Part::bytes(b"PK".to_vec()).file_name("a.tgo"),
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
    let received = packager.received();
    assert_eq!(received.len(), 1, "only the authorised upload is forwarded");
    assert_eq!(received[0].fields["username"], "dave");

    let res = app
        .client
        .delete(app.url(&format!("/packages/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Reads stay open.
    let (status, _) = app
        .get_json(&format!("/packages/status/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, 404);
}

both_backends!(writes_need_a_valid_token_and_record_its_username);
