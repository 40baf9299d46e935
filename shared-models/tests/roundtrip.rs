//! Round trips of real wire JSON (shapes from spec/packager.md §4.9, spec/catalogue.md §2.3 and
//! the decisions of spec/README.md) through the shared models.

use serde_json::{json, Value};
use shared_models::{
    catalogue::DescriptorBody, CatalogueRecord, ContentId, DescriptorKind, ErrorBody,
    OnChangeEvent, ProcessAccepted, ProcessOutcome, ProcessState,
};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value) -> (T, Value) {
    let parsed: T = serde_json::from_value(value.clone()).expect("parses");
    let back = serde_json::to_value(&parsed).expect("serialises");
    (parsed, back)
}

fn success_event() -> Value {
    json!({
        "event_name": "onPackageChangeEvent",
        "package_id": "5d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10",
        "package_location": "http://127.0.0.1:32002/api/v3/packages/5d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10",
        "package_metadata": {
            "error": null,
            "warning": null,
            "descriptor_schema": "https://raw.githubusercontent.com/sonata-nfv/tng-schema/master/package-specification/napd-schema.yml",
            "vendor": "eu.5gtango",
            "name": "mixed-ns-package-example",
            "version": "0.1",
            "package_type": "application/vnd.5gtango.package.nsp",
            "maintainer": "Manuel Peuster, Paderborn University",
            "release_date_time": "2019-02-06T11:14:26Z",
            "description": "An example",
            "metadata": {
                "tosca": [{"TOSCA-Meta-Version": "1.0", "Entry-Manifest": "etsi_manifest.mf"},
                          {"Name": "TOSCA-Metadata/NAPD.yaml", "Content-Type": "application/vnd.5gtango.napd"}],
                "etsi": [{"ns_product_name": "mixed-ns-package-example"}],
                "_napd_path": "TOSCA-Metadata/NAPD.yaml",
                "_storage_uuid": "5d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10"
            },
            "package_content": [
                {"source": "Definitions/Definitions/5gtango_nsd.yaml", "algorithm": "SHA-256",
                 "hash": "f771c77d", "content-type": "application/vnd.5gtango.nsd", "tags": [],
                 "uuid": "1d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10",
                 "id": {"vendor": "eu.5gtango", "name": "5gtangons", "version": "0.1"}},
                {"source": "Icons/upb_logo.png", "algorithm": "SHA-256", "hash": "aa",
                 "content-type": "image/png", "tags": [], "testing_tags": ["t"],
                 "uuid": "2d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10", "id": "Icons/upb_logo.png"}
            ],
            "package_file_uuid": "3d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10",
            "package_file_name": "eu.5gtango.mixed-ns-package-example.0.1.tgo",
            "logo": "Icons/upb_logo.png"
        },
        "package_process_status": "success",
        "package_process_uuid": "4d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10",
        "created_at": "2026-11-23T10:00:00Z",
        "updated_at": "2026-11-23T10:00:01Z"
    })
}

#[test]
fn success_event_round_trips_unchanged() {
    let input = success_event();
    let (event, back) = round_trip::<OnChangeEvent>(&input);
    assert_eq!(back, input);
    assert_eq!(event.package_process_status, ProcessOutcome::Success);
    let content = &event.package_metadata.package_content;
    assert_eq!(content.len(), 2);
    assert_eq!(
        content[0].id,
        Some(ContentId::Descriptor {
            vendor: "eu.5gtango".into(),
            name: "5gtangons".into(),
            version: "0.1".into()
        })
    );
    assert_eq!(
        content[1].id,
        Some(ContentId::Source("Icons/upb_logo.png".into()))
    );
    assert_eq!(event.package_metadata.extra["logo"], "Icons/upb_logo.png");
    assert_eq!(
        event.package_metadata.triple().as_deref(),
        Some("eu.5gtango.mixed-ns-package-example.0.1")
    );
}

#[test]
fn failed_event_carries_error_and_code() {
    let mut input = success_event();
    input["package_process_status"] = json!("failed");
    input["package_id"] = Value::Null;
    input["package_location"] = Value::Null;
    input["package_metadata"]["error"] = json!("Checksum mismatch! Definitions/myvnfd.yaml");
    input["package_metadata"]["error_code"] = json!("checksum-mismatch");
    let (event, back) = round_trip::<OnChangeEvent>(&input);
    assert_eq!(back, input);
    assert_eq!(event.error_code(), Some("checksum-mismatch"));
}

#[test]
fn running_status_has_no_process_status_key() {
    let input = json!({
        "package_process_uuid": "4d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10",
        "status": "running",
        "error_msg": null
    });
    let (accepted, back) = round_trip::<ProcessAccepted>(&input);
    assert_eq!(back, input);
    assert_eq!(accepted.status, ProcessState::Running);
    assert!(!accepted.status.is_terminal());
    assert!(back.get("package_process_status").is_none());
}

#[test]
fn catalogue_nsd_envelope_round_trips() {
    let input = json!({
        "created_at": "2018-05-30T08:44:57.575Z",
        "md5": "0a1b2c",
        "nsd": {"vendor": "eu.5gtango", "name": "ns-squid-haproxy", "version": "0.1",
                "network_functions": [{"vnf_id": "vnf_squid"}]},
        "pkg_ref": 1,
        "platform": "5gtango",
        "signature": null,
        "status": "active",
        "updated_at": "2018-05-30T08:44:57.575Z",
        "username": null,
        "uuid": "6d1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10"
    });
    let (record, back) = round_trip::<CatalogueRecord>(&input);
    assert_eq!(back, input);
    assert_eq!(record.body.kind(), DescriptorKind::Nsd);
    assert!(matches!(record.body, DescriptorBody::Nsd(ref v) if v["name"] == "ns-squid-haproxy"));
}

#[test]
fn error_body_has_exactly_error_and_code() {
    let body = ErrorBody::new("not-found", "Package process not found: 42");
    let value = serde_json::to_value(&body).unwrap();
    assert_eq!(
        value,
        json!({"error": "Package process not found: 42", "code": "not-found"})
    );
}
