//! `/pings` and the health probes.

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::State;

/// `{"alive_since": "<rfc3339>"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ping {
    pub alive_since: String,
}

/// Liveness with the start time.
#[utoipa::path(tag = "health", responses((status = 200, body = Ping)))]
#[get("/pings")]
pub async fn pings(state: State) -> HttpResponse {
    HttpResponse::Ok().json(Ping {
        alive_since: state.alive_since.to_rfc3339(),
    })
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Ready to receive (the mock has no dependency).
#[utoipa::path(tag = "health", responses((status = 200)))]
#[get("/health/ready")]
pub async fn ready() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}
