//! The catalogue as the packager talks to it (packager.md §5.1): lookups with a short bounded
//! retry when it cannot be reached, the package as one bundle (ADR-23), and the cancel of a
//! bundle that was cut, lost its answer or finished too late. The store sequence itself is in
//! `store.rs`.

use std::time::Duration;

use futures_util::StreamExt;
use package_format::{member::FileBytes, topology::OutsideReference};
use reqwest::{Client, RequestBuilder, Response, StatusCode};

use super::bundle::{BundleAnswer, BundleRequest};
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

/// How long one cancel of a bundle may take before it is retried in the background.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a cancel is retried while the catalogue cannot be reached.
const CANCEL_RETRY_FOR: Duration = Duration::from_secs(600);

impl CatalogueClient {
    pub fn new(http: Client, base: &str, attempts: u32) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            attempts,
        }
    }

    /// Send a request, retrying failures to get an answer (not answers) with a short backoff.
    async fn send(&self, make: impl Fn() -> RequestBuilder) -> Result<Response, StoreError> {
        self.send_retrying(|| Ok(make()), |_| true).await
    }

    /// Send a request built anew for each attempt, retrying the failures `retry` accepts
    /// (up to `attempts` tries, 0.2 s apart, doubling); any other failure, or the last, is
    /// `Unavailable`.
    async fn send_retrying(
        &self,
        make: impl Fn() -> Result<RequestBuilder, StoreError>,
        retry: impl Fn(&reqwest::Error) -> bool,
    ) -> Result<Response, StoreError> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match make()?.send().await {
                Ok(response) => return Ok(response),
                Err(e) if attempt < self.attempts && retry(&e) => {
                    tracing::warn!(attempt, error = %e, "catalogue unreachable, retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(e) => {
                    return Err(StoreError::Unavailable {
                        url: self.base.clone(),
                        reason: e.to_string(),
                    })
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

    /// The whole package in one request (ADR-23). It is sent again only when the catalogue
    /// could not be reached at all: a request cut later may have been stored.
    pub(super) async fn post_bundle(
        &self,
        request: &BundleRequest,
        record: &NapdRecord,
    ) -> Result<BundleAnswer, StoreError> {
        let url = format!("{}/packages/bundle", self.base);
        let what = "the package bundle";
        let build = || {
            Ok(self
                .http
                .post(&url)
                .header("Accept", "application/json")
                .multipart(request.form()?))
        };
        let response = self
            .send_retrying(build, reqwest::Error::is_connect)
            .await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if status == StatusCode::CONFLICT {
            let body: Value = serde_json::from_str(&body).unwrap_or_default();
            return Err(StoreError::Duplicate {
                triple: record.triple().unwrap_or_default(),
                uuid: body["uuid"].as_str().unwrap_or_default().to_owned(),
            });
        }
        if !status.is_success() {
            return Err(StoreError::Refused {
                what: what.to_owned(),
                status: status.as_u16(),
                body: body.chars().take(500).collect(),
            });
        }
        serde_json::from_str(&body).map_err(|e| StoreError::Refused {
            what: what.to_owned(),
            status: status.as_u16(),
            body: format!("unreadable answer: {e}"),
        })
    }

    /// Cancels bundle `request_id` (ADR-23): the catalogue stores nothing of it from now on,
    /// or deletes the package it stored (parts another package uses are only counted down).
    /// Tried once here; when the catalogue cannot be reached it is retried in the background
    /// for up to [`CANCEL_RETRY_FOR`].
    pub(super) async fn cancel_bundle(&self, request_id: &str) {
        if self.try_cancel(request_id).await.is_ok() {
            return;
        }
        let this = self.clone();
        let request_id = request_id.to_owned();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            let mut delay = Duration::from_secs(1);
            while started.elapsed() < CANCEL_RETRY_FOR {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
                if this.try_cancel(&request_id).await.is_ok() {
                    return;
                }
            }
            tracing::error!(%request_id, "bundle never cancelled: a late package may remain");
        });
    }

    async fn try_cancel(&self, request_id: &str) -> Result<(), ()> {
        let url = format!("{}/packages/bundle/{request_id}", self.base);
        let sent = self.http.delete(&url).timeout(CANCEL_TIMEOUT).send().await;
        match sent {
            Ok(r) if r.status().is_success() => {
                let answer: Value = r.json().await.unwrap_or_default();
                tracing::info!(%request_id, outcome = %answer["outcome"], "bundle cancelled");
                Ok(())
            }
            Ok(r) => {
                // An answer that is not a success will not change on a retry.
                tracing::error!(%url, status = %r.status(), "bundle cancel refused");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(%url, error = %e, "bundle cancel failed, retrying later");
                Err(())
            }
        }
    }
}

/// Bytes read from disk at a time for an upload body: one read on tokio's blocking pool per
/// chunk (its default of 4 KiB made a 1 GiB artifact a quarter of a million round trips).
const READ_CHUNK: usize = 1024 * 1024;

/// A request body streamed from a file, or from the range of the archive a member is (never
/// read whole into memory), or a small file held in memory (sent with its length).
pub(super) fn file_body(bytes: &FileBytes) -> reqwest::Body {
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
