//! Storing an unpacked package (packager.md §5.1) with the fixes of issue 4: a duplicate fails
//! before anything is written, a failure part-way or a passed deadline removes everything this
//! process created.

use std::{path::Path, time::Duration};

use package_format::{
    descriptor::{content_id, is_generic_file, platform_of, DescriptorType},
    files::resolve,
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
        writer: Writer<'_>,
    ) -> Result<Stored, StoreError> {
        let username = writer.username;
        let root = unpacked.extracted.root.clone();
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
        for index in 0..unpacked.record.package_content.len() {
            let entry = &unpacked.record.package_content[index];
            if !is_generic_file(entry.content_type.as_deref()) {
                continue;
            }
            let path =
                resolve(&root, &entry.source).map_err(|e| StoreError::Local(e.to_string()))?;
            let name = base_name(&entry.source);
            writer.deadline.check()?;
            let uuid = self
                .post_file(
                    "files",
                    &user_query(username),
                    &path,
                    "application/octet-stream",
                    Some(name),
                    &entry.source,
                )
                .await?;
            writer.created.push(("files".to_owned(), uuid.clone()));
            unpacked.record.package_content[index].uuid = Some(uuid);
        }
        writer.deadline.check()?;
        let tgo_uuid = self
            .post_file(
                "tgo-packages",
                &user_query(username),
                archive.path,
                "application/zip",
                Some(archive.name),
                archive.name,
            )
            .await?;
        writer
            .created
            .push(("tgo-packages".to_owned(), tgo_uuid.clone()));
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
                let path = resolve(&unpacked.extracted.root, source)
                    .map_err(|e| StoreError::Local(e.to_string()))?;
                self.post_file(route, query, &path, "application/x-yaml", None, source)
                    .await
            }
        }
    }
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
        .map(|entry| content_id(&unpacked.extracted, entry, limits))
        .collect();
    for (entry, id) in unpacked.record.package_content.iter_mut().zip(ids) {
        entry.id = Some(id);
    }
    unpacked.record.package_file_uuid = Some(tgo_uuid.to_owned());
    unpacked.record.package_file_name = Some(archive_name.to_owned());
}
