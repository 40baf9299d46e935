//! Descriptors inside a package: which entries they are, their platform and identity, and the
//! syntax rules of the official 5GTANGO schemas (built in; facts from tng-schema).

use serde_json::Value;
use shared_models::{ContentEntry, ContentId};

use crate::{
    archive::Extracted,
    error::{PackageError, Result},
    limits::Limits,
    yaml,
};

/// The three descriptor kinds the platform stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DescriptorType {
    Nsd,
    Vnfd,
    Tstd,
}

impl DescriptorType {
    /// `application/vnd.<anything>.nsd|vnfd|tstd`, the catalogue backend's rule (packager.md §1.8).
    pub fn of_content_type(content_type: &str) -> Option<Self> {
        let rest = content_type.strip_prefix("application/vnd.")?;
        let (_, last) = rest.rsplit_once('.')?;
        match last {
            "nsd" => Some(Self::Nsd),
            "vnfd" => Some(Self::Vnfd),
            "tstd" => Some(Self::Tstd),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Nsd => "NSD",
            Self::Vnfd => "VNFD",
            Self::Tstd => "test descriptor",
        }
    }
}

/// `5gtango`, `osm` or `onap`: the first that occurs in the lower-cased content type.
pub fn platform_of(content_type: &str) -> Option<&'static str> {
    let lower = content_type.to_ascii_lowercase();
    ["5gtango", "osm", "onap"]
        .into_iter()
        .find(|p| lower.contains(p))
}

/// A generic artifact: anything whose type is not `application/vnd.*` (a missing type counts as
/// generic, Q-12).
pub fn is_generic_file(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|ct| !ct.starts_with("application/vnd."))
}

/// vendor / name / version of a descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    pub vendor: String,
    pub name: String,
    pub version: String,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.vendor, self.name, self.version)
    }
}

impl Identity {
    fn from_map(value: &Value) -> Option<Self> {
        Some(Self {
            vendor: yaml::scalar_text(value.get("vendor")?)?,
            name: yaml::scalar_text(value.get("name")?)?,
            version: yaml::scalar_text(value.get("version")?)?,
        })
    }

    /// Where the identity sits: top level for 5GTANGO (and `.ref` files), the first element of
    /// the list under the first key of the first key for OSM (`vnfd:vnfd-catalog: {vnfd: [..]}`).
    pub fn of_document(body: &Value, platform: Option<&str>) -> Option<Self> {
        match platform {
            Some("osm") => {
                let (_, catalog) = body.as_object()?.iter().next()?;
                let (_, list) = catalog.as_object()?.iter().next()?;
                Self::from_map(list.as_array()?.first()?)
            }
            _ => Self::from_map(body),
        }
    }
}

/// One parsed descriptor of the package.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub source: String,
    pub kind: DescriptorType,
    pub content_type: String,
    pub platform: Option<&'static str>,
    pub body: Value,
    pub identity: Option<Identity>,
}

/// Parse every descriptor entry. With `check_syntax`, parse errors and schema-rule violations
/// fail the package; without, unparsable descriptors are left out.
pub fn load_all(
    extracted: &Extracted,
    content: &[ContentEntry],
    limits: &Limits,
    check_syntax: bool,
) -> Result<Vec<Descriptor>> {
    let mut out = Vec::new();
    for entry in content {
        let Some(content_type) = entry.content_type.as_deref() else {
            continue;
        };
        let Some(kind) = DescriptorType::of_content_type(content_type) else {
            continue;
        };
        match load_one(extracted, entry, content_type, kind, limits, check_syntax) {
            Ok(descriptor) => out.push(descriptor),
            Err(e) if check_syntax => return Err(e),
            Err(e) => tracing::warn!(source = entry.source, error = %e, "descriptor not parsed"),
        }
    }
    Ok(out)
}

fn load_one(
    extracted: &Extracted,
    entry: &ContentEntry,
    content_type: &str,
    kind: DescriptorType,
    limits: &Limits,
    check_syntax: bool,
) -> Result<Descriptor> {
    let invalid = |reason: String| PackageError::DescriptorInvalid {
        path: entry.source.clone(),
        reason,
    };
    let text = extracted.read_text(&entry.source, limits)?;
    let body = yaml::parse(&text).map_err(|e| invalid(format!("not YAML or JSON: {e}")))?;
    if !body.is_object() {
        return Err(invalid("the document is not a mapping".into()));
    }
    let platform = platform_of(content_type);
    if check_syntax && platform == Some("5gtango") {
        let problems = syntax_problems(kind, &body);
        if !problems.is_empty() {
            return Err(invalid(problems.join("; ")));
        }
    }
    let identity = Identity::of_document(&body, platform);
    Ok(Descriptor {
        source: entry.source.clone(),
        kind,
        content_type: content_type.to_owned(),
        platform,
        body,
        identity,
    })
}

