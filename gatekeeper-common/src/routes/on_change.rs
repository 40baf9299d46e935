//! `POST /packages/on-change`: the packager's callback.

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_models::{ErrorBody, OnChangeEvent, ProcessId};
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
        &settings.subscribers,
    )
    .await?;
    let (record, already_finished) = match finished {
        Finished::Now { record, .. } => (record, false),
        Finished::Already(record) => {
            tracing::warn!(process = %id, "a callback for a finished process was ignored");
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
