//! Which parts a package delete releases (catalogue.md §8.2), read from the package
//! descriptor's `package_content` and `package_file_uuid`.

use serde_json::{json, Value};
use shared_models::DescriptorKind;
use uuid::Uuid;

use crate::{identity::scalar_text, storage::CascadeReport};

#[derive(Debug, Clone, PartialEq)]
pub enum CascadePart {
    /// A descriptor named by `id: {vendor, name, version}`.
    Descriptor {
        kind: DescriptorKind,
        id: Value,
        vendor: String,
        name: String,
        version: String,
    },
    /// A `/files` record, by the uuid the package recorded.
    File { uuid: String },
}

#[derive(Debug, Default, PartialEq)]
pub struct CascadePlan {
    pub parts: Vec<CascadePart>,
    pub package_file_uuid: Option<Uuid>,
}

/// Classifies each `package_content` entry by the last dot-segment of its `content-type`.
pub fn plan_cascade(pd: &Value) -> CascadePlan {
    let entries = pd
        .get("package_content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let parts = entries.iter().filter_map(classify).collect();
    let package_file_uuid = pd
        .get("package_file_uuid")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok());
    CascadePlan {
        parts,
        package_file_uuid,
    }
}

fn classify(entry: &Value) -> Option<CascadePart> {
    let content_type = entry
        .get("content-type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = match content_type.rsplit('.').next().unwrap_or("") {
        "vnfd" => Some(DescriptorKind::Vnfd),
        "nsd" => Some(DescriptorKind::Nsd),
        "tstd" | "testd" => Some(DescriptorKind::Testd),
        "ref" => return None,
        _ => None,
    };
    match kind {
        Some(kind) => {
            let id = entry.get("id").filter(|id| id.is_object())?;
            let field = |key: &str| id.get(key).map(scalar_text);
            Some(CascadePart::Descriptor {
                kind,
                vendor: field("vendor")?,
                name: field("name")?,
                version: field("version")?,
                id: json!({"name": id.get("name"), "vendor": id.get("vendor"), "version": id.get("version")}),
            })
        }
        None => {
            let uuid = entry.get("uuid").and_then(Value::as_str)?;
            (!uuid.is_empty()).then(|| CascadePart::File {
                uuid: uuid.to_owned(),
            })
        }
    }
}

impl CascadeReport {
    pub fn record_descriptor(&mut self, kind: DescriptorKind, id: Value, found: bool) {
        let lists = if found {
            &mut self.deleted
        } else {
            &mut self.not_found
        };
        match kind {
            DescriptorKind::Vnfd => lists.vnfds.push(id),
            DescriptorKind::Nsd => lists.nsds.push(id),
            DescriptorKind::Testd | DescriptorKind::Pd => lists.testds.push(id),
        }
    }

    pub fn record_file(&mut self, uuid: &str, found: bool) {
        let lists = if found {
            &mut self.deleted
        } else {
            &mut self.not_found
        };
        lists.files.push(json!({ "uuid": uuid }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_descriptors_files_and_skips_references() {
        let tgo = Uuid::new_v4();
        let pd = json!({
            "package_file_uuid": tgo.to_string(),
            "package_content": [
                {"content-type": "application/vnd.5gtango.vnfd", "id": {"vendor": "v", "name": "n", "version": 0.1}},
                {"content-type": "application/vnd.5gtango.ref", "uuid": "x"},
                {"content-type": "text/plain", "uuid": "abc"},
                {"content-type": "application/vnd.5gtango.tstd", "id": {"vendor": "v", "name": "t", "version": "1"}}
            ]
        });
        let plan = plan_cascade(&pd);
        assert_eq!(plan.package_file_uuid, Some(tgo));
        assert_eq!(plan.parts.len(), 3);
        assert!(
            matches!(&plan.parts[0], CascadePart::Descriptor { kind: DescriptorKind::Vnfd, version, .. } if version == "0.1")
        );
        assert_eq!(plan.parts[1], CascadePart::File { uuid: "abc".into() });
        assert!(matches!(
            &plan.parts[2],
            CascadePart::Descriptor {
                kind: DescriptorKind::Testd,
                ..
            }
        ));
    }
}
