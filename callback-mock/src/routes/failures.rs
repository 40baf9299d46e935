//! Failure injection: `PUT`, `GET` and `DELETE /api/v1/failures`.

use actix_web::{delete, get, put, web, HttpResponse};

use super::State;
use crate::error::MockError;
use crate::failures::{FailureRequest, FailureView};

/// Makes the next `count` callbacks, or all callbacks for `duration_ms`, fail with `status`.
#[utoipa::path(
    tag = "failures",
    request_body = FailureRequest,
    responses((status = 200, body = FailureView), (status = 400, body = shared_models::ErrorBody))
)]
#[put("/api/v1/failures")]
pub async fn set(
    request: web::Json<FailureRequest>,
    state: State,
) -> Result<HttpResponse, MockError> {
    if !(400..=599).contains(&request.status) {
        return Err(MockError::BadRequest(format!(
            "status must be between 400 and 599, got {}",
            request.status
        )));
    }
    if request.count.is_none() && request.duration_ms.is_none() {
        return Err(MockError::BadRequest(
            "give `count`, `duration_ms` or both".to_owned(),
        ));
    }
    state.failures.set(&request);
    Ok(HttpResponse::Ok().json(state.failures.view()))
}

/// The failure plan in force.
#[utoipa::path(tag = "failures", responses((status = 200, body = FailureView)))]
#[get("/api/v1/failures")]
pub async fn show(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.failures.view())
}

/// Back to answering every callback with 200.
#[utoipa::path(tag = "failures", responses((status = 204)))]
#[delete("/api/v1/failures")]
pub async fn clear(state: State) -> HttpResponse {
    state.failures.clear();
    HttpResponse::NoContent().finish()
}
