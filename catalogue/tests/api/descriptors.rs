//! Descriptor collections: catalogue.md §13.1–13.4, duplicates, YAML, platforms, concurrency.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    assert_error, descriptor, fixture, json, on_both_backends, spec_fixture, Backend, TestApp,
};

on_both_backends!(
    nsd_lifecycle,
    vnfd_lifecycle,
    testd_lifecycle,
    package_descriptor_lifecycle,
    yaml_in_and_out,
    platform_is_part_of_the_identity,
    concurrent_creates_give_one_record,
    put_stores_a_new_version,
    osm_vnfd_without_vendor,
);

/// N2–N10, and the "referenced/removed" delete rule.
async fn nsd_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .post_json("/network-services", &spec_fixture("nsd-example.json"))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = json(created).await;
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    assert!(created["nsd"]["name"].is_string());
    assert_eq!(created["pkg_ref"], 1);
    assert_eq!(created["platform"], "5gtango");
    assert_eq!(created["status"], "active");

    let again = app
        .post_json("/network-services", &spec_fixture("nsd-example.json"))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let again = json(again).await;
    assert_eq!(again["uuid"], uuid.as_str());
    assert_eq!(again["pkg_ref"], 2);

    let bad = app
        .post_json(
            "/network-services",
            &spec_fixture("nsd-example-with-errors.json"),
        )
        .await;
    let body = assert_error(bad, StatusCode::BAD_REQUEST, "missing-field").await;
    assert_eq!(body["error"], "NS Vendor not found");
    assert_eq!(app.count("/network-services").await, 1);

    let name = created["nsd"]["name"].as_str().unwrap();
    for query in ["", "?", &format!("?{name}"), "?version=last"] {
        let list = app.get(&format!("/network-services{query}")).await;
        assert_eq!(list.status(), StatusCode::OK, "{query}");
        let list = json(list).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{query}");
    }
    let one = app.get(&format!("/network-services/{uuid}")).await;
    assert_eq!(one.status(), StatusCode::OK);

    let first = json(app.delete(&format!("/network-services/{uuid}")).await).await;
    assert_eq!(first["OK"], "NSD referenced => 1");
    let second = json(app.delete(&format!("/network-services/{uuid}")).await).await;
    assert_eq!(second["OK"], "NSD removed");
    let gone = app.get(&format!("/network-services/{uuid}")).await;
    assert_error(gone, StatusCode::NOT_FOUND, "not-found").await;
    let again = app.delete(&format!("/network-services/{uuid}")).await;
    assert_error(again, StatusCode::NOT_FOUND, "not-found").await;
}

/// V2–V11, through the alternative prefix too.
async fn vnfd_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = json(
        app.post_json("/vnfs", &spec_fixture("vnfd-example.json"))
            .await,
    )
    .await;
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    let again = json(
        app.post_json("/vnfs", &spec_fixture("vnfd-example.json"))
            .await,
    )
    .await;
    assert_eq!(again["pkg_ref"], 2);
    assert_eq!(again["uuid"], uuid.as_str());
    let bad = app
        .post_json("/vnfs", &spec_fixture("vnfd-example-with-errors.json"))
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, "missing-field").await;

    let status = app.put(&format!("/vnfs/{uuid}?status=inactive")).await;
    assert_eq!(status.status(), StatusCode::OK);
    assert_eq!(
        json(status).await["OK"],
        "Status updated to {status=inactive}"
    );
    let alt = app
        .client
        .get(format!("{}/vnfs/{uuid}", app.alt_base))
        .send()
        .await
        .unwrap();
    assert_eq!(alt.status(), StatusCode::OK);
    assert_eq!(json(alt).await["status"], "inactive");
    let bad_status = app.put(&format!("/vnfs/{uuid}?status=sleeping")).await;
    assert_error(bad_status, StatusCode::BAD_REQUEST, "invalid-status").await;

    assert_eq!(
        json(app.delete(&format!("/vnfs/{uuid}")).await).await["OK"],
        "VNFD referenced => 1"
    );
    assert_eq!(
        json(app.delete(&format!("/vnfs/{uuid}")).await).await["OK"],
        "VNFD removed"
    );
}

