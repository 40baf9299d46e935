//! A file too big to be a descriptor is not extracted: its checksum is computed and its bytes
//! streamed to the catalogue from the uploaded archive itself. The outcome is the same.

use package_format::test_support::{rehash, sample_package_files, sha256_hex, ZipBuilder};

use crate::helpers::{code, form, on_both_backends, Backend, Platform};

on_both_backends!(
    a_big_stored_file_reaches_the_catalogue_byte_for_byte,
    a_big_stored_file_with_a_wrong_hash_fails_with_no_residue,
);

/// Files above this stay in the archive (the packager keeps those above the descriptor limit).
const DESCRIPTOR_LIMIT: u64 = 64 * 1024;
const ARTIFACT: &str = "Docs/README.txt";

fn artifact() -> Vec<u8> {
    (0..300 * 1024u32).map(|i| (i * 31 % 253) as u8).collect()
}

async fn platform(backend: Backend) -> Platform {
    Platform::start_with(backend, |c| {
        c.limits.max_descriptor_bytes = DESCRIPTOR_LIMIT
    })
    .await
}

fn package(vendor: &str, name: &str, content: Vec<u8>, hashed: &[u8]) -> Vec<u8> {
    let mut files = sample_package_files(vendor, name, "0.1");
    files.insert(ARTIFACT.into(), hashed.to_vec());
    rehash(&mut files, vendor, name, "0.1");
    files.insert(ARTIFACT.into(), content);
    ZipBuilder::from_files(&files).build()
}

async fn a_big_stored_file_reaches_the_catalogue_byte_for_byte(backend: Backend) {
    let p = platform(backend).await;
    let bytes = package("eu.big", "good", artifact(), &artifact());
    let event = p.packager.on_board(form(bytes, "big.tgo", None)).await;
    assert_eq!(event["package_process_status"], "success", "{event}");
    let entry = event["package_metadata"]["package_content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source"] == ARTIFACT)
        .unwrap()
        .clone();
    let uuid = entry["uuid"].as_str().expect("the artifact was stored");
    let stored = reqwest::get(format!("{}/files/{uuid}", p.catalogue.base))
        .await
        .unwrap();
    assert_eq!(stored.status(), 200);
    let stored = stored.bytes().await.unwrap();
    assert_eq!(stored.len(), artifact().len());
    assert_eq!(sha256_hex(&stored), sha256_hex(&artifact()));
    p.packager.assert_spool_clean("a big stored file").await;
}

async fn a_big_stored_file_with_a_wrong_hash_fails_with_no_residue(backend: Backend) {
    let p = platform(backend).await;
    let mut other = artifact();
    other[1234] ^= 1;
    let bytes = package("eu.big", "bad", other, &artifact());
    let event = p.packager.on_board(form(bytes, "bad.tgo", None)).await;
    assert_eq!(code(&event), "checksum-mismatch", "{event}");
    p.catalogue.assert_empty().await;
    p.packager.assert_spool_clean("a wrong hash").await;
}
