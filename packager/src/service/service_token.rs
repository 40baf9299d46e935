//! The shared service token (`SONATA_SERVICE_TOKEN`, docs/decisions.md): required on the
//! `/api/v1` endpoints except pings and the API documentation, sent on every outgoing call.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use shared_models::SERVICE_TOKEN_HEADER;

use super::{error::ServiceError, routes::AppState};

/// Whether `path` needs the token: everything under `/api/v1` but pings, docs and OpenAPI
/// (the root health checks are outside `/api/v1`).
pub fn guarded(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v1") else {
        return false;
    };
    let open = ["/pings", "/docs", "/openapi.json"];
    !open
        .iter()
        .any(|o| rest == *o || rest.starts_with(&format!("{o}/")))
}

/// Middleware: refuses a guarded request without the configured token (401) or with another
/// one (403) before any handler reads its body.
pub async fn require(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let token = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.config.service_token.clone());
    if let Some(token) = token.filter(|_| guarded(req.path())) {
        let presented = req.headers().get(SERVICE_TOKEN_HEADER);
        token
            .check(presented.map(|v| v.as_bytes()))
            .map_err(ServiceError::from)?;
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn only_pings_docs_and_openapi_stay_open_under_api_v1() {
        assert!(guarded("/api/v1/packages"));
        assert!(guarded("/api/v1/packages/status/x"));
        assert!(guarded("/api/v1/pingsx"));
        assert!(!guarded("/api/v1/pings"));
        assert!(!guarded("/api/v1/docs/index.html"));
        assert!(!guarded("/api/v1/openapi.json"));
        assert!(!guarded("/health/ready"));
    }
}
