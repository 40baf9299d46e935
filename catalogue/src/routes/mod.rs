//! The HTTP API: registration, OpenAPI document and shared request helpers.

mod blobs;
mod bundle;
mod descriptors;
mod download;
mod health;
mod listing;
mod packages;
mod versions;

use actix_web::{web, HttpRequest};
use shared_models::DescriptorKind;
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::{error::ApiError, model::kind_from_route};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "5GTANGO catalogue",
        description = "Descriptors (network services, VNFs, tests, packages), artifacts and \
                       package archives. Every route is also served under /catalogues/api/v2."
    ),
    components(schemas(
        shared_models::ErrorBody,
        shared_models::CatalogueRecord,
        shared_models::BlobRecord
    ))
)]
struct ApiDoc;

pub fn api_doc() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Every API route; registration order matters (fixed paths before `/{collection}`).
pub fn register(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::pings)
        .service(health::live)
        .service(health::ready)
        .service(health::field_index)
        .service(blobs::upload_file)
        .service(blobs::upload_tgo)
        .service(blobs::list_files)
        .service(blobs::list_tgos)
        .service(blobs::get_file)
        .service(blobs::get_tgo)
        .service(blobs::delete_file)
        .service(blobs::delete_tgo)
        .service(bundle::store_bundle)
        .service(bundle::cancel_bundle)
        .service(packages::package_files)
        .service(packages::package_file)
        .service(packages::package_status)
        .service(descriptors::list)
        .service(descriptors::create)
        .service(versions::update_by_identity)
        .service(descriptors::delete_by_identity)
        .service(descriptors::get_one)
        .service(versions::update_one)
        .service(descriptors::delete_one);
}

/// The routes on a plain actix scope (the OpenAPI document is collected once, in startup).
pub fn register_plain(cfg: &mut web::ServiceConfig) {
    register(&mut ServiceConfig::new(cfg));
}

/// Liveness routes at the root too.
pub fn register_root(cfg: &mut web::ServiceConfig) {
    cfg.service(health::pings)
        .service(health::live)
        .service(health::ready);
}

pub fn parse_uuid(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::malformed_uuid(raw))
}

pub fn collection_kind(raw: &str) -> Result<DescriptorKind, ApiError> {
    kind_from_route(raw).ok_or_else(|| ApiError::not_found(format!("no collection {raw:?}")))
}

/// The query string as ordered pairs (a key without `=` has an empty value).
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::bad_request("invalid-query", e.to_string()))
}

/// The first non-empty value of a query parameter.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}
