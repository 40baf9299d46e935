use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::both_backends;
use crate::helpers::fake_packager::Mode;
use crate::helpers::{config, with_packager, Backend, FakePackager, TestApp, TestDb};

async fn forwards_the_stream_and_fields_with_its_own_process_id(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (packager, cfg) = with_packager(&db, Mode::Accept).await;
    let app = TestApp::spawn(cfg).await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let res = app
        .client
        .post(app.url("/packages?skip_validation=true"))
        .header("X-User-Name", "bob")
        .multipart(
            reqwest::multipart::Form::new()
                .text("layer", "x")
                .text("validation_level", "s")
                .part(
                    "package",
                    reqwest::multipart::Part::bytes(bytes.clone()).file_name("my.tgo"),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let accepted: Value = res.json().await.unwrap();
    assert_eq!(accepted["status"], "running");
    assert_eq!(accepted["error_msg"], Value::Null);
    let id = accepted["package_process_uuid"].as_str().unwrap();

    let got = packager.received();
    assert_eq!(got.len(), 1);
    let got = &got[0];
    assert_eq!(got.fields["package_process_uuid"], id);
    assert_eq!(
        got.fields["callback_url"],
        format!("{}/api/v3/packages/on-change", app.base)
    );
    assert_eq!(got.fields["username"], "bob");
    assert_eq!(got.fields["layer"], "x");
    assert_eq!(got.fields["validation_level"], "s");
    assert_eq!(got.fields["skip_validation"], "true");
    assert_eq!(got.fields["skip_store"], "false");
    assert_eq!(got.file_name.as_deref(), Some("my.tgo"));
    assert_eq!(got.len, bytes.len());
    assert_eq!(got.sha256, hex::encode(Sha256::digest(&bytes)));
}

async fn request_errors_are_json(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (packager, mut cfg) = with_packager(&db, Mode::Accept).await;
    cfg.max_upload_bytes = 1000;
    let app = TestApp::spawn(cfg).await;

    let res = app
        .client
        .post(app.url("/packages"))
        .json(&serde_json::json!({"dummy": "data"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "unsupported-media-type"
    );

    let res = app.client.post(app.url("/packages")).send().await.unwrap();
    assert_eq!(res.status(), 415);

    let form = reqwest::multipart::Form::new().part(
        "no_package",
        reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.tgo"),
    );
    let res = app
        .client
        .post(app.url("/packages"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "missing-package");
    assert_eq!(body["error"], "Package parameter is mandatory");

    let form = reqwest::multipart::Form::new().text("package", "not a file");
    let res = app
        .client
        .post(app.url("/packages"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "missing-package"
    );

    let res = app.upload("big.tgo", vec![7u8; 5000], &[]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "payload-too-large"
    );
    // The stream to the packager is aborted part-way: it never gets the whole package, and
    // the gatekeeper keeps no process for it.
    for got in packager.received() {
        assert!(
            got.len < 5000,
            "the packager got a complete oversized upload"
        );
        if let Some(id) = got.fields.get("package_process_uuid") {
            assert_eq!(app.get_json(&format!("/packages/status/{id}")).await.0, 404);
        }
    }
}

async fn unreachable_packager_gives_503_and_keeps_no_process(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    let res = app.upload("p.tgo", b"PK".to_vec(), &[]).await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "packager-unavailable");
    assert!(body["error"].is_string());
}

async fn packager_rejections_are_passed_through(backend: Backend) {
    let db = TestDb::new(backend).await;
    let packager = FakePackager::spawn(Mode::Reject {
        status: 409,
        code: "process-exists",
    })
    .await;
    let mut cfg = config(&db);
    cfg.packager_url = packager.url.clone();
    let app = TestApp::spawn(cfg).await;
    let res = app.upload("p.tgo", b"PK".to_vec(), &[]).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "process-exists");
    let id = packager.received()[0].fields["package_process_uuid"].clone();
    let (status, _) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status, 404, "a rejected upload leaves no process behind");
}

async fn disallowed_callback_hosts_are_refused_before_forwarding(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (packager, mut cfg) = with_packager(&db, Mode::Accept).await;
    cfg.callback_allowlist = vec!["allowed.example".to_owned()];
    let app = TestApp::spawn(cfg).await;
    let res = app
        .upload(
            "p.tgo",
            b"PK".to_vec(),
            &[("callback_url", "http://evil.example/cb")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "callback-not-allowed"
    );
    let res = app
        .upload(
            "p.tgo",
            b"PK".to_vec(),
            &[("callback_url", "file:///etc/passwd")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(packager.received().is_empty());
    let ok = app
        .upload(
            "p.tgo",
            b"PK".to_vec(),
            &[("callback_url", "http://allowed.example/cb")],
        )
        .await;
    assert_eq!(ok.status(), 200);
}

both_backends!(
    forwards_the_stream_and_fields_with_its_own_process_id,
    request_errors_are_json,
    unreachable_packager_gives_503_and_keeps_no_process,
    packager_rejections_are_passed_through,
    disallowed_callback_hosts_are_refused_before_forwarding
);