/// T2–T11, with the deep key `test_tag` (§3.4, B6: no match → empty list).
async fn testd_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .post_json("/tests", &spec_fixture("testd-example.json"))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let uuid = json(created).await["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        json(
            app.post_json("/tests", &spec_fixture("testd-example.json"))
                .await
        )
        .await["pkg_ref"],
        2
    );
    let bad = app
        .post_json("/tests", &spec_fixture("testd-example-with-errors.json"))
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, "missing-field").await;

    let tagged = json(app.get("/tests?test_tag=io_bandwidth").await).await;
    assert_eq!(tagged[0]["uuid"], uuid.as_str());
    let none = json(app.get("/tests?test_tag=no_such_tag").await).await;
    assert_eq!(none, serde_json::json!([]));
    assert_eq!(
        app.put(&format!("/tests/{uuid}?status=inactive"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        json(app.delete(&format!("/tests/{uuid}")).await).await["OK"],
        "TESTD referenced => 1"
    );
    assert_eq!(
        json(app.delete(&format!("/tests/{uuid}")).await).await["OK"],
        "TESTD removed"
    );
}

/// P2–P11 (P11 adjusted: a package without a .tgo is deleted, not a 500).
async fn package_descriptor_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .post_json("/packages", &spec_fixture("pd-example.json"))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = json(created).await;
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    assert!(
        created.get("pkg_ref").is_none(),
        "packages are not reference-counted"
    );

    let duplicate = app
        .post_json("/packages", &spec_fixture("pd-example.json"))
        .await;
    let body = assert_error(duplicate, StatusCode::CONFLICT, "duplicate-package").await;
    assert_eq!(body["uuid"], uuid.as_str());
    assert_eq!(
        body["error"],
        format!("Duplicate with Package ID => {uuid}")
    );
    let bad = app
        .post_json("/packages", &spec_fixture("pd-example-with-errors.json"))
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, "missing-field").await;

    let vendor = created["pd"]["vendor"].as_str().unwrap();
    let name = created["pd"]["name"].as_str().unwrap();
    let version = created["pd"]["version"].as_str().unwrap();
    let found = json(
        app.get(&format!(
            "/packages?vendor={vendor}&name={name}&version={version}"
        ))
        .await,
    )
    .await;
    assert_eq!(found[0]["uuid"], uuid.as_str());
    assert_eq!(
        app.get("/packages?version=last").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/packages/{uuid}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.put(&format!("/packages/{uuid}?status=inactive"))
            .await
            .status(),
        StatusCode::OK
    );
    let no_tgo = app
        .put(&format!("/packages/{uuid}?sonp_uuid=0123456789"))
        .await;
    assert_error(no_tgo, StatusCode::NOT_FOUND, "not-found").await;

    let deleted = app.delete(&format!("/packages/{uuid}")).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert!(json(deleted).await["result"]["delete"].is_object());
    assert_error(
        app.get(&format!("/packages/{uuid}")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let again = app
        .post_json("/packages", &spec_fixture("pd-example.json"))
        .await;
    assert_eq!(
        again.status(),
        StatusCode::CREATED,
        "a deleted package can be stored again"
    );
}

async fn yaml_in_and_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .post(app.url("/vnfs?username=alice"))
        .header("Content-Type", "application/x-yaml")
        .body(fixture("samples/vnfd_example.yml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("yaml"));
    let text = response.text().await.unwrap();
    assert!(text.starts_with("---"), "{text}");
    assert!(text.contains("username: alice"), "{text}");

    let as_json = json(app.get("/vnfs").await).await;
    assert_eq!(as_json[0]["username"], "alice");
    let uuid = as_json[0]["uuid"].as_str().unwrap();
    let as_yaml = app
        .client
        .get(app.url(&format!("/vnfs/{uuid}")))
        .header("Accept", "application/x-yaml")
        .send()
        .await
        .unwrap();
    assert!(as_yaml
        .text()
        .await
        .unwrap()
        .contains(&format!("uuid: {uuid}")));
}

async fn platform_is_part_of_the_identity(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = descriptor("eu.5gtango", "myvnf", "0.1");
    assert_eq!(
        app.post_json("/vnfs", &body).await.status(),
        StatusCode::CREATED
    );
    let osm = serde_json::json!({"vnfd:vnfd-catalog": {"vnfd": [
        {"id": "myvnf", "vendor": "eu.5gtango", "version": "0.1", "description": "osm"}
    ]}});
    let osm_created = app
        .post_json("/vnfs?platform=osm", osm.to_string().as_bytes())
        .await;
    assert_eq!(
        osm_created.status(),
        StatusCode::CREATED,
        "other platform, other record"
    );
    let osm_created = json(osm_created).await;
    assert_eq!(osm_created["platform"], "osm");
    assert!(
        osm_created["vnfd"]["vnfd:vnfd-catalog"].is_object(),
        "returned as sent"
    );
    let misaligned = app.post_json("/vnfs?platform=osm", &body).await;
    assert_error(misaligned, StatusCode::BAD_REQUEST, "platform-mismatch").await;
    let onap = serde_json::json!({"tosca_definitions_version": "tosca_simple_yaml_1_1",
        "metadata": {"template_name": "onapvnf", "template_author": "x", "vnf_designer": "acme", "template_version": "1.0"}});
    let onap_created = app
        .post_json("/vnfs?platform=onap", onap.to_string().as_bytes())
        .await;
    assert_eq!(onap_created.status(), StatusCode::CREATED);
    assert_eq!(app.count("/vnfs").await, 3);
    assert_eq!(app.count("/vnfs?platform=osm").await, 1);
}

async fn concurrent_creates_give_one_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = descriptor("eu.5gtango", "racer", "1.0");
    let attempts = (0..8).map(|_| app.post_json("/vnfs", &body));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        7,
        "{statuses:?}"
    );
    let list = json(app.get("/vnfs").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["pkg_ref"], 8);

    let pd = descriptor("eu.5gtango", "pkg", "1.0");
    let attempts = (0..6).map(|_| app.post_json("/packages", &pd));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(app.count("/packages").await, 1);

    // Concurrent deletes of a record with pkg_ref 8: exactly one removes it.
    let uuid = list[0]["uuid"].as_str().unwrap().to_owned();
    let path = format!("/vnfs/{uuid}");
    let deletes = (0..8).map(|_| app.delete(&path));
    let mut removed = 0;
    for response in futures_util::future::join_all(deletes).await {
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        if body["OK"] == "VNFD removed" {
            removed += 1;
        }
    }
    assert_eq!(removed, 1);
    assert_eq!(app.count("/vnfs").await, 0);
}

