//! Lists, records, downloads, deletes, services and functions (AC-06..AC-13), with packages
//! on-boarded through the gatekeeper by the real packager.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::both_backends;
use crate::helpers::gate::Gate;
use crate::helpers::packages::{fixture, member, sample, VENDOR};
use crate::helpers::{config, stack, Backend, Platform, TestApp, TestDb};

async fn lists_paginate_with_record_count_and_rewritten_links(backend: Backend) {
    let db = TestDb::new(backend).await;
    let platform = Platform::start(backend).await;
    let mut cfg = platform.config(&db);
    cfg.public_url = Some("http://gk.example".to_owned());
    let port = crate::helpers::free_port();
    cfg.bind = format!("127.0.0.1:{port}");
    cfg.callback_base = Some(format!("http://127.0.0.1:{port}"));
    let app = TestApp::spawn(cfg).await;
    let (_, empty) = app.get_json("/packages").await;
    assert_eq!(
        empty,
        serde_json::json!([]),
        "AC-06: an empty catalogue lists []"
    );
    for name in ["pa", "pb", "pc"] {
        app.onboard_ok(&format!("{name}.tgo"), sample(name)).await;
    }
    let res = app.get("/packages?page_size=2&page_number=0").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["record-count"], "3");
    let link = res.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("<http://gk.example/api/v3/packages?"),
        "{link}"
    );
    assert!(!link.contains("catalogues"), "{link}");
    let page: Vec<Value> = res.json().await.unwrap();
    assert_eq!(page.len(), 2);
    let (_, second) = app.get_json("/packages?page_size=2&page_number=1").await;
    assert_eq!(second.as_array().unwrap().len(), 1);
    assert!(!page.contains(&second[0]), "pages do not overlap");
    let (_, all) = app.get_json("/packages").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    for item in all.as_array().unwrap() {
        assert!(item["uuid"].is_string());
        assert_eq!(item["pd"]["version"], "0.1");
        let created = item["created_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(created).is_ok(),
            "{created}"
        );
    }
    let (_, filtered) = app.get_json("/packages?name=pb").await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["pd"]["name"], "pb");
}

