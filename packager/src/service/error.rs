//! The service's errors and their one mapping to HTTP.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use shared_models::{ErrorBody, ServiceTokenError};

/// What a request to the packager can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("the request must be multipart/form-data")]
    NotMultipart,
    #[error("the multipart part `package` (the .tgo file) is missing")]
    MissingPackage,
    #[error("invalid field {field}: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("the upload is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the processing queue is full; retry later")]
    QueueFull,
    #[error("process {0} already exists")]
    ProcessExists(uuid::Uuid),
    #[error("package process not found: {0}")]
    ProcessNotFound(String),
    #[error("malformed process id {0:?}: expected a UUID")]
    MalformedId(String),
    #[error("unreadable upload: {0}")]
    Upload(String),
    #[error("{0}")]
    ServiceToken(#[from] ServiceTokenError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotMultipart => "unsupported-media-type",
            Self::MissingPackage => "missing-package",
            Self::InvalidField { .. } => "invalid-field",
            Self::TooLarge { .. } => "payload-too-large",
            Self::QueueFull => "queue-full",
            Self::ProcessExists(_) => "process-exists",
            Self::ProcessNotFound(_) => "not-found",
            Self::MalformedId(_) => "malformed-uuid",
            Self::Upload(_) => "bad-upload",
            Self::ServiceToken(e) => e.code(),
            Self::Internal(_) => "internal-error",
        }
    }
}

impl ResponseError for ServiceError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotMultipart => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MissingPackage
            | Self::InvalidField { .. }
            | Self::MalformedId(_)
            | Self::Upload(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::QueueFull => StatusCode::SERVICE_UNAVAILABLE,
            Self::ProcessExists(_) => StatusCode::CONFLICT,
            Self::ProcessNotFound(_) => StatusCode::NOT_FOUND,
            Self::ServiceToken(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::QueueFull) {
            response.insert_header(("Retry-After", "5"));
        }
        response.json(ErrorBody::new(self.code(), self.to_string()))
    }
}
