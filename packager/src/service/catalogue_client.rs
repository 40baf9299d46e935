//! The catalogue as the packager talks to it (packager.md §5.1): lookups, uploads of parts with
//! a short bounded retry when it cannot be reached, the archive digest check, and deletes for a
//! rollback. The store sequence itself is in `store.rs`.

use std::time::Duration;

use package_format::{member::FileBytes, topology::OutsideReference};
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
    pub(super) base: String,
    attempts: u32,
}

/// How long one rollback delete may take.
const DELETE_TIMEOUT: Duration = Duration::from_secs(30);

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

    pub(super) async fn send_json(
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

    pub(super) async fn post_file(
        &self,
        route: &str,
        query: &[(&str, String)],
        bytes: &FileBytes,
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
                request.body(file_body(bytes))
            })
            .await?;
        uuid_of(response, &format!("{what} ({route})")).await
    }

    pub(super) async fn post_package_descriptor(
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
    pub(super) async fn check_stored_archive(
        &self,
        uuid: &str,
        sha256: &str,
    ) -> Result<(), StoreError> {
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
    pub(super) async fn roll_back(&self, created: &[(String, String)]) {
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

pub(super) fn user_query(username: Option<&str>) -> Vec<(&'static str, String)> {
    username
        .map(|u| vec![("username", u.to_owned())])
        .unwrap_or_default()
}

/// Bytes read from disk at a time for an upload body: one read on tokio's blocking pool per
/// chunk (its default of 4 KiB made a 1 GiB artifact a quarter of a million round trips).
const READ_CHUNK: usize = 1024 * 1024;

/// A request body streamed from a file, or from the range of the archive a member is (never
/// read whole into memory), or a small file held in memory (sent with its length).
fn file_body(bytes: &FileBytes) -> reqwest::Body {
    if let FileBytes::Memory(held) = bytes {
        return reqwest::Body::from(bytes::Bytes::from_owner(held.clone()));
    }
    let bytes = bytes.clone();
    let stream = futures_util::stream::once(open_bytes(bytes))
        .map(|opened| match opened {
            Ok(reader) => futures_util::future::Either::Left(
                tokio_util::io::ReaderStream::with_capacity(reader, READ_CHUNK),
            ),
            Err(e) => {
                futures_util::future::Either::Right(futures_util::stream::once(async { Err(e) }))
            }
        })
        .flatten();
    reqwest::Body::wrap_stream(stream)
}

/// A reader over exactly the bytes of the file.
async fn open_bytes(bytes: FileBytes) -> std::io::Result<tokio::io::Take<tokio::fs::File>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    match bytes {
        FileBytes::Path(path) => Ok(tokio::fs::File::open(path).await?.take(u64::MAX)),
        FileBytes::Member(member) => {
            let mut file = tokio::fs::File::open(&member.archive).await?;
            file.seek(std::io::SeekFrom::Start(member.offset)).await?;
            Ok(file.take(member.len))
        }
        FileBytes::Memory(_) => Err(std::io::Error::other("held in memory, not on disk")),
    }
}

use futures_util::StreamExt;

pub(super) async fn uuid_of(response: Response, what: &str) -> Result<String, StoreError> {
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
