//! `GET /packages/status/{id}` (decisions 1 and 2).

use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_models::{ErrorBody, OnChangeEvent, ProcessAccepted, ProcessId};
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};

use super::parse_uuid;
use crate::db::processes::{self, ProcessRecord};
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

/// The query of a status request.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatusQuery {
    /// Seconds (fractions allowed) to hold the answer while the process is still running; it
    /// is answered as soon as the process finishes. Cut to `GATEKEEPER_STATUS_MAX_WAIT`.
    #[param(value_type = Option<f64>, minimum = 0)]
    pub wait: Option<String>,
}

/// How long a status request waits for its process to finish.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatusWait(Duration);

impl StatusWait {
    /// A non-negative number of seconds, cut to `max`.
    pub fn parse(raw: &str, max: Duration) -> Result<Self, ApiError> {
        let seconds: f64 = raw
            .trim()
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| {
                ApiError::InvalidField(format!(
                    "wait must be a non-negative number of seconds, got {raw:?}"
                ))
            })?;
        Ok(Self(Duration::from_secs_f64(
            seconds.min(max.as_secs_f64()),
        )))
    }
}

/// The status of an on-boarding process: the running shape, or the finished on-change event.
/// With `wait`, a running process's answer is held until it finishes or the wait is over.
#[utoipa::path(
    tag = "packages",
    params(("id" = String, Path, description = "package_process_uuid"), StatusQuery),
    responses(
        (status = 200, description = "Running (`RunningStatus`) or finished (`OnChangeEvent`)",
            body = OnChangeEvent),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
#[get("/packages/status/{id}")]
pub async fn status(
    path: web::Path<String>,
    query: web::Query<StatusQuery>,
    state: State,
) -> Result<HttpResponse, ApiError> {
    let id = ProcessId::from(parse_uuid("Process UUID", &path)?);
    let settings = &state.settings;
    let wait = match query.wait.as_deref() {
        Some(raw) => StatusWait::parse(raw, settings.status_max_wait)?.0,
        None => Duration::ZERO,
    };
    let record = if wait.is_zero() {
        find(&state, id).await?
    } else {
        wait_for_finish(&state, id, wait).await?
    };
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

async fn find(state: &State, id: ProcessId) -> Result<ProcessRecord, ApiError> {
    processes::find(&state.db, id)
        .await?
        .ok_or(ApiError::ProcessNotFound(id))
}

/// The process once it has finished, or as it is when `wait` is over, the gatekeeper stops,
/// or too many requests wait already.
async fn wait_for_finish(
    state: &State,
    id: ProcessId,
    wait: Duration,
) -> Result<ProcessRecord, ApiError> {
    let settings = &state.settings;
    let deadline = Instant::now() + wait;
    let Some(waiter) = state.db.waiters.join(id, settings.status_max_waiters) else {
        return find(state, id).await;
    };
    let mut shutdown = state.shutdown.clone();
    let mut stopping = *shutdown.borrow_and_update();
    loop {
        let woken = waiter.next_wake();
        let record = find(state, id).await?;
        let now = Instant::now();
        if record.event.is_some() || now >= deadline || stopping {
            return Ok(record);
        }
        // This gatekeeper's own finishes wake the request; another replica's are seen when
        // it reads again.
        let reread = deadline.min(now + settings.status_reread_interval);
        tokio::select! {
            () = woken => {}
            () = tokio::time::sleep_until(reread) => {}
            _ = shutdown.changed() => stopping = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_secs(10);

    #[test]
    fn waits_are_seconds_cut_to_the_maximum() {
        let parsed = |raw| StatusWait::parse(raw, MAX).map(|w| w.0);
        assert_eq!(parsed("0").unwrap(), Duration::ZERO);
        assert_eq!(parsed("2.5").unwrap(), Duration::from_millis(2500));
        assert_eq!(parsed("3600").unwrap(), MAX);
    }

    #[test]
    fn other_waits_are_refused() {
        for raw in ["-1", "soon", "", "NaN", "inf", "1s"] {
            let err = StatusWait::parse(raw, MAX).unwrap_err();
            assert_eq!(err.code(), "invalid-field", "{raw:?}");
        }
    }
}
