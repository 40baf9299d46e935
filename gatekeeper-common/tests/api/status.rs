//! `GET /packages/status/{id}` (decisions 1 and 2; AC-02..AC-05) with the real packager.

use std::time::Duration;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::packages::{bad_checksum, fixture, sample};
use crate::helpers::{config, stack, Backend, Platform, TestApp, TestDb};

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

/// What `tnglib`'s `Upload Package` does: POST, then poll once a second, at most ten times;
/// every poll must be 200 and only the terminal body may carry `package_process_status`.
/// Returns the terminal body.
async fn tnglib_upload(app: &TestApp, file_name: &str, bytes: Vec<u8>) -> Value {
    let res = app.upload(file_name, bytes, &[]).await;
    assert_eq!(res.status(), 200, "{file_name}");
    let body: Value = res.json().await.unwrap();
    let id = body["package_process_uuid"].as_str().unwrap().to_owned();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (status, body) = app.get_json(&format!("/packages/status/{id}")).await;
        assert_eq!(status, 200, "{file_name}: {body}");
        if body.get("package_process_status").is_some() {
            return body;
        }
        assert_eq!(body["status"], "running", "{file_name}: {body}");
        assert_eq!(body["package_process_uuid"], id.as_str());
    }
    panic!("{file_name}: no terminal status after 10 polls");
}

async fn the_tnglib_flow_onboards_the_reference_packages(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    // NS-only, CNF, test-descriptor-only, NS+TD hybrid, OSM-typed, slice and a bigger NS.
    for name in [
        "reference-packed/eu.5gtango.test-ns-nsid1v.0.1.tgo",
        "reference-packed/eu.5gtango.test-ns-nsid1c.0.1.tgo",
        "reference-packed/eu.5gtango.generic-probes-test-pingonly.0.1.tgo",
        "reference-packed/eu.5gtango.test-ns-nsid1v-and-tstping-sonata.0.2.tgo",
        "reference-packed/eu.5gtango.test-ns-nsid1v_cirros_osm.0.1.tgo",
        "reference-packed/eu.5gtango.test-slice-vnfs.0.1.tgo",
        "reference-packed/eu.5gtango.ns-mediapilot-service.0.5.tgo",
        "gateway/eu.5gtango.smoke-test-ns.0.1.tgo",
    ] {
        let file = name.rsplit('/').next().unwrap();
        let done = tnglib_upload(&app, file, fixture(name)).await;
        assert_eq!(done["package_process_status"], "success", "{name}: {done}");
        // AC-02's curl loop ends on a terminal body without `status`.
        assert!(done.get("status").is_none(), "{done}");
        let package = done["package_id"].as_str().unwrap();
        assert_eq!(
            done["package_location"],
            format!("{}/api/v3/packages/{package}", app.base)
        );
    }
    let (_, list) = app.get_json("/packages").await;
    assert_eq!(list.as_array().unwrap().len(), 8);
}

async fn running_then_finished_shapes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start_gated(backend, |_| {}).await;
    // The public URL is not this test's address, so the packager is given the real one.
    let port = crate::helpers::free_port();
    let mut cfg = platform.config(&db);
    cfg.public_url = Some("http://gk.example:32002".to_owned());
    cfg.bind = format!("127.0.0.1:{port}");
    cfg.callback_base = Some(format!("http://127.0.0.1:{port}"));
    let app = TestApp::spawn(cfg).await;
    let id = app.upload_ok("s.tgo", sample("shape"), &[]).await;

    let (status, running) = app.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(running["package_process_uuid"], id.as_str());
    assert_eq!(running["status"], "running");
    assert!(running.get("package_process_status").is_none(), "{running}");
    assert!(running["created_at"].is_string());
    assert!(running["updated_at"].is_string());

    platform.gate().open();
    let done = app.wait_finished(&id, Duration::from_secs(20)).await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    assert_eq!(done["event_name"], "onPackageChangeEvent");
    assert_eq!(done["package_process_uuid"], id.as_str());
    let package_id = done["package_id"].as_str().unwrap();
    assert_eq!(
        done["package_location"],
        format!("http://gk.example:32002/api/v3/packages/{package_id}")
    );
    assert_eq!(done["package_metadata"]["name"], "shape");
    assert_eq!(done["created_at"], running["created_at"]);
    let updated = chrono::DateTime::parse_from_rfc3339(done["updated_at"].as_str().unwrap());
    let created = chrono::DateTime::parse_from_rfc3339(done["created_at"].as_str().unwrap());
    assert!(updated.unwrap() >= created.unwrap());
}

async fn broken_packages_fail_with_error_and_code_and_leave_nothing(backend: Backend) {
    let (_db, platform, app) = stack(backend).await;
    for (name, bytes, code) in [
        ("bad.tgo", bad_checksum("broken"), "checksum-mismatch"),
        (
            "5gtango-ns-package-example-bad-checksum.tgo",
            fixture("5gtango-ns-package-example-bad-checksum.tgo"),
            "checksum-mismatch",
        ),
        (
            "5gtango-ns-package-example-malformed.tgo",
            fixture("5gtango-ns-package-example-malformed.tgo"),
            "",
        ),
        ("junk.tgo", b"not a zip at all".to_vec(), "not-a-zip"),
    ] {
        let done = tnglib_upload(&app, name, bytes).await;
        assert_eq!(done["package_process_status"], "failed", "{name}: {done}");
        assert_eq!(done["package_id"], Value::Null);
        assert_eq!(done["package_location"], Value::Null);
        let error = done["package_metadata"]["error"].as_str().unwrap();
        assert!(!error.is_empty());
        let got = done["package_metadata"]["error_code"].as_str().unwrap();
        assert!(
            got.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{got}"
        );
        if !code.is_empty() {
            assert_eq!(got, code, "{name}: {error}");
        }
    }
    let (status, list) = app.get_json("/packages").await;
    assert_eq!((status, list), (200, serde_json::json!([])));
    for route in ["vnfs", "network-services", "files", "tgo-packages"] {
        assert!(platform.catalogue_list(route).await.is_empty(), "{route}");
    }
}

both_backends!(
    malformed_and_unknown_ids,
    the_tnglib_flow_onboards_the_reference_packages,
    running_then_finished_shapes,
    broken_packages_fail_with_error_and_code_and_leave_nothing
);
