//! Calls to the services behind the gatekeeper.

pub mod catalogue;
pub mod packager;
pub mod proxy;

use actix_web::http::StatusCode;
use shared_models::ErrorBody;

use crate::error::ApiError;

/// Turns a non-2xx answer of `service` into an error: its 4xx pass through with its JSON
/// error (or a generic one), 503 keeps `Retry-After`, other 5xx become 502.
pub async fn error_from(service: &'static str, res: reqwest::Response) -> ApiError {
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = res.text().await.unwrap_or_default();
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        return ApiError::BadGateway {
            service,
            message: format!("{status}: {}", text.chars().take(300).collect::<String>()),
        };
    }
    let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| {
        let code = if status == StatusCode::SERVICE_UNAVAILABLE {
            format!("{service}-unavailable")
        } else {
            format!("{service}-rejected")
        };
        ErrorBody::new(code, format!("the {service} answered {status}"))
    });
    ApiError::Upstream {
        status,
        body,
        retry_after,
    }
}

/// A transport failure talking to `service`.
pub fn unreachable(service: &'static str, err: &reqwest::Error) -> ApiError {
    ApiError::Unavailable {
        service,
        message: err.to_string(),
    }
}
