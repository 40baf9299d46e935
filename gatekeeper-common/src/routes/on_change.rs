//! `POST /packages/on-change`: the packager's callback.

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_models::{ErrorBody, OnChangeEvent, ProcessId, ProcessOutcome, ProcessState};
use utoipa::ToSchema;

use crate::db::outbox::{self, DeliveryView};
use crate::db::processes::{self, Finished, ProcessRecord};
use crate::error::ApiError;
use crate::state::{Settings, State};

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
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
#[post("/packages/on-change")]
pub async fn on_change(body: web::Bytes, state: State) -> Result<HttpResponse, ApiError> {
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
        |record| rewrite(event.clone(), record, settings),
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

/// A process already failed (timed out) whose packager stored the package after all: remove
/// that package so the failure leaves nothing behind in the catalogue (decision 5).
async fn undo_late_success(state: &State, record: &ProcessRecord, event: &OnChangeEvent) {
    let stored_late = record.state == ProcessState::Failed
        && event.package_process_status == ProcessOutcome::Success;
    let Some(package) = event.package_id.as_deref().filter(|_| stored_late) else {
        return;
    };
    let Ok(package) = uuid::Uuid::parse_str(package) else {
        return;
    };
    // Only a package stored after this upload began can be its late result.
    let path = format!("packages/{package}");
    let created = match state.catalogue.get_json(&path).await {
        Ok(Some(found)) => found
            .get("created_at")
            .and_then(serde_json::Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
        _ => None,
    };
    if created.is_none_or(|at| at < record.created_at) {
        return;
    }
    match state.catalogue.delete(&path).await {
        Ok(res) if res.status().is_success() || res.status() == reqwest::StatusCode::NOT_FOUND => {
            tracing::warn!(process = %record.id, %package, "removed a package stored after its process had failed");
        }
        Ok(res) => {
            tracing::error!(process = %record.id, %package, status = %res.status(), "could not remove a package stored after its process had failed");
        }
        Err(e) => {
            tracing::error!(process = %record.id, %package, error = %e, "could not remove a package stored after its process had failed");
        }
    }
}

/// The event as the gatekeeper stores and sends it: its own `package_location`, the upload
/// time as `created_at`, now as `updated_at`.
fn rewrite(mut event: OnChangeEvent, record: &ProcessRecord, settings: &Settings) -> OnChangeEvent {
    event.package_location = event
        .package_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .map(|id| format!("{}/{id}", settings.public_collection("packages")));
    event.created_at = record.created_at;
    event.updated_at = Utc::now();
    event
}
