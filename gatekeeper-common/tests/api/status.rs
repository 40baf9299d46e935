use serde_json::Value;

use crate::both_backends;
use crate::helpers::fake_packager::Mode;
use crate::helpers::{config, event, with_packager, Backend, TestApp, TestDb};

async fn malformed_and_unknown_ids(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    let (status, body) = app.get_json("/packages/status/not-a-uuid").await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "malformed-uuid");
    assert_eq!(body["error"], "Process UUID not-a-uuid not valid");

    let id = uuid::Uuid::new_v4();
    let (status, body) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "process-not-found");
}

async fn running_then_finished_shapes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (_packager, mut cfg) = with_packager(&db, Mode::Accept).await;
    cfg.public_url = Some("http://gk.example:32002".to_owned());
    let app = TestApp::spawn(cfg).await;
    let id = app.upload_ok(&[]).await;

    let (status, running) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(running["package_process_uuid"], id.as_str());
    assert_eq!(running["status"], "running");
    assert!(running.get("package_process_status").is_none(), "{running}");
    assert!(running["created_at"].is_string());

    let (status, _) = app.post_event(&event(&id, true)).await;
    assert_eq!(status, 200);
    let (status, done) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(done["package_process_status"], "success");
    assert_eq!(done["event_name"], "onPackageChangeEvent");
    let package_id = done["package_id"].as_str().unwrap();
    assert_eq!(
        done["package_location"],
        format!("http://gk.example:32002/api/v3/packages/{package_id}")
    );
    assert_eq!(done["created_at"], running["created_at"]);
    assert!(done["updated_at"].is_string());
}

async fn a_failed_process_reports_error_and_code(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (_packager, cfg) = with_packager(&db, Mode::AcceptAndCallBack { success: false }).await;
    let app = TestApp::spawn(cfg).await;
    let id = app.upload_ok(&[]).await;
    let done: Value = app
        .wait_finished(&id, std::time::Duration::from_secs(5))
        .await;
    assert_eq!(done["package_process_status"], "failed");
    assert_eq!(done["package_id"], Value::Null);
    assert_eq!(done["package_location"], Value::Null);
    assert_eq!(done["package_metadata"]["error_code"], "checksum-mismatch");
    assert!(done["package_metadata"]["error"]
        .as_str()
        .unwrap()
        .contains("Checksum"));
}

both_backends!(
    malformed_and_unknown_ids,
    running_then_finished_shapes,
    a_failed_process_reports_error_and_code
);
