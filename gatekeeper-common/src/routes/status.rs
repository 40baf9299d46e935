//! `GET /packages/status/{id}` (decisions 1 and 2).

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_models::{ErrorBody, OnChangeEvent, ProcessAccepted, ProcessId};
use utoipa::ToSchema;

use super::parse_uuid;
use crate::db::processes;
use crate::error::ApiError;
use crate::state::State;

/// The shape of a process that is still running: no `package_process_status` key.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunningStatus {
    #[serde(flatten)]
    pub accepted: ProcessAccepted,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The status of an on-boarding process: the running shape, or the finished on-change event.
#[utoipa::path(
    tag = "packages",
    params(("id" = String, Path, description = "package_process_uuid")),
    responses(
        (status = 200, description = "Running (`RunningStatus`) or finished (`OnChangeEvent`)",
            body = OnChangeEvent),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
#[get("/packages/status/{id}")]
pub async fn status(path: web::Path<String>, state: State) -> Result<HttpResponse, ApiError> {
    let id = ProcessId::from(parse_uuid("Process UUID", &path)?);
    let record = processes::find(&state.db, id)
        .await?
        .ok_or(ApiError::ProcessNotFound(id))?;
    if let Some(event) = record.event {
        return Ok(HttpResponse::Ok().json(event));
    }
    Ok(HttpResponse::Ok().json(RunningStatus {
        accepted: ProcessAccepted {
            package_process_uuid: id.as_uuid(),
            status: record.state,
            error_msg: None,
        },
        created_at: record.created_at,
        updated_at: record.updated_at,
    }))
}
