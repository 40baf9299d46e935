//! Every package of ../shared/fixtures/packages on-boarded through the service with the outcome
//! fixtures/README.md states. Each group gets a fresh catalogue (reference-packed repeats
//! vendor/name/version of packages elsewhere); after each failure the catalogue holds nothing
//! from it, after each success every stored part can be read back.

use std::collections::BTreeMap;

use package_format::descriptor::platform_of;
use serde_json::Value;

use crate::helpers::{
    code, fixture, form, on_both_backends, read_fixture, Backend, Platform, TestCatalogue,
};

on_both_backends!(
    top_level_and_gateway_packages_give_their_stated_outcomes,
    schema_example_packages_give_their_stated_outcomes,
    reference_packed_packages_give_their_stated_outcomes,
);

/// What a fixture must give.
#[derive(Debug, Clone, Copy)]
enum Outcome<'a> {
    /// Success with at least these many NSDs and VNFDs (None: not stated).
    Success(Option<(usize, usize)>),
    /// Failure with this code, the message naming this text.
    Failed(&'a str, &'a str),
}

use Outcome::{Failed, Success};

/// On-board one fixture (extra form fields allowed) and check its outcome; the event.
async fn check(p: &Platform, relative: &str, fields: &[(&str, &str)], want: Outcome<'_>) -> Value {
    let before = p.catalogue.snapshot().await;
    let name = relative.rsplit('/').next().unwrap();
    let mut upload = form(read_fixture(&format!("packages/{relative}")), name, None);
    for (key, value) in fields {
        upload = upload.text(key.to_string(), value.to_string());
    }
    let event = p.packager.on_board(upload).await;
    match want {
        Success(counts) => {
            assert_eq!(
                event["package_process_status"], "success",
                "{relative}: {event}"
            );
            check_stored(p, relative, &event, counts).await;
        }
        Failed(want_code, names) => {
            assert_eq!(code(&event), want_code, "{relative}: {event}");
            let message = event["package_metadata"]["error"].as_str().unwrap();
            assert!(message.contains(names), "{relative}: {message}");
            assert_eq!(
                p.catalogue.snapshot().await,
                before,
                "{relative} left parts behind"
            );
        }
    }
    p.packager.assert_spool_clean(relative).await;
    event
}

/// The package, its archive and every descriptor and generic file are in the catalogue.
async fn check_stored(p: &Platform, relative: &str, event: &Value, counts: Option<(usize, usize)>) {
    let id = event["package_id"].as_str().unwrap();
    assert_eq!(
        p.catalogue.get(&format!("packages/{id}")).await.status(),
        200
    );
    let record = &event["package_metadata"];
    let tgo = record["package_file_uuid"].as_str().unwrap();
    assert_eq!(
        p.catalogue
            .get(&format!("tgo-packages/{tgo}"))
            .await
            .status(),
        200
    );
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut uuid_of_id: BTreeMap<String, String> = BTreeMap::new();
    for entry in record["package_content"].as_array().unwrap() {
        let content_type = entry["content-type"].as_str();
        let Some(route) = TestCatalogue::collection_of(entry) else {
            assert!(entry["uuid"].is_null(), "{relative}: {entry} is not stored");
            continue;
        };
        *kinds.entry(route).or_default() += 1;
        let uuid = entry["uuid"]
            .as_str()
            .unwrap_or_else(|| panic!("{relative}: {entry} has no uuid"));
        let stored = p.catalogue.get(&format!("{route}/{uuid}")).await;
        assert_eq!(stored.status(), 200, "{relative}: {route}/{uuid}");
        if route == "files" {
            continue;
        }
        let stored: Value = stored.json().await.unwrap();
        if route != "tests" {
            assert_eq!(
                stored["platform"].as_str(),
                content_type.and_then(platform_of),
                "{relative}: platform of {entry}"
            );
        }
        // A descriptor shipped twice is stored once.
        let key = entry["id"].to_string() + route;
        let previous = uuid_of_id.insert(key, uuid.to_owned());
        assert!(previous.is_none_or(|u| u == uuid), "{relative}: {entry}");
    }
    if let Some((nsds, vnfds)) = counts {
        let got = (
            kinds.get("network-services").copied().unwrap_or(0),
            kinds.get("vnfs").copied().unwrap_or(0),
        );
        assert_eq!(got, (nsds, vnfds), "{relative}: NSDs and VNFDs");
    }
}

