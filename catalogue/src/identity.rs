//! What identifies a descriptor: vendor, name and version (plus platform for NSD/VNFD),
//! read from the body, or from the first inner element for OSM and ONAP descriptors.

use md5::{Digest, Md5};
use serde_json::{Map, Value};
use shared_models::DescriptorKind;

use crate::error::ApiError;

/// The platforms a descriptor can come from.
pub const PLATFORMS: [&str; 3] = ["5gtango", "osm", "onap"];
pub const DEFAULT_PLATFORM: &str = "5gtango";

/// The identity of a descriptor, each part as text (`0.1` and `"0.1"` are the same version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub vendor: String,
    pub name: String,
    pub version: String,
    /// `""` for kinds without a platform (tests and packages).
    pub platform: String,
}

/// The label used in messages for a kind (`NS`, `VNF`, `TEST`, `Package`).
pub fn missing_label(kind: DescriptorKind) -> &'static str {
    match kind {
        DescriptorKind::Nsd => "NS",
        DescriptorKind::Vnfd => "VNF",
        DescriptorKind::Testd => "TEST",
        DescriptorKind::Pd => "Package",
    }
}

/// The label used in not-found and delete messages (`NSD`, `VNFD`, `TESTD`, `PD`).
pub fn record_label(kind: DescriptorKind) -> &'static str {
    match kind {
        DescriptorKind::Nsd => "NSD",
        DescriptorKind::Vnfd => "VNFD",
        DescriptorKind::Testd => "TESTD",
        DescriptorKind::Pd => "PD",
    }
}

/// Validates `?platform=` (lowercased; default `5gtango`) for a kind.
pub fn platform_for(kind: DescriptorKind, requested: Option<&str>) -> Result<String, ApiError> {
    if !kind.has_platform() {
        return Ok(String::new());
    }
    let platform = requested
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PLATFORM)
        .to_ascii_lowercase();
    if PLATFORMS.contains(&platform.as_str()) {
        Ok(platform)
    } else {
        Err(ApiError::bad_request(
            "invalid-platform",
            format!(
                "platform {platform:?} is not one of {}",
                PLATFORMS.join(", ")
            ),
        ))
    }
}

/// Reads the identity of a parsed descriptor.
pub fn identify(kind: DescriptorKind, body: &Value, platform: &str) -> Result<Identity, ApiError> {
    let object = body.as_object().ok_or_else(|| {
        ApiError::bad_request("not-a-mapping", "the descriptor must be a mapping")
    })?;
    let source = match platform {
        "osm" | "onap" if object.contains_key("name") => {
            return Err(ApiError::bad_request(
                "platform-mismatch",
                "Platform not aligned with format of descriptor",
            ))
        }
        "osm" => osm_inner(object).unwrap_or_else(|| object.clone()),
        "onap" => onap_identity(object).unwrap_or_else(|| object.clone()),
        _ => object.clone(),
    };
    let label = missing_label(kind);
    let field = |key: &str, shown: &str| {
        source
            .get(key)
            .filter(|v| !v.is_null())
            .map(scalar_text)
            .ok_or_else(|| {
                ApiError::bad_request("missing-field", format!("{label} {shown} not found"))
            })
    };
    // OSM and ONAP descriptors need not name a vendor (the mixed example's OSM VNFD does
    // not): their platform stands in for it. 5GTANGO descriptors must name one.
    let vendor = match field("vendor", "Vendor") {
        Err(_) if matches!(platform, "osm" | "onap") => platform.to_owned(),
        other => other?,
    };
    Ok(Identity {
        vendor,
        name: field("name", "Name")?,
        version: field("version", "Version")?,
        platform: platform.to_owned(),
    })
}

/// The text form of a JSON value: strings as they are, anything else as JSON.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// OSM: `{"vnfd:vnfd-catalog": {"vnfd": [ {...} ]}}` → the first inner element, with `id`
/// standing in for a missing `name`.
fn osm_inner(object: &Map<String, Value>) -> Option<Map<String, Value>> {
    let catalog = object.values().next()?.as_object()?;
    let list = catalog.values().next()?;
    let first = match list {
        Value::Array(items) => items.first()?.as_object()?,
        Value::Object(single) => single,
        _ => return None,
    };
    let mut inner = first.clone();
    if !inner.contains_key("name") {
        if let Some(id) = first.get("id") {
            inner.insert("name".into(), id.clone());
        }
    }
    Some(inner)
}

/// ONAP (TOSCA): identity from the first `metadata` keys matching name / designer|vendor / version.
fn onap_identity(object: &Map<String, Value>) -> Option<Map<String, Value>> {
    let metadata = object.get("metadata")?.as_object()?;
    let find = |needles: &[&str]| {
        metadata
            .iter()
            .find(|(k, _)| needles.iter().any(|n| k.to_ascii_lowercase().contains(n)))
            .map(|(_, v)| v.clone())
    };
    let mut inner = Map::new();
    for (key, needles) in [
        ("name", &["name"][..]),
        ("vendor", &["designer", "vendor", "provider"][..]),
        ("version", &["version"][..]),
    ] {
        if let Some(value) = find(needles) {
            inner.insert(key.into(), value);
        }
    }
    Some(inner)
}

/// MD5 hex of the descriptor's JSON text.
pub fn descriptor_md5(body: &Value) -> String {
    hex::encode(Md5::digest(body.to_string().as_bytes()))
}