async fn get_download_and_delete_a_package(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let tgo = sample("dl");
    let package = app.onboard_ok("eu.gk-test.dl.0.1.tgo", tgo.clone()).await;

    // AC-07: the record and its content entries.
    let (status, record) = app.get_json(&format!("/packages/{package}")).await;
    assert_eq!(status, 200);
    let pd = &record["pd"];
    assert_eq!(pd["name"], "dl");
    assert_eq!(pd["package_file_name"], "eu.gk-test.dl.0.1.tgo");
    assert!(pd["package_file_uuid"].is_string());
    let content = pd["package_content"].as_array().unwrap();
    let nsd = content
        .iter()
        .find(|e| e["content-type"].as_str().unwrap().contains("5gtango.nsd"))
        .unwrap();
    assert_eq!(
        nsd["id"],
        serde_json::json!({"vendor": VENDOR, "name": "dl", "version": "0.1"})
    );
    for entry in content {
        assert!(
            entry["source"].is_string() && entry["hash"].is_string(),
            "{entry}"
        );
        assert!(
            entry["uuid"].is_string(),
            "stored in the catalogue: {entry}"
        );
    }

    // AC-09: the .tgo, byte for byte.
    let res = app.get(&format!("/packages/{package}/package-file")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert_eq!(
        res.headers()["content-length"],
        tgo.len().to_string().as_str()
    );
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment; filename=\"eu.gk-test.dl.0.1.tgo\""));
    assert!(res.headers().contains_key("etag"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), tgo.as_slice());

    // AC-10: every member, byte for byte.
    for entry in content {
        let source = entry["source"].as_str().unwrap();
        let file = entry["uuid"].as_str().unwrap();
        let res = app.get(&format!("/packages/{package}/files/{file}")).await;
        assert_eq!(res.status(), 200, "{source}");
        let name = source.rsplit('/').next().unwrap();
        assert!(res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(name));
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            member(&tgo, source).as_slice(),
            "{source}"
        );
    }
    let other = uuid::Uuid::new_v4();
    let (status, body) = app
        .get_json(&format!("/packages/{package}/files/{other}"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("file-not-found"))
    );

    // AC-11: delete, then it is gone everywhere; a second delete is a JSON 404.
    let res = app.delete(&format!("/packages/{package}")).await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());
    let (status, body) = app.get_json(&format!("/packages/{package}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("package-not-found"))
    );
    let (_, list) = app.get_json("/packages").await;
    assert_eq!(list, serde_json::json!([]));
    let res = app.delete(&format!("/packages/{package}")).await;
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    let res = app
        .delete(&format!("/packages/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
}

/// AC-10 on the gateway's wrapped fixture (a top folder and `__MACOSX/` junk): every stored
/// entry, descriptors included, downloads byte for byte.
async fn every_member_of_a_wrapped_package_downloads_byte_identical(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let tgo = fixture("gateway/5gtango-ns-package-example-wrapped.tgo");
    let package = app.onboard_ok("wrapped.tgo", tgo.clone()).await;
    let (_, record) = app.get_json(&format!("/packages/{package}")).await;
    let mut checked = 0;
    for entry in record["pd"]["package_content"].as_array().unwrap() {
        let (Some(source), Some(file)) = (entry["source"].as_str(), entry["uuid"].as_str()) else {
            continue;
        };
        let res = app.get(&format!("/packages/{package}/files/{file}")).await;
        assert_eq!(res.status(), 200, "{source}");
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            member(&tgo, source).as_slice(),
            "{source}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} entries were stored");
}

async fn services_and_functions_carry_the_platform(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let tgo = fixture("reference-packed/eu.5gtango.test-ns-nsid1v.0.1.tgo");
    let package = app
        .onboard_ok("eu.5gtango.test-ns-nsid1v.0.1.tgo", tgo.clone())
        .await;

    // AC-09 on the real fixture: the download has the upload's digest.
    let res = app.get(&format!("/packages/{package}/package-file")).await;
    let got = res.bytes().await.unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&got)),
        hex::encode(Sha256::digest(&tgo))
    );

    // AC-08, as tnglib's `Map Package On Service` matches it.
    let (_, record) = app.get_json(&format!("/packages/{package}")).await;
    let nsd_entry = record["pd"]["package_content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["content-type"].as_str().unwrap().contains("5gtango.nsd"))
        .cloned()
        .unwrap();
    assert_eq!(nsd_entry["id"]["name"], "test-nsid1v");
    let (status, services) = app.get_json("/services").await;
    assert_eq!(status, 200);
    let service = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["platform"] == "5gtango"
                && s["nsd"]["name"] == nsd_entry["id"]["name"]
                && s["nsd"]["version"] == nsd_entry["id"]["version"]
        })
        .cloned()
        .unwrap_or_else(|| panic!("no matching service in {services}"));
    assert!(service["created_at"].is_string());
    let uuid = service["uuid"].as_str().unwrap();
    let (status, one) = app.get_json(&format!("/services/{uuid}")).await;
    assert_eq!((status, &one["uuid"]), (200, &service["uuid"]));

    let (status, functions) = app.get_json("/functions").await;
    assert_eq!(status, 200);
    let function = functions
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vnfd"]["name"] == "testvnf")
        .cloned()
        .unwrap_or_else(|| panic!("no testvnf in {functions}"));
    assert_eq!(function["platform"], "5gtango");
    let uuid = function["uuid"].as_str().unwrap();
    let (status, one) = app.get_json(&format!("/functions/{uuid}")).await;
    assert_eq!(
        (status, &one["vnfd"]["name"]),
        (200, &function["vnfd"]["name"])
    );

    let missing = uuid::Uuid::new_v4();
    let (status, body) = app.get_json(&format!("/services/{missing}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("service-not-found"))
    );
    let (status, body) = app.get_json(&format!("/functions/{missing}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("function-not-found"))
    );
}

/// AC-12 and AC-13: list, delete by name, upload again, twenty times; then remove all.
async fn clean_and_reupload_cycles_leave_no_residue(backend: Backend) {
    let (_db, platform, app) = stack(backend).await;
    app.onboard_ok("other.tgo", sample("other")).await;
    for round in 0..20 {
        let package = app.onboard_ok("cycle.tgo", sample("cycle")).await;
        let (_, list) = app.get_json("/packages").await;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2, "round {round}");
        for item in list.iter().filter(|p| p["pd"]["name"] == "cycle") {
            assert_eq!(item["uuid"], package.as_str());
            let res = app
                .delete(&format!("/packages/{}", item["uuid"].as_str().unwrap()))
                .await;
            assert_eq!(res.status(), 204, "round {round}");
        }
    }
    app.onboard_ok("third.tgo", sample("third")).await;
    let (_, list) = app.get_json("/packages").await;
    for item in list.as_array().unwrap() {
        let res = app
            .delete(&format!("/packages/{}", item["uuid"].as_str().unwrap()))
            .await;
        assert_eq!(res.status(), 204);
    }
    let (_, list) = app.get_json("/packages").await;
    assert_eq!(list, serde_json::json!([]));
    for route in ["vnfs", "network-services", "files", "tgo-packages"] {
        assert!(
            platform.catalogue_list(route).await.is_empty(),
            "{route} left over"
        );
    }
}