const NSD_KEYS: &[&str] = &[
    "descriptor_schema",
    "vendor",
    "name",
    "version",
    "author",
    "description",
    "logo",
    "licences",
    "service_specific_managers",
    "network_functions",
    "network_services",
    "connection_points",
    "virtual_links",
    "forwarding_graphs",
    "lifecycle_events",
    "vnf_depedency",
    "services_depedency",
    "monitoring_parameters",
    "auto_scale_policy",
    "service_platforms",
    "testing_tags",
    "soft_constraints",
    "deployment_flavours",
];
const VNFD_KEYS: &[&str] = &[
    "descriptor_schema",
    "vendor",
    "name",
    "version",
    "author",
    "description",
    "logo",
    "licenses",
    "function_specific_managers",
    "virtual_deployment_units",
    "cloudnative_deployment_units",
    "physical_deployment_units",
    "connection_points",
    "virtual_links",
    "deployment_flavours",
    "lifecycle_events",
    "monitoring_rules",
];
const SCHEMA_REQUIRED: &[&str] = &["descriptor_schema", "vendor", "name", "version"];
const IDENTITY: &[&str] = &["vendor", "name", "version"];

/// The required keys and allowed top-level keys of the official NSD and VNFD schemas
/// (`additionalProperties: false`); a test descriptor needs vendor, name and version.
pub fn syntax_problems(kind: DescriptorType, body: &Value) -> Vec<String> {
    let Some(map) = body.as_object() else {
        return vec!["the document is not a mapping".into()];
    };
    let (required, allowed): (&[&str], Option<&[&str]>) = match kind {
        DescriptorType::Nsd => (SCHEMA_REQUIRED, Some(NSD_KEYS)),
        DescriptorType::Vnfd => (SCHEMA_REQUIRED, Some(VNFD_KEYS)),
        DescriptorType::Tstd => (IDENTITY, None),
    };
    let mut problems: Vec<String> = required
        .iter()
        .filter(|k| !map.contains_key(**k))
        .map(|k| format!("'{k}' is a required property"))
        .collect();
    if let Some(allowed) = allowed {
        problems.extend(
            map.keys()
                .filter(|k| !allowed.contains(&k.as_str()))
                .map(|k| {
                    format!(
                        "top-level key '{k}' is not allowed by the {} schema",
                        kind.label()
                    )
                }),
        );
    }
    problems
}

/// The `id` annotation of a stored content entry (packager.md §5.1): the identity of 5GTANGO
/// and OSM documents (`.ref` files included), else the `source`. A descriptor among `parsed`
/// (what [`load_all`] read) is not read and parsed again.
pub fn content_id(
    parsed: &[Descriptor],
    extracted: &Extracted,
    entry: &ContentEntry,
    limits: &Limits,
) -> ContentId {
    let fallback = || ContentId::Source(entry.source.clone());
    let platform = entry.content_type.as_deref().and_then(platform_of);
    if !matches!(platform, Some("5gtango" | "osm")) {
        return fallback();
    }
    let same = |d: &&Descriptor| {
        d.source == entry.source && Some(d.content_type.as_str()) == entry.content_type.as_deref()
    };
    if let Some(descriptor) = parsed.iter().find(same) {
        return descriptor
            .identity
            .clone()
            .map_or_else(fallback, |id| ContentId::Descriptor {
                vendor: id.vendor,
                name: id.name,
                version: id.version,
            });
    }
    extracted
        .read_text(&entry.source, limits)
        .ok()
        .and_then(|text| yaml::parse(&text).ok())
        .and_then(|body| Identity::of_document(&body, platform))
        .map_or_else(fallback, |id| ContentId::Descriptor {
            vendor: id.vendor,
            name: id.name,
            version: id.version,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_content_types_like_the_catalogue_backend() {
        use DescriptorType::*;
        let cases = [
            ("application/vnd.5gtango.nsd", Some(Nsd)),
            ("application/vnd.osm.vnfd", Some(Vnfd)),
            ("application/vnd.etsi.osm.vnfd", Some(Vnfd)),
            ("application/vnd.5gtango.tstd", Some(Tstd)),
            ("application/vnd.5gtango.ref", None),
            ("application/vnd.onap.pnfd", None),
            ("text/plain", None),
        ];
        for (ct, want) in cases {
            assert_eq!(DescriptorType::of_content_type(ct), want, "{ct}");
        }
    }

    #[test]
    fn maps_content_types_to_platforms() {
        assert_eq!(platform_of("application/vnd.5gtango.nsd"), Some("5gtango"));
        assert_eq!(platform_of("application/vnd.osm.nsd"), Some("osm"));
        assert_eq!(platform_of("application/vnd.lf.ONAP.nsd"), Some("onap"));
        assert_eq!(platform_of("image/png"), None);
    }

    #[test]
    fn finds_the_osm_identity_inside_its_catalog() {
        let body = json!({"vnfd:vnfd-catalog": {"vnfd": [
            {"id": "x", "name": "cirros_vnfd", "vendor": "OSM", "version": 1.0}]}});
        let id = Identity::of_document(&body, Some("osm")).unwrap();
        assert_eq!(id.to_string(), "OSM.cirros_vnfd.1.0");
    }

    #[test]
    fn an_unknown_top_level_key_breaks_nsd_syntax() {
        let body = json!({"descriptor_schema": "x", "vendor": "v", "name": "n",
                          "version": "1", "network_functions1": []});
        let problems = syntax_problems(DescriptorType::Nsd, &body);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("network_functions1"));
    }

    #[test]
    fn a_test_descriptor_needs_its_identity() {
        let problems = syntax_problems(DescriptorType::Tstd, &json!({"name": "t"}));
        assert_eq!(problems.len(), 2);
    }
}
