//! The root route, `/pings` and the health probes.

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::State;

/// `{"alive_since": "<rfc3339>"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ping {
    pub alive_since: String,
}

pub const ROOT_TEXT: &str = "This is the root route of the 5GTANGO Service Platform";

/// A plain-text greeting (clients use it as a reachability check).
#[utoipa::path(tag = "health", responses((status = 200, content_type = "text/plain")))]
#[get("")]
pub async fn root() -> HttpResponse {
    root_text().await
}

/// The greeting, also served at `/`.
pub async fn root_text() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(ROOT_TEXT)
}

/// Liveness with the start time.
#[utoipa::path(tag = "health", responses((status = 200, body = Ping)))]
#[get("/pings")]
pub async fn pings(state: State) -> HttpResponse {
    ping(state).await
}

/// The ping answer, also served at `/pings`.
pub async fn ping(state: State) -> HttpResponse {
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

/// Ready when the database answers.
#[utoipa::path(tag = "health", responses((status = 200), (status = 503)))]
#[get("/health/ready")]
pub async fn ready(state: State) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => HttpResponse::ServiceUnavailable().json(shared_models::ErrorBody::new(
            "database-unavailable",
            e.to_string(),
        )),
    }
}
