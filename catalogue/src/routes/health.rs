//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::{error::ApiError, startup::AppState};

#[utoipa::path(tag = "health", responses((status = 200, description = "`{\"alive_since\": \"<rfc3339>\"}`")))]
#[get("/pings")]
pub async fn pings(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "alive_since": state.alive_since.to_rfc3339() }))
}

#[utoipa::path(tag = "health", responses((status = 200, description = "The process is up")))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[utoipa::path(tag = "health", responses(
    (status = 200, description = "Database and blob store reachable"),
    (status = 503, description = "A dependency is down", body = shared_models::ErrorBody)
))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.repo.health().await?;
    state
        .store
        .health()
        .await
        .map_err(|e| ApiError::Unavailable {
            what: "blob store",
            detail: e.to_string(),
        })?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ok", "database": "ok", "blob_store": "ok" })))
}

/// The field indexer's backlog (ADR-30).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FieldIndexState {
    /// `CATALOGUE_FIELD_INDEX`: whether field filters are answered from the index.
    pub enabled: bool,
    /// Descriptors written but not indexed yet; filters read their documents meanwhile.
    pub waiting: u64,
}

/// How far the field index is behind the writes: the number of descriptors waiting for the
/// indexer (0 once it has caught up).
#[utoipa::path(tag = "health", responses((status = 200, body = FieldIndexState)))]
#[get("/field-index")]
pub async fn field_index(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let waiting = state.repo.fields_waiting().await?;
    Ok(HttpResponse::Ok().json(FieldIndexState {
        enabled: state.config.field_index,
        waiting,
    }))
}
