//! The callback (decision 1 and 3): its exact shape on success and failure, retried until
//! acknowledged; and a catalogue that goes away.

use std::{collections::BTreeSet, time::Duration};

use package_format::test_support::{
    rehash, sample_package, sample_package_files, sha256_hex, ZipBuilder,
};
use serde_json::Value;

use crate::helpers::{
    code, form, on_both_backends,
    proxy::{Mode, Relay},
    Backend, Platform, TestCatalogue, TestPackager,
};

on_both_backends!(
    the_callback_is_exactly_the_finished_event_on_success_and_on_failure,
    a_catalogue_that_is_down_gives_catalogue_unavailable_and_no_residue,
    a_part_the_catalogue_refuses_rolls_back_every_part_stored_before_it,
    a_process_whose_deadline_passes_while_storing_is_rolled_back,
);

const EVENT_KEYS: [&str; 8] = [
    "created_at",
    "event_name",
    "package_id",
    "package_location",
    "package_metadata",
    "package_process_status",
    "package_process_uuid",
    "updated_at",
];

/// The shape of decision 1, for a process `id`.
fn assert_event_shape(event: &Value, id: &str) {
    let keys: BTreeSet<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, EVENT_KEYS.into_iter().collect(), "{event}");
    assert_eq!(event["event_name"], "onPackageChangeEvent");
    assert_eq!(event["package_process_uuid"], id);
    let created = chrono::DateTime::parse_from_rfc3339(event["created_at"].as_str().unwrap())
        .expect("created_at is RFC 3339");
    let updated = chrono::DateTime::parse_from_rfc3339(event["updated_at"].as_str().unwrap())
        .expect("updated_at is RFC 3339");
    assert!(created <= updated);
    let metadata = &event["package_metadata"];
    match event["package_process_status"].as_str().unwrap() {
        "success" => {
            assert!(metadata["error"].is_null(), "{event}");
            assert!(metadata.get("error_code").is_none(), "{event}");
            assert!(event["package_id"].is_string());
            assert!(event["package_location"].is_string());
        }
        "failed" => {
            assert!(
                metadata["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{event}"
            );
            let code = metadata["error_code"].as_str().unwrap();
            assert!(
                !code.is_empty()
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "kebab-case code: {code}"
            );
            assert!(event["package_id"].is_null());
            assert!(event["package_location"].is_null());
        }
        other => panic!("package_process_status {other}"),
    }
}

