//! Package deletion, the cascade of catalogue.md §8 (acceptance cases G2–G16), and the
//! package-content routes of §6.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, json, on_both_backends, on_every_store, Backend, TestApp};

on_both_backends!(
    cascade_delete_keeps_what_another_package_uses,
    package_content_routes
);
on_every_store!(concurrent_package_deletes_release_shared_parts_once);

async fn created_uuid(response: reqwest::Response) -> String {
    assert!(response.status().is_success(), "{}", response.status());
    json(response).await["uuid"].as_str().unwrap().to_owned()
}

fn vnf_id() -> Value {
    json!({"name": "myvnf", "vendor": "eu.5gtango", "version": "0.1"})
}

fn entry(content_type: &str, source: &str, uuid: &str, id: Value) -> Value {
    let mut entry = json!({"source": source, "content-type": content_type, "uuid": uuid});
    entry["id"] = id;
    entry
}

async fn cascade_delete_keeps_what_another_package_uses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tg0 = created_uuid(
        app.upload("/tgo-packages", "pkg_dup.tgo", b"zip-0".to_vec())
            .await,
    )
    .await;
    let tg1 = created_uuid(
        app.upload("/tgo-packages", "pkg.tgo", b"zip-1".to_vec())
            .await,
    )
    .await;
    let vnf = vnf_id().to_string().into_bytes();
    let vnf_uuid = created_uuid(app.post_json("/vnfs", &vnf).await).await;
    assert_eq!(
        created_uuid(app.post_json("/vnfs", &vnf).await).await,
        vnf_uuid
    );
    let ns_id = json!({"name": "myns", "vendor": "eu.5gtango", "version": "0.1"});
    let ns_dup_id = json!({"name": "mynsasda", "vendor": "eu.5gtangoasdada", "version": "0.123"});
    let ns = created_uuid(
        app.post_json("/network-services", ns_id.to_string().as_bytes())
            .await,
    )
    .await;
    let ns_dup = created_uuid(
        app.post_json("/network-services", ns_dup_id.to_string().as_bytes())
            .await,
    )
    .await;
    let f0 = created_uuid(
        app.upload("/files", "cloud.init", b"#cloud-config".to_vec())
            .await,
    )
    .await;
    let f1 = created_uuid(
        app.upload("/files", "MyExample", b"example bytes".to_vec())
            .await,
    )
    .await;
    let fd0 = created_uuid(
        app.upload("/files", "MyExample_dup", b"example bytes".to_vec())
            .await,
    )
    .await;
    let fd1 = created_uuid(
        app.upload("/files", "MyExample_dup.cfg", b"cfg bytes".to_vec())
            .await,
    )
    .await;

    let pd0 = json!({"vendor": "eu.5gtango", "name": "ns-package", "version": "0.1",
    "package_file_uuid": tg0, "package_file_name": "pkg_dup.tgo",
    "package_content": [
        entry("application/vnd.5gtango.vnfd", "Definitions/myvnfd.yaml", "", vnf_id()),
        entry("application/vnd.5gtango.nsd", "Definitions/mynsd.yaml", &ns, ns_id.clone()),
        entry("text/plain", "Icons/MyExample", &f1, json!("Icons/MyExample")),
        entry("text/x-shellscript", "Scripts/cloud.init", &f0, json!("Scripts/cloud.init")),
        entry("application/vnd.5gtango.ref", "http://example.com/ref", "", json!("ref")),
    ]});
    let pd1 = json!({"vendor": "eu.5gtango", "name": "ns-package-dup", "version": "0.1",
    "package_file_uuid": tg1, "package_file_name": "pkg.tgo",
    "package_content": [
        entry("application/vnd.5gtango.vnfd", "Definitions/myvnfd.yaml", &vnf_uuid, vnf_id()),
        entry("application/vnd.5gtango.nsd", "Definitions/mynsd.yaml", &ns_dup, ns_dup_id.clone()),
        entry("text/plain", "Icons/MyExample_dup", &fd0, json!("Icons/MyExample_dup")),
        entry("text/plain", "Icons/MyExample_dup.cfg", &fd1, json!("Icons/MyExample_dup.cfg")),
    ]});
    let p0 = created_uuid(app.post_json("/packages", pd0.to_string().as_bytes()).await).await;
    let p1 = created_uuid(app.post_json("/packages", pd1.to_string().as_bytes()).await).await;

    let first = app.delete(&format!("/packages/{p0}")).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first = json(first).await;
    assert_eq!(first["result"]["delete"]["vnfds"], json!([vnf_id()]));
    assert_eq!(first["result"]["delete"]["nsds"], json!([ns_id]));
    assert_eq!(
        first["result"]["delete"]["files"],
        json!([{"uuid": f1}, {"uuid": f0}])
    );
    assert_eq!(first["result"]["cant_delete"]["files"], json!([]));
    let kept = json(app.get(&format!("/vnfs/{vnf_uuid}")).await).await;
    assert_eq!(kept["pkg_ref"], 1, "the other package still uses the VNFD");
    for gone in [
        format!("/network-services/{ns}"),
        format!("/files/{f0}"),
        format!("/files/{f1}"),
        format!("/tgo-packages/{tg0}"),
        format!("/packages/{p0}"),
    ] {
        assert_error(app.get(&gone).await, StatusCode::NOT_FOUND, "not-found").await;
    }
    let shared = app
        .client
        .get(app.url(&format!("/files/{fd0}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        shared.bytes().await.unwrap().as_ref(),
        b"example bytes",
        "blob shared with FD0 kept"
    );

    let second = json(app.delete(&format!("/packages/{p1}")).await).await;
    assert_eq!(second["result"]["delete"]["vnfds"], json!([vnf_id()]));
    assert_eq!(second["result"]["delete"]["nsds"], json!([ns_dup_id]));
    assert_eq!(
        second["result"]["delete"]["files"],
        json!([{"uuid": fd0}, {"uuid": fd1}])
    );
    assert_error(
        app.get(&format!("/vnfs/{vnf_uuid}")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    for collection in [
        "/vnfs",
        "/network-services",
        "/files",
        "/tgo-packages",
        "/packages",
    ] {
        assert_eq!(app.count(collection).await, 0, "{collection}");
    }
    assert!(app.stored_blobs().await.is_empty(), "every blob collected");
    let again = app.delete(&format!("/packages/{p1}")).await;
    assert_error(again, StatusCode::NOT_FOUND, "not-found").await;
}

async fn package_content_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = created_uuid(
        app.upload("/files", "run.sh", b"#!/bin/sh\necho hi\n".to_vec())
            .await,
    )
    .await;
    let pd = json!({"vendor": "v", "name": "n", "version": "1",
        "package_content": [entry("text/x-shellscript", "Scripts/run.sh", &file, json!("Scripts/run.sh"))]});
    let pd_uuid = created_uuid(app.post_json("/packages", pd.to_string().as_bytes()).await).await;
    let content = json(app.get(&format!("/packages/{pd_uuid}/files")).await).await;
    assert_eq!(content[0]["uuid"], file.as_str());
    let bytes = app
        .client
        .get(app.url(&format!("/packages/{pd_uuid}/files/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.headers()["content-type"], "text/x-shellscript");
    assert_eq!(
        bytes.bytes().await.unwrap().as_ref(),
        b"#!/bin/sh\necho hi\n"
    );
    let unknown = uuid::Uuid::new_v4();
    let missing = app
        .get(&format!("/packages/{pd_uuid}/files/{unknown}"))
        .await;
    assert_error(missing, StatusCode::NOT_FOUND, "not-found").await;

    let status = app
        .client
        .put(app.url(&format!("/packages/{pd_uuid}/status")))
        .header("Content-Type", "application/json")
        .body(r#"{"status": "INACTIVE"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(json(status).await["OK"], "Status updated to inactive");
    assert_eq!(
        json(app.get(&format!("/packages/{pd_uuid}")).await).await["status"],
        "inactive"
    );
    let bad = app
        .client
        .put(app.url(&format!("/packages/{pd_uuid}/status")))
        .header("Content-Type", "application/json")
        .body(r#"{"status": "gone"}"#)
        .send()
        .await
        .unwrap();
    assert_error(bad, StatusCode::BAD_REQUEST, "invalid-status").await;

    // A package delete without a .tgo (P11, adjusted): 200, nothing left.
    let deleted = json(app.delete(&format!("/packages/{pd_uuid}")).await).await;
    assert_eq!(
        deleted["result"]["delete"]["files"],
        json!([{"uuid": file}])
    );
    assert_eq!(app.count("/files").await, 0);
}

/// Six packages share a VNFD, an artifact record and the bytes of their archives; deleting
/// them all at once releases every shared part once per package: nothing is left, nothing
/// fails, and the shared blobs are collected.
async fn concurrent_package_deletes_release_shared_parts_once(backend: Backend) {
    const PACKAGES: usize = 6;
    let app = TestApp::spawn(backend).await;
    let vnf = vnf_id().to_string().into_bytes();
    let mut packages = Vec::new();
    for i in 0..PACKAGES {
        let vnf_uuid = created_uuid(app.post_json("/vnfs", &vnf).await).await;
        let file = created_uuid(app.upload("/files", "shared.cfg", b"shared".to_vec()).await).await;
        let tgo = created_uuid(
            app.upload("/tgo-packages", "p.tgo", b"same zip".to_vec())
                .await,
        )
        .await;
        let pd = json!({"vendor": "eu.5gtango", "name": format!("p{i}"), "version": "1",
        "package_file_uuid": tgo,
        "package_content": [
            entry("application/vnd.5gtango.vnfd", "Definitions/v.yaml", &vnf_uuid, vnf_id()),
            entry("text/plain", "cfg/shared.cfg", &file, json!("cfg/shared.cfg")),
        ]});
        packages
            .push(created_uuid(app.post_json("/packages", pd.to_string().as_bytes()).await).await);
    }
    assert_eq!(json(app.get("/vnfs").await).await[0]["pkg_ref"], PACKAGES);
    assert_eq!(app.stored_blobs().await.len(), 2);
    let paths: Vec<String> = packages.iter().map(|p| format!("/packages/{p}")).collect();
    let deletes = paths.iter().map(|path| app.delete(path));
    for response in futures_util::future::join_all(deletes).await {
        assert_eq!(response.status(), StatusCode::OK);
        let body = json(response).await;
        assert_eq!(
            body["result"]["delete"]["vnfds"],
            json!([vnf_id()]),
            "{body}"
        );
        assert_eq!(
            body["result"]["delete"]["files"].as_array().map(Vec::len),
            Some(1)
        );
    }
    for collection in ["/vnfs", "/files", "/tgo-packages", "/packages"] {
        assert_eq!(app.count(collection).await, 0, "{collection}");
    }
    assert!(
        app.stored_blobs().await.is_empty(),
        "shared blobs collected"
    );
}
