//! `POST /packages` against the real packager (AC-05 and the forwarding contract).

use std::time::Duration;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::gate::Gate;
use crate::helpers::packages::{sample, vnf_missing};
use crate::helpers::{config, stack, Backend, Platform, TestApp, TestDb};

async fn forwards_the_stream_the_user_and_the_fields(backend: Backend) {
    let (_db, platform, app) = stack(backend).await;
    let bytes = sample("fwd");
    let res = app
        .client
        .post(app.url("/packages?skip_store=false"))
        .header("X-User-Name", "bob")
        .multipart(
            reqwest::multipart::Form::new()
                .text("layer", "x")
                .text("validation_level", "t")
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
    // The packager kept the gatekeeper's process id.
    let known: Vec<String> = platform
        .packager_processes()
        .await
        .iter()
        .map(|p| p["package_process_uuid"].as_str().unwrap().to_owned())
        .collect();
    assert!(known.contains(&id.to_owned()), "{known:?}");

    let done = app.wait_finished(id, Duration::from_secs(20)).await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    let package = done["package_id"].as_str().unwrap();
    let (_, record) = app.get_json(&format!("/packages/{package}")).await;
    assert_eq!(record["username"], "bob", "{record}");
    assert_eq!(record["pd"]["package_file_name"], "my.tgo");
    let res = app.get(&format!("/packages/{package}/package-file")).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
}

async fn validation_and_store_fields_reach_the_packager(backend: Backend) {
    let (_db, platform, app) = stack(backend).await;
    let (_, strict) = app.onboard("a.tgo", vnf_missing("lax"), &[]).await;
    assert_eq!(strict["package_process_status"], "failed");
    assert_eq!(strict["package_metadata"]["error_code"], "topology-invalid");
    let (_, lax) = app
        .onboard("a.tgo", vnf_missing("lax"), &[("validation_level", "s")])
        .await;
    assert_eq!(lax["package_process_status"], "success", "{lax}");

    let id = app
        .client
        .post(app.url("/packages?skip_store=true"))
        .multipart(reqwest::multipart::Form::new().part(
            "package",
            reqwest::multipart::Part::bytes(sample("dry")).file_name("dry.tgo"),
        ))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["package_process_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let dry = app.wait_finished(&id, Duration::from_secs(20)).await;
    assert_eq!(dry["package_process_status"], "success");
    assert_eq!(dry["package_id"], Value::Null);
    let names: Vec<Value> = platform
        .catalogue_list("packages")
        .await
        .iter()
        .map(|p| p["pd"]["name"].clone())
        .collect();
    assert_eq!(names, ["lax"], "skip_store stored nothing");
}

async fn request_errors_are_json(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start(backend).await;
    let mut cfg = platform.config(&db);
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
    let res = app.post_form(form).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "missing-package");
    assert_eq!(body["error"], "Package parameter is mandatory");

    let form = reqwest::multipart::Form::new().text("package", "not a file");
    let res = app.post_form(form).await;
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
    // The stream to the packager was aborted: it started no process, and the gatekeeper
    // kept none either.
    assert!(platform.packager_processes().await.is_empty());
    assert_eq!(db.count("processes").await, 0);
}

async fn unreachable_packager_gives_503_and_keeps_no_process(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    let res = app.upload("p.tgo", sample("down"), &[]).await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "packager-unavailable");
    assert!(body["error"].is_string());
    assert_eq!(db.count("processes").await, 0);
}

/// A packager that accepts the connection and never answers: the upload ends with 503 after
/// `GATEKEEPER_PACKAGER_ANSWER_TIMEOUT`, and no process is kept.
async fn a_packager_that_never_answers_gives_503(backend: Backend) {
    let db = TestDb::new(backend).await;
    // A closed gate in front of nothing: it takes connections and holds them.
    let silent = Gate::spawn(std::net::SocketAddr::from(([127, 0, 0, 1], 9))).await;
    let mut cfg = config(&db);
    cfg.packager_url = format!("http://{}/api/v1/packages", silent.addr);
    cfg.packager_answer_timeout = Duration::from_millis(500);
    let app = TestApp::spawn(cfg).await;
    let res = app.upload("p.tgo", sample("silent"), &[]).await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "packager-unavailable", "{body}");
    assert_eq!(db.count("processes").await, 0);
}

async fn packager_rejections_are_passed_through(backend: Backend) {
    let (db, platform, app) = stack(backend).await;
    let res = app
        .upload("p.tgo", sample("rej"), &[("skip_store", "maybe")])
        .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("skip_store"),
        "{body}"
    );
    assert!(body["code"].is_string());
    assert_eq!(db.count("processes").await, 0, "no process is kept");
    assert!(platform.packager_processes().await.is_empty());
}

async fn a_full_packager_queue_gives_503_with_retry_after(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start_gated(backend, |p| {
        p.workers = 1;
        p.queue_capacity = 1;
    })
    .await;
    let app = TestApp::spawn(platform.config(&db)).await;
    app.upload_ok("a.tgo", sample("qa"), &[]).await;
    // The one worker is now stuck talking to the catalogue; the next upload waits in the
    // queue, and the one after that finds it full.
    platform
        .gate()
        .wait_for_connections(1, Duration::from_secs(10))
        .await;
    app.upload_ok("b.tgo", sample("qb"), &[]).await;
    let res = app.upload("c.tgo", sample("qc"), &[]).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "queue-full", "{body}");
    assert_eq!(
        db.count("processes").await,
        2,
        "the refused upload kept no process"
    );
}

async fn disallowed_callback_hosts_are_refused_before_forwarding(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start(backend).await;
    let mut cfg = platform.config(&db);
    cfg.callback_allowlist = vec!["allowed.example".to_owned()];
    let app = TestApp::spawn(cfg).await;
    let res = app
        .upload(
            "p.tgo",
            sample("cb"),
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
            sample("cb"),
            &[("callback_url", "file:///etc/passwd")],
        )
        .await;
    assert_eq!(res.status(), 400);
    // After the package part (curl -F package=@x -F callback_url=...): the stream to the
    // packager is aborted before it completes, so neither side keeps a process.
    let form = reqwest::multipart::Form::new()
        .part(
            "package",
            reqwest::multipart::Part::bytes(sample("cb")).file_name("p.tgo"),
        )
        .text("callback_url", "http://evil.example/cb");
    let res = app.post_form(form).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "callback-not-allowed"
    );
    assert!(platform.packager_processes().await.is_empty());
    assert_eq!(db.count("processes").await, 0);
    app.upload_ok(
        "p.tgo",
        sample("cb"),
        &[("callback_url", "http://allowed.example/cb")],
    )
    .await;
    assert_eq!(platform.packager_processes().await.len(), 1);
}

both_backends!(
    forwards_the_stream_the_user_and_the_fields,
    validation_and_store_fields_reach_the_packager,
    request_errors_are_json,
    unreachable_packager_gives_503_and_keeps_no_process,
    a_packager_that_never_answers_gives_503,
    packager_rejections_are_passed_through,
    a_full_packager_queue_gives_503_with_retry_after,
    disallowed_callback_hosts_are_refused_before_forwarding
);
