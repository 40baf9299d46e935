//! The package record (`NapdRecord`): the merged view of TOSCA.meta, the ETSI manifest and the
//! NAPD that the packager produces, annotates with catalogue ids, and sends in its callback.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The `descriptor_schema` the packager writes into a NAPD it generates.
pub const DEFAULT_DESCRIPTOR_SCHEMA: &str =
    "https://raw.githubusercontent.com/sonata-nfv/tng-schema/master/package-specification/napd-schema.yml";

/// The package record. Every field of packager.md §1.11 always exists on the wire (as `null`
/// when unknown); keys a NAPD carries beyond them (e.g. `logo`) are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct NapdRecord {
    #[serde(default)]
    pub error: Option<String>,
    /// Stable kebab-case code of `error`, when there is one (decision 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default)]
    pub warning: Option<String>,
    #[serde(default)]
    pub descriptor_schema: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub package_type: Option<String>,
    #[serde(default)]
    pub maintainer: Option<String>,
    #[serde(default)]
    pub release_date_time: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Raw meta blocks (`tosca`, `etsi`) and bookkeeping (`_napd_path`, `_storage_uuid`, ...).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub package_content: Vec<ContentEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_file_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_file_name: Option<String>,
    /// Other top-level NAPD keys, kept as they were.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

impl NapdRecord {
    /// A record that carries only an error, as after a failure before metadata was read.
    pub fn failed(code: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            error_code: Some(code.into()),
            ..Self::default()
        }
    }

    /// `vendor.name.version`, when all three are known.
    pub fn triple(&self) -> Option<String> {
        Some(format!(
            "{}.{}.{}",
            self.vendor.as_deref()?,
            self.name.as_deref()?,
            self.version.as_deref()?
        ))
    }
}

/// One `package_content` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContentEntry {
    /// Path of the file relative to the package root.
    pub source: String,
    #[serde(default)]
    pub algorithm: Option<String>,
    #[serde(default)]
    pub hash: Option<String>,
    #[serde(rename = "content-type", default)]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testing_tags: Option<Vec<String>>,
    /// Catalogue uuid of the stored part (added when stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// What the part is: a descriptor identity, or else its `source` (added when stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ContentId>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

impl ContentEntry {
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            algorithm: None,
            hash: None,
            content_type: None,
            tags: None,
            testing_tags: None,
            uuid: None,
            id: None,
            extra: Map::new(),
        }
    }
}

/// `id` of a content entry: `{vendor, name, version}` for descriptors and `.ref` files, the
/// `source` string for anything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ContentId {
    Descriptor {
        vendor: String,
        name: String,
        version: String,
    },
    Source(String),
}