/// Decision 6: the same vendor/name/version again fails and names the existing package.
async fn a_duplicate_upload_fails_naming_the_existing_package(backend: Backend) {
    let (_db, _platform, app) = stack(backend).await;
    let first = app.onboard_ok("d.tgo", sample("dup")).await;
    let (_, again) = app.onboard("d.tgo", sample("dup"), &[]).await;
    assert_eq!(again["package_process_status"], "failed");
    assert_eq!(again["package_metadata"]["error_code"], "duplicate-package");
    let error = again["package_metadata"]["error"].as_str().unwrap();
    assert!(error.contains(&first), "{error}");
    let (_, list) = app.get_json("/packages").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["uuid"], first.as_str());
}

async fn catalogue_down_gives_503_and_bad_uuids_400(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    for path in ["/packages", "/services", "/functions"] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 503, "{path}");
        assert_eq!(body["code"], "catalogue-unavailable");
    }
    for path in [
        "/packages/nope",
        "/packages/nope/package-file",
        "/services/nope",
        "/functions/nope",
    ] {
        let (status, body): (u16, Value) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["code"], "malformed-uuid");
    }
}

/// A catalogue that takes connections and never answers: reads end with 503, not a hang.
async fn a_silent_catalogue_gives_503(backend: Backend) {
    let db = TestDb::new(backend).await;
    let silent = Gate::spawn(std::net::SocketAddr::from(([127, 0, 0, 1], 9))).await;
    let mut cfg = config(&db);
    cfg.catalogue_url = format!("http://{}/api/catalogues/v2", silent.addr);
    cfg.catalogue_answer_timeout = std::time::Duration::from_millis(300);
    let app = TestApp::spawn(cfg).await;
    let id = uuid::Uuid::new_v4();
    for path in [
        "/packages".to_owned(),
        "/functions".to_owned(),
        format!("/packages/{id}"),
        format!("/packages/{id}/package-file"),
    ] {
        let (status, body) = app.get_json(&path).await;
        assert_eq!(status, 503, "{path}");
        assert_eq!(body["code"], "catalogue-unavailable", "{path}");
    }
    let res = app.delete(&format!("/packages/{id}")).await;
    assert_eq!(res.status(), 503);
}

both_backends!(
    a_silent_catalogue_gives_503,
    lists_paginate_with_record_count_and_rewritten_links,
    get_download_and_delete_a_package,
    every_member_of_a_wrapped_package_downloads_byte_identical,
    services_and_functions_carry_the_platform,
    clean_and_reupload_cycles_leave_no_residue,
    a_duplicate_upload_fails_naming_the_existing_package,
    catalogue_down_gives_503_and_bad_uuids_400
);
