//! On-boarding small generated packages: stored parts, duplicates, failures with no residue,
//! the topology level against the catalogue, skip_store.

use package_format::test_support::{sample_package, sample_package_files, ZipBuilder};
use serde_json::Value;

use crate::helpers::{code, form, on_both_backends, Backend, Platform, TestCatalogue};

on_both_backends!(
    a_valid_package_is_stored_with_every_part_annotated,
    a_second_upload_of_the_same_package_is_a_duplicate_and_stores_nothing_more,
    a_bad_checksum_fails_and_leaves_the_catalogue_empty,
    a_vnf_neither_shipped_nor_catalogued_fails_the_topology_with_no_residue,
    a_vnf_already_in_the_catalogue_satisfies_the_topology,
    skip_store_validates_stores_nothing_and_still_calls_back,
    a_deleted_package_can_be_uploaded_again,
    the_username_is_recorded_on_every_stored_part,
);

async fn a_valid_package_is_stored_with_every_part_annotated(backend: Backend) {
    let p = Platform::start(backend).await;
    let event = p
        .packager
        .on_board(form(
            sample_package("eu.test", "good", "0.1"),
            "good.tgo",
            None,
        ))
        .await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    let package_id = event["package_id"].as_str().unwrap();
    assert_eq!(
        event["package_location"],
        format!("{}/packages/{package_id}", p.catalogue.base)
    );
    let record = &event["package_metadata"];
    assert_eq!(record["package_file_name"], "good.tgo");
    assert_eq!(record["metadata"]["_storage_uuid"], package_id);
    for entry in record["package_content"].as_array().unwrap() {
        let route = TestCatalogue::collection_of(entry).unwrap();
        let uuid = entry["uuid"].as_str().expect("every part has a uuid");
        assert_eq!(
            p.catalogue.get(&format!("{route}/{uuid}")).await.status(),
            200
        );
        assert!(!entry["id"].is_null(), "{entry}");
    }
    let nsd = record["package_content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["content-type"] == "application/vnd.5gtango.nsd")
        .unwrap();
    assert_eq!(
        nsd["id"],
        serde_json::json!({"vendor": "eu.test", "name": "good", "version": "0.1"})
    );

    let stored: Value = p
        .catalogue
        .get(&format!("packages/{package_id}"))
        .await
        .json()
        .await
        .unwrap();
    let pd = &stored["pd"];
    assert_eq!(pd["name"], "good", "{stored}");
    assert_eq!(pd["package_file_uuid"], record["package_file_uuid"]);
    let tgo_uuid = record["package_file_uuid"].as_str().unwrap();
    let tgo = reqwest::get(format!("{}/tgo-packages/{tgo_uuid}", p.catalogue.base))
        .await
        .unwrap();
    assert_eq!(tgo.status(), 200);
    assert_eq!(
        tgo.bytes().await.unwrap().as_ref(),
        sample_package("eu.test", "good", "0.1").as_slice(),
        "the stored archive is the uploaded one"
    );
    let digest =
        package_format::test_support::sha256_hex(&sample_package("eu.test", "good", "0.1"));
    assert_eq!(record["metadata"]["package_sha256"], digest.as_str());
    let tgo_record: Value = p
        .catalogue
        .get(&format!("tgo-packages/{tgo_uuid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tgo_record["sha256"], digest.as_str(), "{tgo_record}");
    let snapshot = p.catalogue.snapshot().await;
    for (collection, want) in [
        ("packages", 1),
        ("network-services", 1),
        ("vnfs", 1),
        ("tests", 0),
        ("files", 1),
        ("tgo-packages", 1),
    ] {
        assert_eq!(snapshot[collection].len(), want, "{collection}");
    }
}

async fn a_second_upload_of_the_same_package_is_a_duplicate_and_stores_nothing_more(
    backend: Backend,
) {
    let p = Platform::start(backend).await;
    let bytes = sample_package("eu.test", "dup", "0.1");
    let first = p
        .packager
        .on_board(form(bytes.clone(), "a.tgo", None))
        .await;
    assert_eq!(first["package_process_status"], "success", "{first}");
    let before = p.catalogue.snapshot().await;
    let second = p.packager.on_board(form(bytes, "b.tgo", None)).await;
    assert_eq!(second["package_process_status"], "failed");
    assert_eq!(code(&second), "duplicate-package");
    let existing = first["package_id"].as_str().unwrap();
    assert!(second["package_metadata"]["error"]
        .as_str()
        .unwrap()
        .contains(existing));
    assert_eq!(
        second["package_metadata"]["metadata"]["existing_package_uuid"],
        existing
    );
    assert!(second["package_id"].is_null());
    assert_eq!(p.catalogue.snapshot().await, before);
}

async fn a_bad_checksum_fails_and_leaves_the_catalogue_empty(backend: Backend) {
    let p = Platform::start(backend).await;
    let mut files = sample_package_files("eu.test", "bad", "0.1");
    files.insert("Docs/README.txt".into(), b"tampered\n".to_vec());
    let event = p
        .packager
        .on_board(form(
            ZipBuilder::from_files(&files).build(),
            "bad.tgo",
            None,
        ))
        .await;
    assert_eq!(event["package_process_status"], "failed");
    assert_eq!(code(&event), "checksum-mismatch");
    assert!(event["package_metadata"]["error"]
        .as_str()
        .unwrap()
        .contains("Docs/README.txt"));
    assert!(event["package_id"].is_null());
    p.catalogue.assert_empty().await;
}

/// The sample package without its VNFD, its NSD naming the VNF of package `vnf_of`.
fn package_without_its_vnfd(vendor: &str, name: &str, vnf_of: &str) -> Vec<u8> {
    let mut files = sample_package_files(vendor, name, "0.1");
    files.remove("Definitions/vnfd.yml");
    let nsd = String::from_utf8(files["Definitions/nsd.yml"].clone()).unwrap();
    let nsd = nsd.replace(
        &format!("vnf_name: {name}-vnf"),
        &format!("vnf_name: {vnf_of}-vnf"),
    );
    let hash = package_format::test_support::sha256_hex(nsd.as_bytes());
    files.insert("Definitions/nsd.yml".into(), nsd.into_bytes());
    let napd = String::from_utf8(files["TOSCA-Metadata/NAPD.yaml"].clone()).unwrap();
    let (head, rest) = napd.split_once("- source: Definitions/vnfd.yml").unwrap();
    let tail = rest.split_once("- source: Docs/README.txt").unwrap().1;
    let napd = fix_hash(
        &format!("{head}- source: Docs/README.txt{tail}"),
        "Definitions/nsd.yml",
        &hash,
    );
    files.insert("TOSCA-Metadata/NAPD.yaml".into(), napd.into_bytes());
    ZipBuilder::from_files(&files).build()
}

/// Replace the hash of `source` in a generated NAPD.
fn fix_hash(napd: &str, source: &str, hash: &str) -> String {
    let mut out = Vec::new();
    let mut in_entry = false;
    for line in napd.lines() {
        if let Some(s) = line.strip_prefix("- source: ") {
            in_entry = s == source;
        }
        match line.strip_prefix("  hash: ") {
            Some(_) if in_entry => out.push(format!("  hash: {hash}")),
            _ => out.push(line.to_owned()),
        }
    }
    out.join("\n") + "\n"
}

async fn a_vnf_neither_shipped_nor_catalogued_fails_the_topology_with_no_residue(backend: Backend) {
    let p = Platform::start(backend).await;
    let bytes = package_without_its_vnfd("eu.test", "outside", "outside");
    let event = p.packager.on_board(form(bytes, "outside.tgo", None)).await;
    assert_eq!(code(&event), "topology-invalid", "{event}");
    assert!(event["package_metadata"]["error"]
        .as_str()
        .unwrap()
        .contains("eu.test.outside-vnf.0.1"));
    p.catalogue.assert_empty().await;
}

async fn a_vnf_already_in_the_catalogue_satisfies_the_topology(backend: Backend) {
    let p = Platform::start(backend).await;
    let first = p
        .packager
        .on_board(form(
            sample_package("eu.test", "base", "0.1"),
            "base.tgo",
            None,
        ))
        .await;
    assert_eq!(first["package_process_status"], "success", "{first}");
    let bytes = package_without_its_vnfd("eu.test", "reuser", "base");
    let event = p.packager.on_board(form(bytes, "reuser.tgo", None)).await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    assert_eq!(p.catalogue.list("packages").await.len(), 2);
    assert_eq!(p.catalogue.list("vnfs").await.len(), 1);
}

async fn skip_store_validates_stores_nothing_and_still_calls_back(backend: Backend) {
    let p = Platform::start(backend).await;
    let callback = p.callback("skip");
    let good = form(
        sample_package("eu.test", "skip", "0.1"),
        "s.tgo",
        Some(&callback),
    )
    .text("skip_store", "true");
    let event = p.packager.on_board(good).await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    assert!(event["package_id"].is_null());
    assert!(event["package_location"].is_null());
    assert_eq!(event["package_metadata"]["name"], "skip");

    let mut files = sample_package_files("eu.test", "skipbad", "0.1");
    files.insert("Docs/README.txt".into(), b"tampered\n".to_vec());
    let bad = form(
        ZipBuilder::from_files(&files).build(),
        "b.tgo",
        Some(&callback),
    )
    .text("skip_store", "1");
    let failed = p.packager.on_board(bad).await;
    assert_eq!(
        code(&failed),
        "checksum-mismatch",
        "skip_store still checks"
    );

    let bodies = p.callbacks("skip", 2).await;
    assert_eq!(bodies, vec![event, failed]);
    p.catalogue.assert_empty().await;
}

async fn a_deleted_package_can_be_uploaded_again(backend: Backend) {
    let p = Platform::start(backend).await;
    let bytes = sample_package("eu.test", "again", "0.1");
    let first = p
        .packager
        .on_board(form(bytes.clone(), "a.tgo", None))
        .await;
    let id = first["package_id"].as_str().unwrap();
    p.catalogue.delete_package(id).await;
    p.catalogue.assert_empty().await;
    let second = p.packager.on_board(form(bytes, "a.tgo", None)).await;
    assert_eq!(second["package_process_status"], "success", "{second}");
    assert_eq!(p.catalogue.list("packages").await.len(), 1);
}

async fn the_username_is_recorded_on_every_stored_part(backend: Backend) {
    let p = Platform::start(backend).await;
    let upload = form(sample_package("eu.test", "owned", "0.1"), "o.tgo", None)
        .text("username", "alice")
        .text("layer", "")
        .text("format", "");
    let event = p.packager.on_board(upload).await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    for (collection, uuids) in p.catalogue.snapshot().await {
        for uuid in uuids {
            let record: Value = p
                .catalogue
                .get(&format!("{collection}/{uuid}"))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(record["username"], "alice", "{collection}: {record}");
        }
    }
}
