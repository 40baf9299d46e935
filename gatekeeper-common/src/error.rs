//! The gatekeeper's one error type, mapped to HTTP here and nowhere else. Every error body is
//! `{"error": "...", "code": "kebab-code"}`.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use shared_models::{ErrorBody, ProcessId, ServiceTokenError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Just accepting multipart package files for now (got {0:?})")]
    UnsupportedMediaType(String),
    #[error("Package parameter is mandatory")]
    MissingPackage,
    #[error("{0}")]
    InvalidField(String),
    #[error("{what} {value} not valid")]
    MalformedUuid { what: &'static str, value: String },
    #[error("Event data not valid: {0}")]
    InvalidEvent(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("callback_url {0:?} is not a valid http(s) URL")]
    InvalidCallbackUrl(String),
    #[error("callback_url host {0:?} is not in the allow-list")]
    CallbackNotAllowed(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    ServiceToken(#[from] ServiceTokenError),
    #[error("No status found for {0} processing id")]
    ProcessNotFound(ProcessId),
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("Route {0} not found")]
    NoRoute(String),
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("upload larger than the limit of {0} bytes")]
    PayloadTooLarge(u64),
    /// An error answer of the packager or the catalogue, passed on with its status.
    #[error("{}", body.error)]
    Upstream {
        status: StatusCode,
        body: ErrorBody,
        retry_after: Option<String>,
    },
    #[error("the {service} is unreachable: {message}")]
    Unavailable {
        service: &'static str,
        message: String,
    },
    #[error("the {service} answered unexpectedly: {message}")]
    BadGateway {
        service: &'static str,
        message: String,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> String {
        match self {
            Self::UnsupportedMediaType(_) => "unsupported-media-type".into(),
            Self::MissingPackage => "missing-package".into(),
            Self::InvalidField(_) => "invalid-field".into(),
            Self::MalformedUuid { .. } => "malformed-uuid".into(),
            Self::InvalidEvent(_) => "invalid-event".into(),
            Self::BadRequest(_) => "bad-request".into(),
            Self::InvalidCallbackUrl(_) => "invalid-callback-url".into(),
            Self::CallbackNotAllowed(_) => "callback-not-allowed".into(),
            Self::Unauthorized(_) => "unauthorized".into(),
            Self::Forbidden(_) => "forbidden".into(),
            Self::ServiceToken(e) => e.code().into(),
            Self::ProcessNotFound(_) => "process-not-found".into(),
            Self::NotFound { code, .. } => (*code).into(),
            Self::NoRoute(_) => "not-found".into(),
            Self::MethodNotAllowed { .. } => "method-not-allowed".into(),
            Self::PayloadTooLarge(_) => "payload-too-large".into(),
            Self::Upstream { body, .. } => body.code.clone(),
            Self::Unavailable { service, .. } => format!("{service}-unavailable"),
            Self::BadGateway { service, .. } => format!("{service}-error"),
            Self::Database(_) => "database-unavailable".into(),
            Self::Internal(_) => "internal-error".into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            message: message.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MissingPackage
            | Self::InvalidField(_)
            | Self::MalformedUuid { .. }
            | Self::InvalidEvent(_)
            | Self::BadRequest(_)
            | Self::InvalidCallbackUrl(_)
            | Self::CallbackNotAllowed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::ServiceToken(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::ProcessNotFound(_) | Self::NotFound { .. } | Self::NoRoute(_) => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Upstream { status, .. } => *status,
            Self::Unavailable { .. } | Self::Database(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(code = %self.code(), "{self}");
        }
        let mut builder = HttpResponse::build(status);
        match self {
            Self::Upstream {
                retry_after: Some(after),
                ..
            } => {
                builder.insert_header((header::RETRY_AFTER, after.as_str()));
            }
            Self::Unauthorized(_) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        builder.json(ErrorBody::new(self.code(), self.to_string()))
    }
}
