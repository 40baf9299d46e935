//! Storing an unpacked package (packager.md §5.1) with the fixes of issue 4: a duplicate fails
//! before anything is written, a failure part-way or a passed deadline removes everything this
//! process created.

use std::{path::Path, time::Duration};

use futures_util::StreamExt;

use package_format::{
    descriptor::{content_id, is_generic_file, platform_of, DescriptorType},
    member::FileBytes,
    Limits, Unpacked,
};

use super::catalogue_client::{user_query, uuid_of, CatalogueClient, StoreError};

/// The uploaded archive: where it is and the name it was uploaded under.
#[derive(Debug, Clone, Copy)]
pub struct Archive<'a> {
    pub path: &'a Path,
    pub name: &'a str,
    /// SHA-256 of the uploaded bytes: the stored archive must have the same.
    pub sha256: &'a str,
}

/// When the process must end, and the configured limit (for the message).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    pub limit: Duration,
}

impl Deadline {
    /// `Timeout` once the deadline has passed.
    fn check(&self) -> Result<(), StoreError> {
        if tokio::time::Instant::now() >= self.at {
            return Err(StoreError::Timeout(self.limit));
        }
        Ok(())
    }
}

/// What the writes of one store share: the user, the deadline, and what was created so far.
struct Writer<'a> {
    username: Option<&'a str>,
    deadline: Deadline,
    created: &'a mut Vec<(String, String)>,
}

/// What was stored: the package descriptor's uuid and URL.
#[derive(Debug, Clone)]
pub struct Stored {
    pub package_uuid: String,
    pub location: String,
}

impl CatalogueClient {
    /// Check that the package is new and its outside VNFs are known, store every part, then the
    /// package descriptor. On failure, or when the deadline passed, remove what was created.
    ///
    /// The checks create nothing, so the deadline cuts them short. A write is never cut in the
    /// middle (the catalogue may have done it without our knowing its uuid): the deadline is
    /// checked before each one.
    pub async fn store(
        &self,
        unpacked: &mut Unpacked,
        archive: &Archive<'_>,
        username: Option<&str>,
        limits: &Limits,
        deadline: Deadline,
    ) -> Result<Stored, StoreError> {
        tokio::time::timeout_at(deadline.at, self.check_new(unpacked))
            .await
            .unwrap_or(Err(StoreError::Timeout(deadline.limit)))?;
        let mut created: Vec<(String, String)> = Vec::new();
        let writer = Writer {
            username,
            deadline,
            created: &mut created,
        };
        let result = self.store_parts(unpacked, archive, limits, writer).await;
        if result.is_err() {
            self.roll_back(&created).await;
        }
        result
    }

    /// Not a duplicate, and every VNF named from outside the package is known.
    async fn check_new(&self, unpacked: &Unpacked) -> Result<(), StoreError> {
        let triple = unpacked.record.triple().unwrap_or_default();
        if let Some(uuid) = self.existing_package(&unpacked.record).await? {
            return Err(StoreError::Duplicate { triple, uuid });
        }
        self.check_outside(&unpacked.topology.outside).await
    }

    async fn store_parts(
        &self,
        unpacked: &mut Unpacked,
        archive: &Archive<'_>,
        limits: &Limits,
        mut writer: Writer<'_>,
    ) -> Result<Stored, StoreError> {
        let username = writer.username;
        for kind in [
            DescriptorType::Vnfd,
            DescriptorType::Nsd,
            DescriptorType::Tstd,
        ] {
            for index in 0..unpacked.record.package_content.len() {
                let entry = &unpacked.record.package_content[index];
                let Some(ct) = entry.content_type.clone() else {
                    continue;
                };
                if DescriptorType::of_content_type(&ct) != Some(kind) {
                    continue;
                }
                let route = route_of(kind);
                let mut query = user_query(username);
                if let Some(platform) = platform_of(&ct) {
                    query.push(("platform", platform.to_owned()));
                }
                writer.deadline.check()?;
                let uuid = self.post_descriptor(unpacked, index, route, &query).await?;
                writer.created.push((route.to_owned(), uuid.clone()));
                unpacked.record.package_content[index].uuid = Some(uuid);
            }
        }
        let tgo_uuid = self
            .post_files_and_archive(unpacked, archive, &mut writer)
            .await?;
        self.check_stored_archive(&tgo_uuid, archive.sha256).await?;
        unpacked
            .record
            .metadata
            .insert("package_sha256".into(), archive.sha256.into());
        annotate(unpacked, &tgo_uuid, archive.name, limits);
        writer.deadline.check()?;
        let package_uuid = self
            .post_package_descriptor(&unpacked.record, username)
            .await?;
        Ok(Stored {
            location: format!("{}/packages/{package_uuid}", self.base),
            package_uuid,
        })
    }

