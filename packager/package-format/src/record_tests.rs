//! Metadata collection and merge (packager.md §1.3–1.5, §1.11, the reference's
//! `test_collect_metadata_*`): TOSCA only, TOSCA + ETSI, and all three with the per-`source`
//! merge of package_content.

use std::collections::BTreeMap;

use crate::{
    test_support::{sha256_hex, ZipBuilder},
    unpack, UnpackOptions,
};

const CREATED_BY: &str = "Manuel Peuster (Paderborn University)";

/// The record of a package made of `files`.
fn record_of(files: &BTreeMap<String, Vec<u8>>) -> shared_models::NapdRecord {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("p.tgo");
    std::fs::write(&archive, ZipBuilder::from_files(files).build()).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    unpack(&archive, &out, &UnpackOptions::default())
        .unwrap()
        .record
}

fn tosca(manifest: Option<&str>, napd: bool) -> Vec<u8> {
    let mut text =
        format!("TOSCA-Meta-Version: 1.0\nCSAR-Version: 1.0\nCreated-By: {CREATED_BY}\n");
    if let Some(m) = manifest {
        text.push_str(&format!("Entry-Manifest: {m}\n"));
    }
    text.push('\n');
    if napd {
        text.push_str(
            "Name: TOSCA-Metadata/NAPD.yaml\nContent-Type: application/vnd.5gtango.napd\n\n",
        );
    }
    text.into_bytes()
}

/// Three artifacts, and an ETSI manifest listing two with a hash and one with no algorithm.
fn etsi_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert("Docs/a.txt".to_owned(), b"first\n".to_vec());
    files.insert("Docs/b.txt".to_owned(), b"second\n".to_vec());
    // Listed without an algorithm: only its presence is checked.
    files.insert(
        "Images/somecloudimage.ref".to_owned(),
        b"any bytes".to_vec(),
    );
    let manifest = format!(
        "ns_product_name: ns-package-example-etsi\nns_provider_id: eu.5gtango\nns_package_version: '0.1'\nns_release_date_time: 2009-01-01T10:01:02Z\n\nSource: Docs/a.txt\nAlgorithm: SHA-256\nHash: {}\n\nSource: Docs/b.txt\nAlgorithm: SHA-256\nHash: {}\n\nSource: Images/somecloudimage.ref\n\n",
        sha256_hex(b"first\n"),
        sha256_hex(b"second\n")
    );
    files.insert("mynsd.mf".to_owned(), manifest.into_bytes());
    files
}

#[test]
fn a_bare_csar_gets_its_identity_from_created_by() {
    let mut files = BTreeMap::new();
    files.insert("TOSCA-Metadata/TOSCA.meta".to_owned(), tosca(None, false));
    let record = record_of(&files);
    assert_eq!(
        record.vendor.as_deref(),
        Some("Manuel-Peuster-Paderborn-University")
    );
    assert_eq!(record.maintainer.as_deref(), Some(CREATED_BY));
    assert_eq!(record.name.as_ref().map(String::len), Some(8));
    assert_eq!(record.version.as_deref(), Some("1.0"));
    assert_eq!(
        record.package_type.as_deref(),
        Some("application/vnd.tosca.package")
    );
    assert_eq!(record.release_date_time.as_ref().map(String::len), Some(20));
    assert!(record.package_content.is_empty());
    let keys: Vec<&str> = record.metadata.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    for key in ["tosca", "etsi", "_napd_path"] {
        assert!(keys.contains(&key), "{keys:?}");
    }
}

#[test]
fn the_etsi_manifest_gives_identity_type_and_content() {
    let mut files = etsi_files();
    files.insert(
        "TOSCA-Metadata/TOSCA.meta".to_owned(),
        tosca(Some("mynsd.mf"), false),
    );
    let record = record_of(&files);
    assert_eq!(record.vendor.as_deref(), Some("eu.5gtango"));
    assert_eq!(record.name.as_deref(), Some("ns-package-example-etsi"));
    assert_eq!(
        record.version.as_deref(),
        Some("'0.1'"),
        "meta values are raw text"
    );
    assert_eq!(
        record.package_type.as_deref(),
        Some("application/vnd.etsi.package.nsp")
    );
    assert_eq!(
        record.maintainer.as_deref(),
        Some(CREATED_BY),
        "TOSCA's maintainer stays"
    );
    let sources: Vec<&str> = record
        .package_content
        .iter()
        .map(|e| e.source.as_str())
        .collect();
    assert_eq!(
        sources,
        ["Docs/a.txt", "Docs/b.txt", "Images/somecloudimage.ref"]
    );
    assert!(record
        .package_content
        .iter()
        .all(|e| e.content_type.is_none()));
}

#[test]
fn the_napd_merges_over_etsi_per_source_etsi_entries_first() {
    let mut files = etsi_files();
    files.insert(
        "TOSCA-Metadata/TOSCA.meta".to_owned(),
        tosca(Some("mynsd.mf"), true),
    );
    files.insert("Docs/c.txt".to_owned(), b"third\n".to_vec());
    let napd = format!(
        "descriptor_schema: https://example.org/napd.yml\nvendor: eu.5gtango\nname: ns-package-example-tango\nversion: '0.2'\npackage_type: application/vnd.5gtango.package.nsp\nmaintainer: Someone Else\nrelease_date_time: '2009-01-01T14:01:02-04:00'\npackage_content:\n- source: Docs/b.txt\n  algorithm: SHA-256\n  hash: {}\n  content-type: text/plain\n  tags: [napd-tag]\n- source: Docs/c.txt\n  algorithm: SHA-256\n  hash: {}\n  content-type: text/plain\n",
        sha256_hex(b"second\n"),
        sha256_hex(b"third\n")
    );
    files.insert("TOSCA-Metadata/NAPD.yaml".to_owned(), napd.into_bytes());
    let record = record_of(&files);
    assert_eq!(record.name.as_deref(), Some("ns-package-example-tango"));
    assert_eq!(record.version.as_deref(), Some("0.2"));
    assert_eq!(record.maintainer.as_deref(), Some("Someone Else"));
    assert_eq!(
        record.package_type.as_deref(),
        Some("application/vnd.5gtango.package.nsp")
    );
    assert_eq!(
        record.release_date_time.as_deref(),
        Some("2009-01-01T14:01:02-04:00")
    );
    let content: Vec<(&str, Option<&str>)> = record
        .package_content
        .iter()
        .map(|e| (e.source.as_str(), e.content_type.as_deref()))
        .collect();
    assert_eq!(
        content,
        [
            ("Docs/a.txt", None),
            ("Docs/b.txt", Some("text/plain")),
            ("Images/somecloudimage.ref", None),
            ("Docs/c.txt", Some("text/plain")),
        ],
        "the union: ETSI's entries first (merged by source), then the NAPD-only one"
    );
    assert_eq!(
        record.package_content[1].tags.as_deref(),
        Some(&["napd-tag".to_owned()][..])
    );
    assert_eq!(
        record.metadata["_napd_path"].as_str(),
        Some("TOSCA-Metadata/NAPD.yaml")
    );
}
