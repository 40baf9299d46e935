//! Collecting the package record: TOSCA.meta, then the ETSI manifest, then the NAPD, each step
//! overwriting the previous one (packager.md §1.3–1.5, §1.11), then the usable-package check
//! (§2.4).

use serde_json::{Map, Value};
use shared_models::{ContentEntry, NapdRecord, DEFAULT_DESCRIPTOR_SCHEMA};

use crate::{
    archive::Extracted,
    error::{PackageError, Result},
    limits::Limits,
    meta::{self, Block},
    napd_rules, yaml,
};

pub const TOSCA_META: &str = "TOSCA-Metadata/TOSCA.meta";
pub const TOSCA_PACKAGE_TYPE: &str = "application/vnd.tosca.package";

/// Read every meta file of an extracted package into one record.
pub fn collect(extracted: &Extracted, limits: &Limits) -> Result<NapdRecord> {
    let mut record = NapdRecord::default();
    let tosca = read_blocks(extracted, Some(TOSCA_META), limits)?;
    apply_tosca(&mut record, &tosca);
    let etsi = match tosca[0].get("Entry-Manifest") {
        Some(manifest) => {
            let path = find_manifest(extracted, manifest);
            read_blocks(extracted, path.as_deref(), limits)?
        }
        None => vec![Block::new()],
    };
    apply_etsi(&mut record, &etsi);
    let napd_path = find_napd(extracted, &tosca);
    if let Some(path) = &napd_path {
        let napd = read_napd(extracted, path, limits)?;
        merge_napd(&mut record, napd);
    }
    record
        .descriptor_schema
        .get_or_insert_with(|| DEFAULT_DESCRIPTOR_SCHEMA.to_owned());
    record
        .metadata
        .insert("tosca".into(), meta::blocks_to_json(&tosca));
    record
        .metadata
        .insert("etsi".into(), meta::blocks_to_json(&etsi));
    record.metadata.insert(
        "_napd_path".into(),
        napd_path.map_or(Value::Null, Value::String),
    );
    Ok(record)
}

fn read_blocks(extracted: &Extracted, path: Option<&str>, limits: &Limits) -> Result<Vec<Block>> {
    match path.filter(|p| extracted.contains(p)) {
        Some(p) => Ok(meta::parse_blocks(&extracted.read_text(p, limits)?)),
        None => Ok(vec![Block::new()]),
    }
}