async fn top_level_and_gateway_packages_give_their_stated_outcomes(backend: Backend) {
    let p = Platform::start(backend).await;
    let cases: [(&str, Outcome<'static>); 9] = [
        ("5gtango-ns-package-example.tgo", Success(Some((1, 1)))),
        (
            "5gtango-ns-package-example-bad.tgo",
            Failed("descriptor-invalid", "network_functions1"),
        ),
        (
            "5gtango-ns-package-example-bad-checksum.tgo",
            Failed("checksum-mismatch", "Definitions/myvnfd.yaml"),
        ),
        (
            "5gtango-ns-package-example-malformed.tgo",
            Failed("napd-invalid", "NAPD.yaml"),
        ),
        (
            "eu.5gtango.a10networks-nginx.0.1.tgo",
            Success(Some((1, 2))),
        ),
        ("eu.5gtango.idempotency_test.0.1.tgo", Success(None)),
        (
            "eu.5gtango.mixed-ns-package-example.0.1.tgo",
            Success(Some((3, 3))),
        ),
        ("gateway/eu.5gtango.smoke-test-ns.0.1.tgo", Success(None)),
        (
            "gateway/5gtango-ns-package-example-wrapped.tgo",
            Success(None),
        ),
    ];
    let mut stored = BTreeMap::new();
    for (relative, want) in cases {
        let event = check(&p, relative, &[], want).await;
        stored.insert(relative, event);
    }
    let idempotency = &stored["eu.5gtango.idempotency_test.0.1.tgo"]["package_metadata"];
    assert_eq!(idempotency["package_content"].as_array().unwrap().len(), 9);
    let mixed = &stored["eu.5gtango.mixed-ns-package-example.0.1.tgo"]["package_metadata"];
    assert_eq!(mixed["package_content"].as_array().unwrap().len(), 10);

    // The reference packer's a10networks-nginx has the same vendor/name/version.
    let first = stored["eu.5gtango.a10networks-nginx.0.1.tgo"]["package_id"]
        .as_str()
        .unwrap();
    let dup = check(
        &p,
        "reference-packed/eu.5gtango.a10networks-nginx.0.1.tgo",
        &[],
        Failed("duplicate-package", first),
    )
    .await;
    assert_eq!(
        dup["package_metadata"]["metadata"]["existing_package_uuid"],
        first
    );
}

async fn schema_example_packages_give_their_stated_outcomes(backend: Backend) {
    let p = Platform::start(backend).await;
    for name in [
        "eu.5gtango.mixed-ns-package-example.0.1.tgo",
        "eu.5gtango.ns-package-example.0.1.tgo",
        "eu.5gtango.simple-ttcn3-test.0.1.tgo",
        "eu.5gtango.vnf-package-example.0.1.tgo",
    ] {
        check(&p, &format!("schema-examples/{name}"), &[], Success(None)).await;
    }
    let ttcn3 = p.catalogue.list("tests").await;
    assert_eq!(ttcn3.len(), 1, "the test descriptor is stored under /tests");

    // Only when descriptor validation is skipped does the bad NSD pass (its identity is not
    // among the schema examples).
    for skip in [
        &[("skip_validation", "true")][..],
        &[("validation_level", "skip")],
    ] {
        let event = check(
            &p,
            "5gtango-ns-package-example-bad.tgo",
            skip,
            Success(None),
        )
        .await;
        let id = event["package_id"].as_str().unwrap();
        p.catalogue.delete_package(id).await;
    }

    // With full schema validation configured, the ttcn3 test descriptor fails.
    let strict = Platform::start_with(backend, |c| c.schema_dir = Some(fixture("schemas"))).await;
    check(
        &strict,
        "schema-examples/eu.5gtango.simple-ttcn3-test.0.1.tgo",
        &[],
        Failed("descriptor-invalid", "test_category"),
    )
    .await;
    check(
        &strict,
        "schema-examples/eu.5gtango.ns-package-example.0.1.tgo",
        &[],
        Success(None),
    )
    .await;
}

async fn reference_packed_packages_give_their_stated_outcomes(backend: Backend) {
    let p = Platform::start(backend).await;
    let dir = fixture("packages/reference-packed");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tgo"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 55, "fixtures/README.md states 55 packages");
    let headless = "eu.5gtango.comm-pilot-test-headless-browser.0.1.tgo";
    for name in &names {
        let want = if name == headless {
            Failed(
                "descriptor-invalid",
                "Definitions/Definitions/test-descriptor.yml",
            )
        } else {
            Success(None)
        };
        check(&p, &format!("reference-packed/{name}"), &[], want).await;
    }
    assert_eq!(p.catalogue.list("packages").await.len(), 54);
}
