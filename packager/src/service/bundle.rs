//! A package as one catalogue request (`POST /packages/bundle`, ADR-23): a manifest, one part
//! per stored `package_content` entry, and the archive. The catalogue stores all of it in one
//! transaction, or nothing.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use package_format::{
    descriptor::{is_generic_file, platform_of, DescriptorType},
    member::FileBytes,
    Unpacked,
};
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use serde_json::{json, Value};
use shared_models::NapdRecord;

use super::{
    catalogue_client::{file_body, StoreError},
    store::Archive,
};

/// The request, kept so that it can be sent again (its bodies are opened when sent).
pub struct BundleRequest {
    manifest: Vec<u8>,
    parts: Vec<PartBody>,
    archive: PathBuf,
}

enum PartBody {
    /// A descriptor as the packager parsed and checked it.
    Json(Vec<u8>),
    /// A file, or a descriptor left unparsed (validation skipped), as its bytes.
    Bytes(FileBytes, &'static str),
}

/// What the catalogue stored.
#[derive(Debug, Deserialize)]
pub struct BundleAnswer {
    pub uuid: String,
    pub parts: Vec<AnsweredPart>,
    pub archive: AnsweredArchive,
}

#[derive(Debug, Deserialize)]
pub struct AnsweredPart {
    pub content_index: usize,
    pub uuid: String,
}

#[derive(Debug, Deserialize)]
pub struct AnsweredArchive {
    pub uuid: String,
}

/// The collection a descriptor type is stored in.
pub fn route_of(kind: DescriptorType) -> &'static str {
    match kind {
        DescriptorType::Nsd => "network-services",
        DescriptorType::Vnfd => "vnfs",
        DescriptorType::Tstd => "tests",
    }
}

/// A file left in the uploaded archive, as the range the catalogue keeps it as (ADR-31):
/// the catalogue stores those bytes once, inside the archive, instead of a copy sent as a
/// part. The catalogue takes ranges that do not overlap, so a range that overlaps one named
/// before (two entries of one file, or a crafted archive) is sent as bytes.
fn in_archive(bytes: &FileBytes, archive: &Path, sliced: &mut Ranges) -> Option<Value> {
    let FileBytes::Member(member) = bytes else {
        return None;
    };
    let end = member.offset.checked_add(member.len)?;
    if member.archive != archive || !sliced.take(member.offset, end) {
        return None;
    }
    Some(json!({"offset": member.offset, "length": member.len}))
}

/// Disjoint ranges `[start, end)`, by start.
#[derive(Default)]
struct Ranges(BTreeMap<u64, u64>);

impl Ranges {
    /// Adds `[start, end)` unless it overlaps a range taken before.
    fn take(&mut self, start: u64, end: u64) -> bool {
        let before = self.0.range(..=start).next_back();
        let after = self.0.range(start..).next();
        if before.is_some_and(|(_, &e)| e > start) || after.is_some_and(|(&s, _)| s < end) {
            return false;
        }
        self.0.insert(start, end);
        true
    }
}

fn base_name(source: &str) -> &str {
    source.rsplit('/').next().unwrap_or(source)
}

/// The record as the catalogue stores it: without `metadata`, `error` and `error_code`.
pub fn package_descriptor(record: &NapdRecord) -> Result<Value, StoreError> {
    let mut descriptor =
        serde_json::to_value(record).map_err(|e| StoreError::Local(e.to_string()))?;
    if let Some(map) = descriptor.as_object_mut() {
        for key in ["metadata", "error", "error_code"] {
            map.remove(key);
        }
    }
    Ok(descriptor)
}

impl BundleRequest {
    /// Every descriptor (as the JSON the packager validated, so that the catalogue stores
    /// exactly that) and generic file of the package, and its archive.
    pub fn plan(
        unpacked: &Unpacked,
        archive: &Archive<'_>,
        request_id: &str,
        username: Option<&str>,
    ) -> Result<Self, StoreError> {
        let mut entries = Vec::new();
        let mut parts = Vec::new();
        let mut sliced = Ranges::default();
        for (index, entry) in unpacked.record.package_content.iter().enumerate() {
            let content_type = entry.content_type.as_deref();
            let source = &entry.source;
            let located = || {
                unpacked
                    .extracted
                    .locate(source)
                    .map_err(|e| StoreError::Local(e.to_string()))
            };
            let (item, body) = match content_type.and_then(DescriptorType::of_content_type) {
                Some(kind) => {
                    let body = match unpacked.descriptors.iter().find(|d| &d.source == source) {
                        Some(parsed) => PartBody::Json(parsed.body.to_string().into_bytes()),
                        None => PartBody::Bytes(located()?, "application/x-yaml"),
                    };
                    let platform = content_type.and_then(platform_of);
                    let item = json!({"collection": route_of(kind), "content_index": index,
                        "platform": platform, "source": source});
                    (item, body)
                }
                None if is_generic_file(content_type) => {
                    let mut item = json!({"collection": "files", "content_index": index,
                        "file_name": base_name(source), "source": source});
                    let bytes = located()?;
                    if let Some(slice) = in_archive(&bytes, archive.path, &mut sliced) {
                        item["in_archive"] = slice;
                        entries.push(item);
                        continue;
                    }
                    (item, PartBody::Bytes(bytes, "application/octet-stream"))
                }
                None => continue,
            };
            entries.push(item);
            parts.push(body);
        }
        let manifest = json!({
            "request_id": request_id,
            "username": username,
            "package": package_descriptor(&unpacked.record)?,
            "parts": entries,
            "archive": {"file_name": archive.name, "sha256": archive.sha256},
        });
        Ok(Self {
            manifest: manifest.to_string().into_bytes(),
            parts,
            archive: archive.path.to_path_buf(),
        })
    }

    /// The multipart body, built anew for each attempt.
    pub fn form(&self) -> Result<Form, StoreError> {
        let typed = |part: Part, mime: &str| {
            part.mime_str(mime)
                .map_err(|e| StoreError::Local(e.to_string()))
        };
        let mut form = Form::new().part(
            "manifest",
            typed(Part::bytes(self.manifest.clone()), "application/json")?,
        );
        for part in &self.parts {
            let part = match part {
                PartBody::Json(bytes) => typed(Part::bytes(bytes.clone()), "application/json")?,
                PartBody::Bytes(bytes, mime) => typed(Part::stream(file_body(bytes)), mime)?,
            };
            form = form.part("part", part);
        }
        let archive = Part::stream(file_body(&FileBytes::Path(self.archive.clone())));
        Ok(form.part("archive", typed(archive, "application/zip")?))
    }
}

#[cfg(test)]
mod tests {
    use super::Ranges;

    #[test]
    fn a_range_that_overlaps_one_taken_before_is_refused() {
        let mut ranges = Ranges::default();
        assert!(ranges.take(100, 200));
        assert!(ranges.take(200, 300), "adjacent after");
        assert!(ranges.take(50, 100), "adjacent before");
        assert!(!ranges.take(100, 200), "the same range again");
        assert!(!ranges.take(150, 160), "inside");
        assert!(!ranges.take(40, 60), "over a start");
        assert!(!ranges.take(290, 400), "over an end");
        assert!(!ranges.take(0, 1000), "around");
        assert!(ranges.take(300, 301));
    }
}