    /// The generic files and the archive, [`UPLOADS_AT_ONCE`] at a time: they are independent,
    /// and a big artifact and the archive that holds it are hashed by the catalogue on two
    /// cores instead of one after the other. Every upload that succeeded is recorded for the
    /// rollback, even when another failed. The archive's uuid.
    async fn post_files_and_archive(
        &self,
        unpacked: &mut Unpacked,
        archive: &Archive<'_>,
        writer: &mut Writer<'_>,
    ) -> Result<String, StoreError> {
        let extracted = &unpacked.extracted;
        let query = user_query(writer.username);
        let mut parts = Vec::new();
        for (index, entry) in unpacked.record.package_content.iter().enumerate() {
            if is_generic_file(entry.content_type.as_deref()) {
                let bytes = extracted
                    .locate(&entry.source)
                    .map_err(|e| StoreError::Local(e.to_string()))?;
                parts.push(Upload {
                    index: Some(index),
                    route: "files",
                    bytes,
                    content_type: "application/octet-stream",
                    name: base_name(&entry.source),
                    what: &entry.source,
                });
            }
        }
        parts.push(Upload {
            index: None,
            route: "tgo-packages",
            bytes: FileBytes::Path(archive.path.to_path_buf()),
            content_type: "application/zip",
            name: archive.name,
            what: archive.name,
        });
        let deadline = writer.deadline;
        let uploads: Vec<_> = parts
            .iter()
            .map(|part| Box::pin(self.upload_part(part, &query, deadline)))
            .collect();
        let results: Vec<_> = futures_util::stream::iter(uploads)
            .buffered(UPLOADS_AT_ONCE)
            .collect()
            .await;
        let mut failure = None;
        let mut tgo_uuid = String::new();
        let mut uuids = Vec::new();
        for (part, result) in parts.iter().zip(results) {
            match result {
                Ok(uuid) => {
                    writer.created.push((part.route.to_owned(), uuid.clone()));
                    match part.index {
                        Some(index) => uuids.push((index, uuid)),
                        None => tgo_uuid = uuid,
                    }
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        for (index, uuid) in uuids {
            unpacked.record.package_content[index].uuid = Some(uuid);
        }
        Ok(tgo_uuid)
    }

    async fn upload_part(
        &self,
        part: &Upload<'_>,
        query: &[(&str, String)],
        deadline: Deadline,
    ) -> Result<String, StoreError> {
        deadline.check()?;
        self.post_file(
            part.route,
            query,
            &part.bytes,
            part.content_type,
            Some(part.name),
            part.what,
        )
        .await
    }

    /// A descriptor as the packager parsed and checked it (JSON), so that the catalogue stores
    /// exactly what was validated, whatever its own YAML reading; one left unparsed (validation
    /// skipped) goes as its raw bytes.
    async fn post_descriptor(
        &self,
        unpacked: &Unpacked,
        index: usize,
        route: &str,
        query: &[(&str, String)],
    ) -> Result<String, StoreError> {
        let source = &unpacked.record.package_content[index].source;
        let what = format!("{source} ({route})");
        match unpacked.descriptors.iter().find(|d| &d.source == source) {
            Some(parsed) => {
                let response = self.send_json(route, query, &parsed.body).await?;
                uuid_of(response, &what).await
            }
            None => {
                let bytes = unpacked
                    .extracted
                    .locate(source)
                    .map_err(|e| StoreError::Local(e.to_string()))?;
                self.post_file(route, query, &bytes, "application/x-yaml", None, source)
                    .await
            }
        }
    }
}

/// Uploads of files and the archive running at once.
const UPLOADS_AT_ONCE: usize = 3;

/// One file or archive upload of a store.
struct Upload<'a> {
    /// Its `package_content` entry; `None` for the archive.
    index: Option<usize>,
    route: &'static str,
    bytes: FileBytes,
    content_type: &'static str,
    name: &'a str,
    what: &'a str,
}

fn route_of(kind: DescriptorType) -> &'static str {
    match kind {
        DescriptorType::Nsd => "network-services",
        DescriptorType::Vnfd => "vnfs",
        DescriptorType::Tstd => "tests",
    }
}

fn base_name(source: &str) -> &str {
    source.rsplit('/').next().unwrap_or(source)
}

/// `id` of every entry, `package_file_uuid` and `package_file_name` (§5.1 annotations).
fn annotate(unpacked: &mut Unpacked, tgo_uuid: &str, archive_name: &str, limits: &Limits) {
    let ids: Vec<_> = unpacked
        .record
        .package_content
        .iter()
        .map(|entry| content_id(&unpacked.descriptors, &unpacked.extracted, entry, limits))
        .collect();
    for (entry, id) in unpacked.record.package_content.iter_mut().zip(ids) {
        entry.id = Some(id);
    }
    unpacked.record.package_file_uuid = Some(tgo_uuid.to_owned());
    unpacked.record.package_file_name = Some(archive_name.to_owned());
}
