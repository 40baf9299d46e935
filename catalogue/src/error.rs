//! The one error type of the catalogue, mapped to HTTP here and nowhere else.

use actix_web::{http::StatusCode, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use shared_models::{ErrorBody, ServiceTokenError};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (`code` says how).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 404: the thing named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409: a package with this vendor/name/version exists already.
    #[error("Duplicate with Package ID => {0}")]
    DuplicatePackage(Uuid),
    /// 409: a bundle whose `request_id` was cancelled, or used already (ADR-23).
    #[error("bundle request {0} was cancelled or used already: nothing was stored")]
    BundleCancelled(String),
    /// 413: the body is larger than the configured limit.
    #[error("request body larger than the limit of {0} bytes")]
    PayloadTooLarge(u64),
    /// 415: the media type is not one this route accepts.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 416: the `Range` asked for lies outside the blob.
    #[error("range not satisfiable for a blob of {0} bytes")]
    RangeNotSatisfiable(u64),
    /// 401/403: a write without the service token, or with another one (ADR-21).
    #[error("{0}")]
    ServiceToken(#[from] ServiceTokenError),
    /// 503: the database or the blob store cannot be reached.
    #[error("{what} unavailable: {detail}")]
    Unavailable { what: &'static str, detail: String },
    /// 500: a bug or an unexpected storage failure (details are logged, not sent).
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn malformed_uuid(raw: &str) -> Self {
        Self::bad_request("malformed-uuid", format!("{raw:?} is not a UUID"))
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::NotFound(_) => "not-found",
            Self::DuplicatePackage(_) => "duplicate-package",
            Self::BundleCancelled(_) => "bundle-cancelled",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::RangeNotSatisfiable(_) => "range-not-satisfiable",
            Self::ServiceToken(e) => e.code(),
            Self::Unavailable { .. } => "service-unavailable",
            Self::Internal(_) => "internal-error",
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable {
                    what: "database",
                    detail: err.to_string(),
                }
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::blobstore::BlobError> for ApiError {
    fn from(err: crate::blobstore::BlobError) -> Self {
        use crate::blobstore::BlobError;
        match err {
            BlobError::TooLarge(limit) => Self::PayloadTooLarge(limit),
            BlobError::Client(message) => Self::bad_request("upload-interrupted", message),
            BlobError::Missing(sha) => Self::Internal(anyhow::anyhow!("blob {sha} is missing")),
            BlobError::Io(_) | BlobError::Remote(_) => Self::Unavailable {
                what: "blob store",
                detail: err.to_string(),
            },
        }
    }
}

/// The wire body: `{error, code}` plus the existing `uuid` on a duplicate.
#[derive(Serialize)]
struct WireError {
    #[serde(flatten)]
    body: ErrorBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<Uuid>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::DuplicatePackage(_) | Self::BundleCancelled(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::ServiceToken(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(source) = self {
            tracing::error!(error = ?source, "internal error");
        }
        let uuid = match self {
            Self::DuplicatePackage(uuid) => Some(*uuid),
            _ => None,
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Self::RangeNotSatisfiable(size) = self {
            response.insert_header(("Content-Range", format!("bytes */{size}")));
        }
        response.json(WireError {
            body: ErrorBody::new(self.code(), self.to_string()),
            uuid,
        })
    }
}

/// Error handler for actix's Query/Path/Json extractors: a JSON 400 instead of plain text.
pub fn extractor_error(err: impl std::fmt::Display, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("bad-request", err.to_string()).into()
}

/// Default service: any unknown route answers 404 JSON.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}