/// `Created-By` seeds maintainer and vendor; name, version, type and time get placeholders.
fn apply_tosca(record: &mut NapdRecord, tosca: &[Block]) {
    if let Some(created_by) = tosca[0].get("Created-By") {
        record.maintainer = Some(created_by.to_owned());
        record.vendor = Some(sanitise_vendor(created_by));
    }
    record.name = Some(uuid::Uuid::new_v4().simple().to_string()[..8].to_owned());
    record.version = Some("1.0".to_owned());
    record.package_type = Some(TOSCA_PACKAGE_TYPE.to_owned());
    record.release_date_time = Some(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
}

/// `Manuel Peuster (Paderborn University)` → `Manuel-Peuster-Paderborn-University`.
pub fn sanitise_vendor(created_by: &str) -> String {
    created_by
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect::<String>()
        .replace(' ', "-")
}

/// The manifest TOSCA names, else the first `*.mf` at the root.
fn find_manifest(extracted: &Extracted, named: &str) -> Option<String> {
    if extracted.contains(named) {
        return Some(named.to_owned());
    }
    extracted
        .files
        .iter()
        .find(|f| !f.contains('/') && f.ends_with(".mf"))
        .cloned()
}

fn apply_etsi(record: &mut NapdRecord, etsi: &[Block]) {
    let header = &etsi[0];
    if !header.is_empty() {
        let (prefix, package_type) = if header.keys().any(|k| k.contains("ns_")) {
            ("ns", "application/vnd.etsi.package.nsp")
        } else if header.keys().any(|k| k.contains("test_")) {
            ("test", "application/vnd.etsi.package.tdp")
        } else {
            ("vnf", "application/vnd.etsi.package.vnfp")
        };
        record.package_type = Some(package_type.to_owned());
        let field = |name: &str| header.get(&format!("{prefix}_{name}")).map(str::to_owned);
        overwrite(&mut record.vendor, field("provider_id"));
        overwrite(&mut record.name, field("product_name"));
        overwrite(&mut record.version, field("package_version"));
        overwrite(&mut record.release_date_time, field("release_date_time"));
        if record.maintainer.is_none() {
            record.maintainer = field("provider_id");
        }
    }
    record.package_content = etsi[1..]
        .iter()
        .filter_map(|block| {
            let mut entry = ContentEntry::new(block.get("Source")?);
            entry.algorithm = block.get("Algorithm").map(str::to_owned);
            entry.hash = block.get("Hash").map(str::to_owned);
            Some(entry)
        })
        .collect();
}

fn overwrite(slot: &mut Option<String>, value: Option<String>) {
    if value.is_some() {
        *slot = value;
    }
}

/// TOSCA block 1 `Name`, else the first `*/NAPD.yaml` one folder down.
fn find_napd(extracted: &Extracted, tosca: &[Block]) -> Option<String> {
    let named = tosca.get(1)?.get("Name")?;
    if extracted.contains(named) {
        return Some(named.to_owned());
    }
    extracted
        .files
        .iter()
        .find(|f| f.matches('/').count() == 1 && f.ends_with("/NAPD.yaml"))
        .cloned()
}

fn read_napd(extracted: &Extracted, path: &str, limits: &Limits) -> Result<Map<String, Value>> {
    let invalid = |reasons| PackageError::NapdInvalid {
        path: path.to_owned(),
        reasons,
    };
    let text = extracted.read_text(path, limits)?;
    let napd = yaml::parse(&text).map_err(|e| invalid(vec![e]))?;
    let problems = napd_rules::check(&napd);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    match napd {
        Value::Object(map) => Ok(map),
        _ => Err(invalid(vec!["the NAPD is not a mapping".into()])),
    }
}

/// Deep-merge the NAPD over the record: scalars overwrite, `package_content` merges per `source`.
fn merge_napd(record: &mut NapdRecord, napd: Map<String, Value>) {
    for (key, value) in napd {
        let text = yaml::scalar_text(&value);
        match key.as_str() {
            "package_content" => merge_content(&mut record.package_content, value),
            "descriptor_schema" => record.descriptor_schema = text,
            "vendor" => record.vendor = text,
            "name" => record.name = text,
            "version" => record.version = text,
            "package_type" => record.package_type = text,
            "maintainer" => record.maintainer = text,
            "release_date_time" => record.release_date_time = text,
            "description" => record.description = text,
            _ => deep_merge_into(&mut record.extra, key, value),
        }
    }
}

fn merge_content(content: &mut Vec<ContentEntry>, napd_content: Value) {
    let Value::Array(items) = napd_content else {
        return;
    };
    for item in items {
        let Ok(incoming) = serde_json::from_value::<ContentEntry>(item) else {
            continue;
        };
        if incoming.algorithm.is_none() || incoming.hash.is_none() {
            continue;
        }
        match content.iter_mut().find(|e| e.source == incoming.source) {
            Some(existing) => merge_entry(existing, incoming),
            None => content.push(incoming),
        }
    }
}

fn merge_entry(existing: &mut ContentEntry, incoming: ContentEntry) {
    existing.algorithm = incoming.algorithm;
    existing.hash = incoming.hash;
    overwrite(&mut existing.content_type, incoming.content_type);
    extend_list(&mut existing.tags, incoming.tags);
    extend_list(&mut existing.testing_tags, incoming.testing_tags);
    for (key, value) in incoming.extra {
        deep_merge_into(&mut existing.extra, key, value);
    }
}

fn extend_list(slot: &mut Option<Vec<String>>, more: Option<Vec<String>>) {
    if let Some(more) = more {
        slot.get_or_insert_with(Vec::new).extend(more);
    }
}

fn deep_merge_into(map: &mut Map<String, Value>, key: String, value: Value) {
    match (map.get_mut(&key), value) {
        (Some(Value::Object(old)), Value::Object(new)) => {
            for (k, v) in new {
                deep_merge_into(old, k, v);
            }
        }
        (Some(Value::Array(old)), Value::Array(new)) => old.extend(new),
        (_, value) => {
            map.insert(key, value);
        }
    }
}

/// The usable-package assertion (§2.4), with Q-2 fixed: a bad time is a clean failure.
pub fn assert_usable(record: &NapdRecord) -> Result<()> {
    let required = [
        ("vendor", &record.vendor),
        ("name", &record.name),
        ("version", &record.version),
        ("package_type", &record.package_type),
        ("maintainer", &record.maintainer),
        ("release_date_time", &record.release_date_time),
    ];
    let missing: Vec<&str> = required
        .iter()
        .filter(|(_, v)| v.as_deref().is_none_or(str::is_empty))
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        return Err(PackageError::MetadataInvalid(format!(
            "missing {}",
            missing.join(", ")
        )));
    }
    let time = record.release_date_time.as_deref().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(time).map_err(|e| {
        PackageError::MetadataInvalid(format!(
            "release_date_time {time:?} is not an RFC 3339 time with a zone: {e}"
        ))
    })?;
    Ok(())
}
