//! Stored rows and how they become wire envelopes.

use chrono::{DateTime, Utc};
use serde_json::Value;
use shared_models::{catalogue::DescriptorBody, BlobRecord, CatalogueRecord, DescriptorKind};
use uuid::Uuid;

use crate::identity::Identity;

/// A descriptor as stored.
#[derive(Debug, Clone)]
pub struct DescriptorRow {
    pub uuid: Uuid,
    pub kind: DescriptorKind,
    pub vendor: String,
    pub name: String,
    pub version: String,
    /// `""` for tests and packages.
    pub platform: String,
    pub body: Value,
    pub status: String,
    pub pkg_ref: i64,
    pub md5: String,
    pub username: Option<String>,
    pub signature: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DescriptorRow {
    /// The wire envelope: `pkg_ref` and `platform` only where the kind has them.
    pub fn into_record(self) -> CatalogueRecord {
        let counted = self.kind != DescriptorKind::Pd;
        CatalogueRecord {
            created_at: self.created_at,
            md5: Some(self.md5),
            pkg_ref: counted.then_some(self.pkg_ref),
            platform: self.kind.has_platform().then_some(self.platform),
            signature: self.signature,
            status: self.status,
            updated_at: self.updated_at,
            username: self.username,
            uuid: self.uuid,
            body: DescriptorBody::new(self.kind, self.body),
        }
    }
}

/// What a create inserts.
#[derive(Debug, Clone)]
pub struct NewDescriptor {
    pub kind: DescriptorKind,
    pub identity: Identity,
    pub body: Value,
    pub md5: String,
    pub username: Option<String>,
    /// Whether to write its field index rows (`CATALOGUE_FIELD_INDEX`).
    pub index_fields: bool,
}

/// The two blob-backed collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// `/files`: artifacts, deduplicated by content and file name.
    File,
    /// `/tgo-packages`: package archives, a new record per upload.
    TgoPackage,
}

impl BlobKind {
    pub fn table(self) -> &'static str {
        match self {
            Self::File => "files",
            Self::TgoPackage => "tgo_packages",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::TgoPackage => "tgo-package",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::File => "application/octet-stream",
            Self::TgoPackage => "application/zip",
        }
    }
}

/// Metadata that comes with an upload.
#[derive(Debug, Clone)]
pub struct UploadMeta {
    pub file_name: String,
    pub username: Option<String>,
    pub signature: Option<String>,
}

/// The outcome of storing an upload.
#[derive(Debug, Clone, Copy)]
pub struct StoredUpload {
    pub uuid: Uuid,
    /// True when no record had these bytes before (201), false when reused (200).
    pub new_content: bool,
}

pub type BlobRow = BlobRecord;

/// What releasing one reference did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// `pkg_ref` went down to this value; the record stays.
    Decremented(i64),
    /// The record is gone (and its blob, when nothing else used it).
    Removed,
}

/// The kind stored under a key (`nsd`, `vnfd`, `testd`, `pd`).
pub fn kind_from_key(key: &str) -> Option<DescriptorKind> {
    DescriptorKind::ALL.into_iter().find(|k| k.key() == key)
}

/// The kind served at a route (`network-services`, `vnfs`, `tests`, `packages`).
pub fn kind_from_route(route: &str) -> Option<DescriptorKind> {
    DescriptorKind::ALL.into_iter().find(|k| k.route() == route)
}

/// The current time at the precision both databases keep (microseconds).
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
