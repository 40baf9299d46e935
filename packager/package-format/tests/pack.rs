//! Packing SDK projects built in the test (packager.md §3): sub-folder compression (§3.6), the
//! round trip back to a project, and the failures of a project that names what it lacks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::{
    collections::BTreeMap,
    fs,
    io::{Cursor, Read},
    path::Path,
};

use package_format::{pack, unpack, write_project, Limits, UnpackOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

const FOLDER_ZIP: &str = "application/vnd.folder.compressed.zip";

const VNFD: &str = "descriptor_schema: https://example.org/vnfd-schema.yml\nvendor: eu.test\nname: sub-vnf\nversion: '0.1'\n";
const NSD: &str = "descriptor_schema: https://example.org/nsd-schema.yml\nvendor: eu.test\nname: sub\nversion: '0.1'\nnetwork_functions:\n- vnf_id: vnf1\n  vnf_vendor: eu.test\n  vnf_name: sub-vnf\n  vnf_version: '0.1'\n";

/// The files of the compressed folder: nested paths, an empty file and binary bytes.
fn folder_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert("top.txt".to_owned(), b"top level\n".to_vec());
    files.insert("empty.cfg".to_owned(), Vec::new());
    files.insert(
        "nested/deeper/data.bin".to_owned(),
        (0..=255u8).cycle().take(5000).collect(),
    );
    files.insert(
        "nested/script.sh".to_owned(),
        b"#!/bin/sh\necho hi\n".to_vec(),
    );
    files
}

fn write(dir: &Path, relative: &str, bytes: &[u8]) {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// A project with an NSD, a VNFD, a plain file and the folder `Scripts/bundle` compressed.
fn subfolder_project(dir: &Path) {
    write(dir, "sources/vnfd/vnfd.yml", VNFD.as_bytes());
    write(dir, "sources/nsd/nsd.yml", NSD.as_bytes());
    write(dir, "Docs/README.txt", b"read me\n");
    for (relative, bytes) in folder_files() {
        write(dir, &format!("Scripts/bundle/{relative}"), &bytes);
    }
    write(
        dir,
        "project.yml",
        format!(
            "descriptor_extension: yml\nversion: '0.5'\npackage:\n  vendor: eu.test\n  name: sub\n  version: '0.1'\n  maintainer: Test Suite\n  description: sub-folder compression\nfiles:\n- path: sources/vnfd/vnfd.yml\n  type: application/vnd.5gtango.vnfd\n- path: sources/nsd/nsd.yml\n  type: application/vnd.5gtango.nsd\n- path: Docs/README.txt\n  type: text/plain\n- path: Scripts/bundle\n  type: {FOLDER_ZIP}\n  tags: [eu.test]\n"
        )
        .as_bytes(),
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every entry of a zip: name → bytes.
fn zip_entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).unwrap();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.insert(entry.name().to_owned(), data);
    }
    out
}

fn napd_of(entries: &BTreeMap<String, Vec<u8>>) -> Value {
    let text = String::from_utf8(entries["TOSCA-Metadata/NAPD.yaml"].clone()).unwrap();
    package_format::yaml::parse(&text).unwrap()
}

