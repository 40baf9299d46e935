//! Storing an unpacked package into the catalogue (packager.md §5.1) with the fixes of issue 4:
//! a duplicate fails before anything is written, a failure part-way removes everything this
//! process created, and an unreachable catalogue is retried briefly, then reported.

use std::{path::Path, time::Duration};

use package_format::{
    descriptor::{content_id, is_generic_file, platform_of, DescriptorType},
    files::resolve,
    topology::OutsideReference,
    Limits, Unpacked,
};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use shared_models::NapdRecord;

/// Why storing failed; `code()` is the process's `error_code`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Package {triple} already exists in the catalogue with UUID {uuid}")]
    Duplicate { triple: String, uuid: String },
    #[error("the catalogue is unreachable at {url}: {reason}")]
    Unavailable { url: String, reason: String },
    #[error("the catalogue refused {what}: ({status}) {body}")]
    Refused {
        what: String,
        status: u16,
        body: String,
    },
    #[error("VNF {vnf} named by {nsd} is neither in the package nor in the catalogue")]
    MissingVnf { nsd: String, vnf: String },
    #[error("could not read {0}")]
    Local(String),
    #[error("{} (everything stored so far was removed)", super::worker::timeout_message(*.0))]
    Timeout(Duration),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Duplicate { .. } => "duplicate-package",
            Self::Unavailable { .. } => "catalogue-unavailable",
            Self::Refused { .. } => "catalogue-error",
            Self::MissingVnf { .. } => "topology-invalid",
            Self::Local(_) => "io-error",
            Self::Timeout(_) => "timeout",
        }
    }
}

/// The catalogue as seen by the packager.
#[derive(Debug, Clone)]
pub struct CatalogueClient {
    http: Client,
    base: String,
    attempts: u32,
}

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

/// How long one rollback delete may take.
const DELETE_TIMEOUT: Duration = Duration::from_secs(30);

/// What was stored: the package descriptor's uuid and URL.
#[derive(Debug, Clone)]
pub struct Stored {
    pub package_uuid: String,
    pub location: String,
}

