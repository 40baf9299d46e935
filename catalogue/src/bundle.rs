//! A whole package in one request and one transaction (`POST /packages/bundle`, ADR-23): its
//! descriptors, generic files, archive and package descriptor are stored together or not at
//! all. The manifest says what each part is; the catalogue fills in the uuids the package
//! descriptor refers to.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_models::{CatalogueRecord, DescriptorKind};
use uuid::Uuid;

use crate::{
    blobstore::{
        slices::{in_one_pass, Slice},
        BlobDigests, StagedBlob,
    },
    error::ApiError,
    identity::descriptor_md5,
    model::{kind_from_route, NewDescriptor, UploadMeta},
};

/// The first part of a bundle: what the other parts are, and the package descriptor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The sender's id for this request (the packager's process id): a bundle with an id
    /// that was cancelled, or stored already, stores nothing (409 `bundle-cancelled`).
    #[serde(default)]
    pub request_id: Option<String>,
    /// Recorded on every part, as `?username=` on the per-part routes.
    #[serde(default)]
    pub username: Option<String>,
    /// The package descriptor: `package_content[i].uuid` of every part and
    /// `package_file_uuid` are set by the catalogue.
    pub package: Value,
    /// One entry per `part` of the request, in their order.
    #[serde(default)]
    pub parts: Vec<ManifestPart>,
    pub archive: ManifestArchive,
}

/// One part: a descriptor (`vnfs`, `network-services`, `tests`) or a generic file (`files`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPart {
    pub collection: String,
    /// The `package_content` entry of the package descriptor it is.
    pub content_index: usize,
    /// A descriptor's platform (`?platform=`).
    #[serde(default)]
    pub platform: Option<String>,
    /// A file's stored name (`Content-Disposition` filename on `/files`).
    #[serde(default)]
    pub file_name: Option<String>,
    /// The part's path in the package, named in errors.
    #[serde(default)]
    pub source: Option<String>,
    /// A file whose bytes are this range of the archive (stored uncompressed there): it has
    /// no `part` of its own, and its bytes are kept once, inside the archive (ADR-31).
    #[serde(default)]
    pub in_archive: Option<Slice>,
}

/// The `.tgo` archive, the last part.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestArchive {
    pub file_name: String,
    /// When given, the stored archive must have this SHA-256 (else nothing is stored).
    #[serde(default)]
    pub sha256: Option<String>,
}

/// What a part of a bundle is, once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    Descriptor(DescriptorKind),
    File,
}

impl ManifestPart {
    pub fn kind(&self) -> Result<PartKind, ApiError> {
        if self.collection == "files" {
            return Ok(PartKind::File);
        }
        match kind_from_route(&self.collection) {
            Some(DescriptorKind::Pd) | None => Err(invalid(format!(
                "part {} names {:?}: use vnfs, network-services, tests or files",
                self.content_index, self.collection
            ))),
            Some(kind) => Ok(PartKind::Descriptor(kind)),
        }
    }

    /// How the part is named in errors.
    pub fn label(&self) -> String {
        let name = self
            .source
            .clone()
            .unwrap_or_else(|| format!("package_content[{}]", self.content_index));
        format!("{name} ({})", self.collection)
    }
}

impl Manifest {
    /// Every part names a distinct `package_content` entry of the package descriptor.
    pub fn check(&self) -> Result<(), ApiError> {
        let entries = content(&self.package).map_or(0, Vec::len);
        if let Some(id) = &self.request_id {
            check_request_id(id)?;
        }
        let mut seen = std::collections::HashSet::new();
        for part in &self.parts {
            if part.kind()? != PartKind::File && part.in_archive.is_some() {
                return Err(invalid(format!(
                    "part {}: only a file can be in_archive",
                    part.label()
                )));
            }
            if part.content_index >= entries || !seen.insert(part.content_index) {
                return Err(invalid(format!(
                    "part {} names package_content[{}], which the package has not, or twice",
                    part.label(),
                    part.content_index
                )));
            }
        }
        if !in_one_pass(&self.slices()) {
            return Err(invalid(
                "the in_archive ranges must be non-empty and must not overlap",
            ));
        }
        Ok(())
    }

    /// The `in_archive` ranges, in the order of the parts.
    pub fn slices(&self) -> Vec<Slice> {
        self.parts.iter().filter_map(|p| p.in_archive).collect()
    }
}

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid-bundle", message)
}

fn content(package: &Value) -> Option<&Vec<Value>> {
    package.get("package_content").and_then(Value::as_array)
}

/// Everything of one bundle, read and staged, for the storage.
#[derive(Debug)]
pub struct Bundle {
    pub request_id: Option<String>,
    pub descriptors: Vec<(usize, NewDescriptor)>,
    pub files: Vec<(usize, FileBody, UploadMeta)>,
    pub archive: (StagedBlob, UploadMeta),
    /// Its body completed by [`complete_package`] before it is stored.
    pub package: NewDescriptor,
}

/// Where a file's bytes are.
#[derive(Debug)]
pub enum FileBody {
    /// Sent as a part of their own, and staged.
    Staged(StagedBlob),
    /// `digests.size` bytes at `offset` of the bundle's archive.
    InArchive { digests: BlobDigests, offset: u64 },
}

/// A part as stored: its `package_content` index and the record it is (new or reused).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredPart {
    pub content_index: usize,
    pub uuid: Uuid,
}

/// The stored archive.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredArchive {
    pub uuid: Uuid,
    pub sha256: String,
    pub md5: String,
    pub size: u64,
}

/// The answer to a stored bundle.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoredBundle {
    /// The package descriptor's uuid.
    pub uuid: Uuid,
    pub package: CatalogueRecord,
    pub parts: Vec<StoredPart>,
    pub archive: StoredArchive,
}

/// What storing a bundle did.
#[derive(Debug)]
pub enum BundleOutcome {
    Stored(Box<StoredBundle>),
    /// A package with this identity exists already: nothing was stored.
    Duplicate(Uuid),
    /// The request id was cancelled (or used) before: nothing was stored.
    Cancelled(String),
}

/// What a cancel found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The bundle had not stored (or never arrived): it never will.
    BeforeStore,
    /// The bundle stored this package (the caller deletes it).
    Stored(Uuid),
    /// Cancelled before, or its package removed since.
    Already,
}

/// The longest request id accepted.
pub const MAX_REQUEST_ID: usize = 200;

/// A request id: 1 to [`MAX_REQUEST_ID`] bytes of `[A-Za-z0-9._-]`.
pub fn check_request_id(id: &str) -> Result<(), ApiError> {
    let fine = !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if fine {
        Ok(())
    } else {
        Err(invalid(format!(
            "request_id {id:?}: 1 to {MAX_REQUEST_ID} characters of A-Z, a-z, 0-9, '.', '_', '-'"
        )))
    }
}

/// The package descriptor with the uuids of its stored parts and archive.
pub fn complete_package(package: &mut NewDescriptor, parts: &[StoredPart], archive: Uuid) {
    if let Some(entries) = package
        .body
        .get_mut("package_content")
        .and_then(Value::as_array_mut)
    {
        for part in parts {
            if let Some(entry) = entries
                .get_mut(part.content_index)
                .and_then(Value::as_object_mut)
            {
                entry.insert("uuid".into(), part.uuid.to_string().into());
            }
        }
    }
    if let Some(body) = package.body.as_object_mut() {
        body.insert("package_file_uuid".into(), archive.to_string().into());
    }
    package.md5 = descriptor_md5(&package.body);
}