/// Every regular file below `dir`, relative, `/`-separated.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path.strip_prefix(base).unwrap().to_string_lossy();
                out.insert(relative.replace('\\', "/"), fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn a_compressed_sub_folder_becomes_one_zip_entry_holding_every_file() {
    let project = tempfile::tempdir().unwrap();
    subfolder_project(project.path());
    let out = tempfile::tempdir().unwrap();
    let packed = pack(project.path(), out.path(), &UnpackOptions::default()).unwrap();
    assert_eq!(packed.path, out.path().join("eu.test.sub.0.1.tgo"));

    let entries = zip_entries(&fs::read(&packed.path).unwrap());
    assert!(
        !entries.keys().any(|n| n.starts_with("Scripts/bundle/")),
        "the folder's files must not be stored loose: {:?}",
        entries.keys()
    );
    let inner_bytes = &entries["Scripts/bundle.zip"];
    assert_eq!(
        zip_entries(inner_bytes),
        folder_files(),
        "the folder zip holds every file, relative to the folder, byte for byte"
    );

    let napd = napd_of(&entries);
    let content = napd["package_content"].as_array().unwrap();
    let folder = content
        .iter()
        .find(|e| e["source"] == "Scripts/bundle.zip")
        .expect("a content entry for the folder zip");
    assert_eq!(folder["content-type"], FOLDER_ZIP);
    assert_eq!(folder["algorithm"], "SHA-256");
    assert_eq!(folder["hash"], sha256_hex(inner_bytes));
    assert_eq!(folder["tags"], serde_json::json!(["eu.test"]));
    let manifest = String::from_utf8(entries["etsi_manifest.mf"].clone()).unwrap();
    assert!(
        manifest.contains(&format!(
            "Source: Scripts/bundle.zip\nAlgorithm: SHA-256\nHash: {}",
            sha256_hex(inner_bytes)
        )),
        "{manifest}"
    );
    assert_eq!(packed.record.package_content.len(), 4);
}

#[test]
fn unpacking_restores_the_sub_folder_and_repacking_gives_the_same_hashes() {
    let project = tempfile::tempdir().unwrap();
    subfolder_project(project.path());
    let out = tempfile::tempdir().unwrap();
    let packed = pack(project.path(), out.path(), &UnpackOptions::default()).unwrap();

    let work = tempfile::tempdir().unwrap();
    let unpacked = unpack(&packed.path, work.path(), &UnpackOptions::default()).unwrap();
    let restored = tempfile::tempdir().unwrap();
    let restored_dir = restored.path().join("sub");
    write_project(&unpacked, &restored_dir, &Limits::default()).unwrap();

    let mut original = tree(project.path());
    original.remove("project.yml");
    let mut back = tree(&restored_dir);
    let project_yml = back.remove("project.yml").expect("project.yml written");
    assert_eq!(
        back, original,
        "every project file comes back, byte for byte"
    );
    assert!(!restored_dir.join("Scripts/bundle.zip").exists());

    let written: Value =
        package_format::yaml::parse(&String::from_utf8(project_yml).unwrap()).unwrap();
    let folder = written["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == FOLDER_ZIP)
        .expect("the folder entry in project.yml");
    assert_eq!(folder["path"], "Scripts/bundle");

    // The written project packs again to the same content (folder zips are deterministic).
    let again_out = tempfile::tempdir().unwrap();
    let again = pack(&restored_dir, again_out.path(), &UnpackOptions::default()).unwrap();
    let hashes = |napd: &Value| -> BTreeMap<String, String> {
        napd["package_content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["source"].as_str().unwrap().to_owned(),
                    e["hash"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let first = napd_of(&zip_entries(&fs::read(&packed.path).unwrap()));
    let second = napd_of(&zip_entries(&fs::read(&again.path).unwrap()));
    assert_eq!(hashes(&first), hashes(&second));
}

/// Pack after `remove` took something project.yml names: `missing-file` naming it, no output.
fn assert_missing_file(remove: impl FnOnce(&Path), named: &str) {
    let project = tempfile::tempdir().unwrap();
    subfolder_project(project.path());
    remove(project.path());
    let out = tempfile::tempdir().unwrap();
    let error = pack(project.path(), out.path(), &UnpackOptions::default()).unwrap_err();
    assert_eq!(error.code(), "missing-file");
    assert!(error.to_string().contains(named), "{error}");
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn a_compressed_folder_that_is_absent_fails_with_missing_file_and_writes_nothing() {
    assert_missing_file(
        |dir| fs::remove_dir_all(dir.join("Scripts/bundle")).unwrap(),
        "Scripts/bundle",
    );
}

#[test]
fn a_listed_file_that_is_absent_fails_with_missing_file_naming_it() {
    assert_missing_file(
        |dir| fs::remove_file(dir.join("Docs/README.txt")).unwrap(),
        "Docs/README.txt",
    );
}
