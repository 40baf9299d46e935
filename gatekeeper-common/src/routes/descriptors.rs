//! `/services` (NSDs) and `/functions` (VNFDs), from the catalogue.

use actix_web::{get, options, web, HttpRequest, HttpResponse};
use shared_models::ErrorBody;

use super::packages::{get_record, list_collection, preflight};
use super::parse_uuid;
use crate::error::ApiError;
use crate::state::State;

/// The network service descriptors (catalogue envelopes with `nsd` and `platform`).
#[utoipa::path(
    tag = "descriptors",
    params(("page_size" = Option<u32>, Query), ("page_number" = Option<u32>, Query)),
    responses((status = 200, body = [Object]), (status = 503, body = ErrorBody))
)]
#[get("/services")]
pub async fn services(req: HttpRequest, state: State) -> Result<HttpResponse, ApiError> {
    list_collection(&req, &state, "network-services", "services").await
}

/// One network service descriptor.
#[utoipa::path(
    tag = "descriptors",
    params(("uuid" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody))
)]
#[get("/services/{uuid}")]
pub async fn service(path: web::Path<String>, state: State) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid("Service UUID", &path)?;
    let missing = ApiError::not_found(
        "service-not-found",
        format!("No service with UUID '{uuid}' was found"),
    );
    get_record(&state, &format!("network-services/{uuid}"), missing).await
}

/// The virtual network function descriptors (envelopes with `vnfd` and `platform`).
#[utoipa::path(
    tag = "descriptors",
    params(("page_size" = Option<u32>, Query), ("page_number" = Option<u32>, Query)),
    responses((status = 200, body = [Object]), (status = 503, body = ErrorBody))
)]
#[get("/functions")]
pub async fn functions(req: HttpRequest, state: State) -> Result<HttpResponse, ApiError> {
    list_collection(&req, &state, "vnfs", "functions").await
}

/// One virtual network function descriptor.
#[utoipa::path(
    tag = "descriptors",
    params(("uuid" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody))
)]
#[get("/functions/{uuid}")]
pub async fn function(path: web::Path<String>, state: State) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid("Function UUID", &path)?;
    let missing = ApiError::not_found(
        "function-not-found",
        format!("No function with UUID '{uuid}' was found"),
    );
    get_record(&state, &format!("vnfs/{uuid}"), missing).await
}

/// CORS pre-flight.
#[utoipa::path(tag = "descriptors", responses((status = 200)))]
#[options("/services")]
pub async fn options_services() -> HttpResponse {
    preflight()
}

/// CORS pre-flight.
#[utoipa::path(tag = "descriptors", responses((status = 200)))]
#[options("/functions")]
pub async fn options_functions() -> HttpResponse {
    preflight()
}