async fn put_stores_a_new_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let old = json(app.post_json("/vnfs", &descriptor("v", "n", "1.0")).await).await;
    let old_uuid = old["uuid"].as_str().unwrap();
    let response = app
        .client
        .put(app.url(&format!("/vnfs/{old_uuid}")))
        .header("Content-Type", "application/json")
        .body(descriptor("v", "n", "2.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let new = json(response).await;
    assert_ne!(new["uuid"], old["uuid"]);
    assert_eq!(new["vnfd"]["version"], "2.0");
    assert_eq!(app.count("/vnfs").await, 2, "the old version stays");
    let by_identity = app
        .client
        .put(app.url("/vnfs?vendor=v&name=n&version=1.0"))
        .header("Content-Type", "application/json")
        .body(descriptor("v", "n", "2.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json(by_identity).await["OK"],
        "Duplicated VNF Name, Vendor and Version"
    );
    let last = json(app.get("/vnfs?version=last").await).await;
    assert_eq!(last.as_array().unwrap().len(), 1);
    assert_eq!(last[0]["vnfd"]["version"], "2.0");
    let missing = app.put("/vnfs?vendor=v&name=n&version=9").await;
    assert_error(missing, StatusCode::NOT_FOUND, "not-found").await;
}

/// The mixed example's OSM VNFD names no vendor: the platform stands in for it (the identity
/// is osm / hackfest1-vnf / 1.0 on platform osm); the body is kept as sent.
async fn osm_vnfd_without_vendor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let yaml = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/projects/mixed-ns-project/osm_vnfd.yaml"),
    )
    .expect("the mixed fixture's OSM VNFD");
    let post = || {
        app.client
            .post(app.url("/vnfs?platform=osm"))
            .header("Content-Type", "application/x-yaml")
            .header("Accept", "application/json")
            .body(yaml.clone())
            .send()
    };
    let created = post().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = json(created).await;
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    assert_eq!(created["platform"], "osm");
    assert!(created["vnfd"]["vnfd:vnfd-catalog"]["vnfd"][0]["vendor"].is_null());
    let again = json(post().await.unwrap()).await;
    assert_eq!(
        (again["uuid"].as_str(), again["pkg_ref"].as_i64()),
        (Some(uuid.as_str()), Some(2))
    );
    let listed = json(
        app.get("/vnfs?platform=osm&vendor=osm&name=hackfest1-vnf&version=1.0")
            .await,
    )
    .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["uuid"], uuid.as_str());
    // The same body as a 5GTANGO descriptor has no vendor, name or version: refused.
    let tango = app
        .client
        .post(app.url("/vnfs"))
        .header("Content-Type", "application/x-yaml")
        .body(yaml.clone())
        .send()
        .await
        .unwrap();
    assert_error(tango, StatusCode::BAD_REQUEST, "missing-field").await;
    assert_eq!(app.count("/vnfs").await, 1);
    assert_eq!(
        json(app.delete(&format!("/vnfs/{uuid}")).await).await["OK"],
        "VNFD referenced => 1"
    );
}
