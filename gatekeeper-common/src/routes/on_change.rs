//! `POST /packages/on-change`: the packager's callback.

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_models::{ErrorBody, OnChangeEvent, ProcessId, ProcessOutcome, ProcessState};
use utoipa::ToSchema;

use crate::db::outbox::{self, DeliveryView};
use crate::db::processes::{self, Finished, ProcessRecord};
use crate::error::ApiError;
use crate::outcome;
use crate::state::State;
use crate::upstream::packager;

/// The process record after the callback.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnChangeAnswer {
    #[schema(value_type = String, format = Uuid)]
    pub package_process_uuid: ProcessId,
    /// The stored event (with the gatekeeper's `package_location`).
    pub result: Option<OnChangeEvent>,
    /// The callbacks of this process and their delivery state.
    pub callbacks: Vec<DeliveryView>,
    /// True when the process had already finished (a repeated callback, or a timeout first).
    pub already_finished: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Receives the outcome of a process from the packager and fires the callbacks.
#[utoipa::path(
    tag = "packages",
    request_body = OnChangeEvent,
    responses(
        (status = 200, body = OnChangeAnswer),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody, description = "`service-token-required` (SONATA_SERVICE_TOKEN set)"),
        (status = 403, body = ErrorBody, description = "`service-token-invalid`")
    )
)]
#[post("/packages/on-change")]
pub async fn on_change(
    req: HttpRequest,
    body: web::Bytes,
    state: State,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.settings.service_token {
        let presented = req.headers().get(shared_models::SERVICE_TOKEN_HEADER);
        token.check(presented.map(|v| v.as_bytes()))?;
    }
    let event: OnChangeEvent = serde_json::from_slice(&body).map_err(|e| {
        let raw = String::from_utf8_lossy(&body);
        ApiError::InvalidEvent(format!(
            "{} ({e})",
            raw.chars().take(200).collect::<String>()
        ))
    })?;
    let id = ProcessId::from(event.package_process_uuid);
    let settings = &state.settings;
    let finished = processes::finish(
        &state.db,
        id,
        |record| {
            outcome::as_stored(
                event.clone(),
                record,
                &settings.public_collection("packages"),
            )
        },
        &settings.notify,
    )
    .await?;
    let (record, already_finished) = match finished {
        Finished::Now { record, .. } => (record, false),
        Finished::Already(record) => {
            tracing::warn!(process = %id, "a callback for a finished process was ignored");
            undo_late_success(&state, &record, &event).await;
            (record, true)
        }
        Finished::Unknown => {
            return Err(ApiError::not_found(
                "process-not-found",
                format!("Package processing UUID not found in event for {id}"),
            ))
        }
    };
    let callbacks = outbox::for_process(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(OnChangeAnswer {
        package_process_uuid: id,
        result: record.event,
        callbacks,
        already_finished,
        created_at: record.created_at,
        updated_at: record.updated_at,
    }))
}

/// A process the gatekeeper failed with `timeout` whose packager stored the package after all:
/// remove that package so the failure leaves nothing behind (decision 5). The on-change
/// endpoint is open without `SONATA_SERVICE_TOKEN`, so the package id is only trusted when the
/// packager's own status of the process names it.
async fn undo_late_success(state: &State, record: &ProcessRecord, event: &OnChangeEvent) {
    let timed_out = record.state == ProcessState::Failed
        && record.event.as_ref().and_then(OnChangeEvent::error_code) == Some("timeout");
    let claimed = event
        .package_id
        .as_deref()
        .filter(|_| timed_out && event.package_process_status == ProcessOutcome::Success);
    let Some(claimed) = claimed else {
        return;
    };
    let confirmed = packager::stored_package(
        &state.internal_http,
        &state.settings.packager_url,
        record.id,
        state.settings.packager_answer_timeout,
    )
    .await;
    if confirmed.as_deref() != Some(claimed) {
        tracing::warn!(process = %record.id, package = claimed,
            "a late success the packager does not confirm was ignored");
        return;
    }
    let Ok(package) = uuid::Uuid::parse_str(claimed) else {
        return;
    };
    match state.catalogue.delete(&format!("packages/{package}")).await {
        Ok(res) if res.status().is_success() || res.status() == reqwest::StatusCode::NOT_FOUND => {
            tracing::warn!(process = %record.id, %package, "removed a package stored after its process timed out");
        }
        Ok(res) => {
            tracing::error!(process = %record.id, %package, status = %res.status(), "could not remove a package stored after its process timed out");
        }
        Err(e) => {
            tracing::error!(process = %record.id, %package, error = %e, "could not remove a package stored after its process timed out");
        }
    }
}
