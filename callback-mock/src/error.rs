//! The one error type of the mock, mapped to HTTP here and nowhere else.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use shared_models::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("{0}")]
    BadRequest(String),
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    #[error("no route for {method} {path}")]
    NoRoute { method: String, path: String },
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("nothing matching arrived within {0} ms")]
    WaitTimeout(u128),
    #[error("injected failure (status {0})")]
    Injected(u16),
}

impl MockError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad-request",
            Self::TooLarge(_) => "payload-too-large",
            Self::NoRoute { .. } => "not-found",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::WaitTimeout(_) => "wait-timeout",
            Self::Injected(_) => "injected-failure",
        }
    }
}

impl ResponseError for MockError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NoRoute { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::WaitTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Injected(status) => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(ErrorBody::new(self.code(), self.to_string()))
    }
}

/// Turns actix extractor failures (bad JSON, bad query, oversized payload) into JSON errors.
pub fn extractor_error(err: impl std::fmt::Display, too_large: Option<usize>) -> actix_web::Error {
    match too_large {
        Some(limit) => MockError::TooLarge(limit).into(),
        None => MockError::BadRequest(err.to_string()).into(),
    }
}