impl CatalogueClient {
    pub fn new(http: Client, base: &str, attempts: u32) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            attempts,
        }
    }

    /// Send a request, retrying connection failures (not answers) with a short backoff.
    async fn send(&self, make: impl Fn() -> RequestBuilder) -> Result<Response, StoreError> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match make().send().await {
                Ok(response) => return Ok(response),
                Err(e) if attempt >= self.attempts => {
                    return Err(StoreError::Unavailable {
                        url: self.base.clone(),
                        reason: e.to_string(),
                    })
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "catalogue unreachable, retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
            }
        }
    }

    async fn json_list(
        &self,
        route: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<Value>, StoreError> {
        let url = format!("{}/{route}", self.base);
        let response = self
            .send(|| {
                self.http
                    .get(&url)
                    .query(query)
                    .header("Accept", "application/json")
            })
            .await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(StoreError::Refused {
                what: format!("GET {route}"),
                status: status.as_u16(),
                body,
            });
        }
        Ok(serde_json::from_str::<Vec<Value>>(&body).unwrap_or_default())
    }

    /// The uuid of a stored package with this identity, if any.
    pub async fn existing_package(
        &self,
        record: &NapdRecord,
    ) -> Result<Option<String>, StoreError> {
        let (Some(v), Some(n), Some(ver)) = (&record.vendor, &record.name, &record.version) else {
            return Ok(None);
        };
        let list = self
            .json_list("packages", &[("vendor", v), ("name", n), ("version", ver)])
            .await?;
        Ok(list
            .first()
            .and_then(|p| p["uuid"].as_str())
            .map(str::to_owned))
    }

    /// Every VNF named from outside the package must already be in the catalogue.
    pub async fn check_outside(&self, outside: &[OutsideReference]) -> Result<(), StoreError> {
        for reference in outside {
            let vnf = &reference.vnf;
            let list = self
                .json_list(
                    "vnfs",
                    &[
                        ("vendor", &vnf.vendor),
                        ("name", &vnf.name),
                        ("version", &vnf.version),
                    ],
                )
                .await?;
            if list.is_empty() {
                return Err(StoreError::MissingVnf {
                    nsd: reference.nsd.clone(),
                    vnf: vnf.to_string(),
                });
            }
        }
        Ok(())
    }

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

    async fn send_json(
        &self,
        route: &str,
        query: &[(&str, String)],
        body: &Value,
    ) -> Result<Response, StoreError> {
        let url = format!("{}/{route}", self.base);
        self.send(|| {
            self.http
                .post(&url)
                .query(query)
                .header("Accept", "application/json")
                .json(body)
        })
        .await
    }

    async fn post_file(
        &self,
        route: &str,
        query: &[(&str, String)],
        path: &Path,
        content_type: &str,
        file_name: Option<&str>,
        what: &str,
    ) -> Result<String, StoreError> {
        let url = format!("{}/{route}", self.base);
        let response = self
            .send(|| {
                let mut request = self
                    .http
                    .post(&url)
                    .query(query)
                    .header("Content-Type", content_type)
                    .header("Accept", "application/json");
                if let Some(name) = file_name {
                    request = request.header(
                        "Content-Disposition",
                        format!("attachment; filename={name}"),
                    );
                }
                request.body(file_body(path))
            })
            .await?;
        uuid_of(response, &format!("{what} ({route})")).await
    }

    async fn post_package_descriptor(
        &self,
        record: &NapdRecord,
        username: Option<&str>,
    ) -> Result<String, StoreError> {
        let mut descriptor =
            serde_json::to_value(record).map_err(|e| StoreError::Local(e.to_string()))?;
        if let Some(map) = descriptor.as_object_mut() {
            for key in ["metadata", "error", "error_code"] {
                map.remove(key);
            }
        }
        let response = self
            .send_json("packages", &user_query(username), &descriptor)
            .await?;
        if response.status() == StatusCode::CONFLICT {
            let body: Value = response.json().await.unwrap_or_default();
            return Err(StoreError::Duplicate {
                triple: record.triple().unwrap_or_default(),
                uuid: body["uuid"].as_str().unwrap_or_default().to_owned(),
            });
        }
        uuid_of(response, "the package descriptor").await
    }

    /// The archive the catalogue stored has the digest of the bytes that were uploaded.
    async fn check_stored_archive(&self, uuid: &str, sha256: &str) -> Result<(), StoreError> {
        let url = format!("{}/tgo-packages/{uuid}", self.base);
        let response = self
            .send(|| self.http.get(&url).header("Accept", "application/json"))
            .await?;
        let status = response.status();
        let record: Value = response.json().await.unwrap_or_default();
        match record["sha256"].as_str() {
            Some(stored) if stored.eq_ignore_ascii_case(sha256) => Ok(()),
            stored => Err(StoreError::Refused {
                what: format!("the archive (tgo-packages/{uuid})"),
                status: status.as_u16(),
                body: format!("stored sha256 {stored:?} differs from the uploaded {sha256}"),
            }),
        }
    }

    /// Undo in reverse order; a part another package also uses is only counted down.
    async fn roll_back(&self, created: &[(String, String)]) {
        for (route, uuid) in created.iter().rev() {
            let url = format!("{}/{route}/{uuid}", self.base);
            match self
                .send(|| self.http.delete(&url).timeout(DELETE_TIMEOUT))
                .await
            {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::error!(%url, status = %r.status(), "rollback delete refused"),
                Err(e) => tracing::error!(%url, error = %e, "rollback delete failed"),
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

fn user_query(username: Option<&str>) -> Vec<(&'static str, String)> {
    username
        .map(|u| vec![("username", u.to_owned())])
        .unwrap_or_default()
}

fn base_name(source: &str) -> &str {
    source.rsplit('/').next().unwrap_or(source)
}

/// A request body streamed from a file (never read whole into memory).
fn file_body(path: &Path) -> reqwest::Body {
    let path = path.to_path_buf();
    let stream = futures_util::stream::once(async move { tokio::fs::File::open(path).await })
        .map(|opened| match opened {
            Ok(file) => futures_util::future::Either::Left(tokio_util::io::ReaderStream::new(file)),
            Err(e) => {
                futures_util::future::Either::Right(futures_util::stream::once(async { Err(e) }))
            }
        })
        .flatten();
    reqwest::Body::wrap_stream(stream)
}

use futures_util::StreamExt;

async fn uuid_of(response: Response, what: &str) -> Result<String, StoreError> {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(StoreError::Refused {
            what: what.to_owned(),
            status: status.as_u16(),
            body: body.chars().take(500).collect(),
        });
    }
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["uuid"].as_str().map(str::to_owned))
        .ok_or_else(|| StoreError::Refused {
            what: what.to_owned(),
            status: status.as_u16(),
            body: "no uuid in the answer".into(),
        })
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