async fn the_callback_is_exactly_the_finished_event_on_success_and_on_failure(backend: Backend) {
    let p = Platform::start(backend).await;
    // The first two deliveries are refused: the callback must be retried until acknowledged.
    let failures = reqwest::Client::new()
        .put(format!("{}/api/v1/failures", p.mock))
        .json(&serde_json::json!({"status": 500, "count": 2}))
        .send()
        .await
        .unwrap();
    assert!(failures.status().is_success());
    let callback = p.callback("shape");
    let good = p
        .packager
        .accept(form(
            sample_package("eu.test", "shape", "0.1"),
            "g.tgo",
            Some(&callback),
        ))
        .await;
    let good_event = p.packager.wait(&good).await;
    let delivered = p.callbacks("shape", 1).await;
    assert_eq!(
        delivered[0], good_event,
        "the callback is the finished status"
    );
    assert_event_shape(&delivered[0], &good);
    let all: Value = reqwest::get(format!(
        "{}/api/v1/received?path=/callbacks/shape&include_rejected=true",
        p.mock
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let statuses: Vec<u64> = all["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["answered_status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 200], "retried until acknowledged");

    let mut files = sample_package_files("eu.test", "shapebad", "0.1");
    files.insert("Docs/README.txt".into(), b"tampered\n".to_vec());
    let bad = p
        .packager
        .accept(form(
            ZipBuilder::from_files(&files).build(),
            "b.tgo",
            Some(&callback),
        ))
        .await;
    let bad_event = p.packager.wait(&bad).await;
    let delivered = p.callbacks("shape", 2).await;
    assert_eq!(delivered[1], bad_event);
    assert_event_shape(&delivered[1], &bad);
    assert_eq!(code(&delivered[1]), "checksum-mismatch");
}

async fn a_process_whose_deadline_passes_while_storing_is_rolled_back(backend: Backend) {
    let catalogue = TestCatalogue::start(backend).await;
    let target = catalogue.base.trim_start_matches("http://");
    let target = target.split('/').next().unwrap().to_owned();
    // Every answer of the catalogue takes 1.5 s: the bundle is stored, but its answer comes
    // after the 800 ms deadline, so the packager cuts it and cancels it by its request id.
    let relay = Relay::start(target, Mode::Slow(Duration::from_millis(1500))).await;
    let packager = TestPackager::start(&format!("{}/api/catalogues/v2", relay.origin), |c| {
        c.process_timeout = Duration::from_millis(800);
    })
    .await;
    let event = packager
        .on_board(form(
            sample_package("eu.test", "late", "0.1"),
            "l.tgo",
            None,
        ))
        .await;
    assert_eq!(code(&event), "timeout", "{event}");
    let message = event["package_metadata"]["error"].as_str().unwrap();
    assert!(message.contains("removed"), "{message}");
    catalogue.assert_empty().await;
    packager.assert_spool_clean("a rolled-back store").await;
}

async fn a_catalogue_that_is_down_gives_catalogue_unavailable_and_no_residue(backend: Backend) {
    let catalogue = TestCatalogue::start(backend).await;
    let target = catalogue
        .base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let relay = Relay::start(target, Mode::Up).await;
    let packager =
        TestPackager::start(&format!("{}/api/catalogues/v2", relay.origin), |_| {}).await;
    let first = packager
        .on_board(form(sample_package("eu.test", "up", "0.1"), "u.tgo", None))
        .await;
    assert_eq!(first["package_process_status"], "success", "{first}");
    let before = catalogue.snapshot().await;

    relay.set(Mode::Down);
    let bytes = sample_package("eu.test", "down", "0.1");
    let down = packager.on_board(form(bytes.clone(), "d.tgo", None)).await;
    assert_eq!(down["package_process_status"], "failed");
    assert_eq!(code(&down), "catalogue-unavailable", "{down}");
    assert_eq!(catalogue.snapshot().await, before, "nothing was stored");
    packager
        .assert_spool_clean("a catalogue that was down")
        .await;

    // Back up: the same package on-boards (no half state blocks it).
    relay.set(Mode::Up);
    let again = packager.on_board(form(bytes, "d.tgo", None)).await;
    assert_eq!(again["package_process_status"], "success", "{again}");
    assert_eq!(catalogue.list("packages").await.len(), 2);
}

/// The descriptors of package `eu.test.partial.0.1` in a package `partial-broken` that adds a
/// test descriptor which is not YAML (only the catalogue notices, when validation is skipped).
fn broken_partial_package() -> Vec<u8> {
    let mut files = sample_package_files("eu.test", "partial", "0.1");
    rehash(&mut files, "eu.test", "partial-broken", "0.1");
    files.insert("Tests/test.yml".into(), b"name: x\n\tbroken: [\n".to_vec());
    let napd = String::from_utf8(files["TOSCA-Metadata/NAPD.yaml"].clone()).unwrap();
    let hash = sha256_hex(&files["Tests/test.yml"]);
    let napd = format!(
        "{napd}- source: Tests/test.yml\n  algorithm: SHA-256\n  hash: {hash}\n  content-type: application/vnd.5gtango.tstd\n"
    );
    files.insert("TOSCA-Metadata/NAPD.yaml".into(), napd.into_bytes());
    ZipBuilder::from_files(&files).build()
}

async fn a_part_the_catalogue_refuses_rolls_back_every_part_stored_before_it(backend: Backend) {
    let p = Platform::start(backend).await;
    let broken = || form(broken_partial_package(), "p.tgo", None).text("skip_validation", "true");
    // The VNFD and the NSD are stored first, then the test descriptor is refused.
    let event = p.packager.on_board(broken()).await;
    assert_eq!(event["package_process_status"], "failed", "{event}");
    assert_eq!(code(&event), "catalogue-error", "{event}");
    assert!(event["package_metadata"]["error"]
        .as_str()
        .unwrap()
        .contains("Tests/test.yml"));
    p.catalogue.assert_empty().await;
    p.packager.assert_spool_clean("a refused part").await;

    // With the same VNFD and NSD on-boarded by another package, the rollback only counts them
    // down: they stay, and nothing else is left.
    let other = p
        .packager
        .on_board(form(
            sample_package("eu.test", "partial", "0.1"),
            "o.tgo",
            None,
        ))
        .await;
    assert_eq!(other["package_process_status"], "success");
    let before = p.catalogue.snapshot().await;
    let event = p.packager.on_board(broken()).await;
    assert_eq!(code(&event), "catalogue-error", "{event}");
    assert_eq!(p.catalogue.snapshot().await, before);
    let id = other["package_id"].as_str().unwrap();
    p.catalogue.delete_package(id).await;
    p.catalogue.assert_empty().await;
}
