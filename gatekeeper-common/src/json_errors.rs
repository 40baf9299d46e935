//! Makes every error response JSON: extractor failures, unknown routes and 405s included.

use actix_web::{
    dev::{ResourceDef, ServiceResponse},
    http::{
        header::{HeaderValue, CONTENT_TYPE},
        StatusCode,
    },
    middleware::{ErrorHandlerResponse, ErrorHandlers},
    web, HttpRequest, HttpResponse,
};
use shared_models::ErrorBody;

use crate::error::ApiError;

/// Middleware that rewrites non-JSON 4xx/5xx bodies into `{"error", "code"}`.
pub fn middleware<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(to_json)
}

fn to_json<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let body = ErrorBody::new(
        code_for(status),
        status.canonical_reason().unwrap_or("error"),
    );
    let (req, res) = res.into_parts();
    let text = serde_json::to_string(&body).unwrap_or_default();
    let mut res = res.set_body(text).map_into_boxed_body();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, res).map_into_right_body(),
    ))
}

fn code_for(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace(' ', "-")
}

/// The documented path templates, to tell an unknown path (404) from a wrong method (405).
pub struct KnownPaths(Vec<ResourceDef>);

impl KnownPaths {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        Self(
            api.paths
                .paths
                .keys()
                .map(|p| ResourceDef::new(p.as_str()))
                .collect(),
        )
    }

    fn knows(&self, path: &str) -> bool {
        let trimmed = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        self.0.iter().any(|def| def.is_match(trimmed))
    }
}

/// The default service: a JSON 405 when the path exists with other methods, else a JSON 404.
pub async fn no_route(
    req: HttpRequest,
    known: web::Data<KnownPaths>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path().to_owned();
    if known.knows(&path) {
        return Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            path,
        });
    }
    Err(ApiError::NoRoute(req.full_url().to_string()))
}

/// JSON errors for the `Json`, `Query` and `Path` extractors.
pub fn extractor_configs() -> (web::JsonConfig, web::QueryConfig, web::PathConfig) {
    (
        web::JsonConfig::default()
            .error_handler(|err, _| ApiError::BadRequest(err.to_string()).into()),
        web::QueryConfig::default()
            .error_handler(|err, _| ApiError::BadRequest(err.to_string()).into()),
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::BadRequest(err.to_string()).into()),
    )
}
