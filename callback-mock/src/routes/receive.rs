//! Receiving callbacks: `POST /api/v1/packages/on-change` and `POST /callbacks/{anything}`.

use std::collections::BTreeMap;

use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::State;
use crate::error::MockError;
use crate::store::ReceivedCallback;

/// What the mock answers to an accepted callback.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    /// The stored callback's `seq`.
    pub seq: u64,
    pub delivery_id: Option<String>,
}

/// The packager-style callback path.
#[utoipa::path(
    tag = "receive",
    request_body(content = Object, description = "Any JSON (typically an on-change event)"),
    responses(
        (status = 200, body = Receipt),
        (status = 413, body = shared_models::ErrorBody),
        (status = "5XX", description = "An injected failure", body = shared_models::ErrorBody)
    )
)]
#[post("/api/v1/packages/on-change")]
pub async fn on_change(
    req: HttpRequest,
    payload: web::Payload,
    state: State,
) -> Result<HttpResponse, MockError> {
    receive(&req, payload, &state).await
}

/// Any path below `/callbacks/`, so one mock can stand for several receivers.
#[utoipa::path(
    tag = "receive",
    params(("tail" = String, Path, description = "Anything")),
    request_body(content = Object, description = "Any JSON"),
    responses(
        (status = 200, body = Receipt),
        (status = 413, body = shared_models::ErrorBody),
        (status = "5XX", description = "An injected failure", body = shared_models::ErrorBody)
    )
)]
#[post("/callbacks/{tail:.*}")]
pub async fn any_callback(
    req: HttpRequest,
    payload: web::Payload,
    state: State,
) -> Result<HttpResponse, MockError> {
    receive(&req, payload, &state).await
}

async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    state: &State,
) -> Result<HttpResponse, MockError> {
    let raw = read_limited(payload, state.max_body_bytes).await?;
    let answered_status = state.failures.next_failure().unwrap_or(200);
    let stored = state.store.record(ReceivedCallback {
        seq: 0,
        received_at: chrono::Utc::now(),
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        headers: header_map(req),
        delivery_id: req
            .headers()
            .get("x-delivery-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: parse_body(&raw),
        answered_status,
    });
    tracing::info!(seq = stored.seq, path = %stored.path, status = answered_status, "callback");
    if answered_status != 200 {
        return Err(MockError::Injected(answered_status));
    }
    Ok(HttpResponse::Ok().json(Receipt {
        seq: stored.seq,
        delivery_id: stored.delivery_id,
    }))
}

async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, MockError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| MockError::BadRequest(format!("reading body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(MockError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn parse_body(raw: &[u8]) -> Value {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
}

fn header_map(req: &HttpRequest) -> BTreeMap<String, String> {
    req.headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}
