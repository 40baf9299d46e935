//! The HTTP surface under `/api/v1`.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use package_format::ValidationLevel;
use shared_models::{ErrorBody, OnChangeEvent, ProcessAccepted, ProcessState};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{
    config::Config,
    error::ServiceError,
    registry::{Registry, StatusView},
    upload::{parse_bool, read_upload},
    worker::Job,
};

/// Shared by the handlers.
pub struct AppState {
    pub config: Config,
    pub registry: Registry,
    pub queue: mpsc::Sender<Job>,
    pub started: DateTime<Utc>,
    /// The files uploads are spooled into, in `config.temp_dir`.
    pub spool_files: std::sync::Arc<super::spool_files::SpoolFiles>,
}

fn is_multipart(request: &HttpRequest) -> bool {
    request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn declared_length(request: &HttpRequest) -> Option<u64> {
    request
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Upload a package; it is processed in the background.
#[utoipa::path(
    tag = "packages",
    request_body(content_type = "multipart/form-data", description = "`package` (file, required), `callback_url`, `username`, `layer`, `format`, `skip_store`, `skip_validation`, `validation_level`, `package_process_uuid`"),
    responses(
        (status = 200, body = ProcessAccepted, description = "accepted; processing runs in the background"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 503, body = ErrorBody, description = "queue full; see Retry-After"),
        (status = 401, body = ErrorBody, description = "`service-token-required` (SONATA_SERVICE_TOKEN set; all `/api/v1/packages*`)"),
        (status = 403, body = ErrorBody, description = "`service-token-invalid`"),
    )
)]
#[post("/packages")]
pub async fn upload_package(
    request: HttpRequest,
    payload: Multipart,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ServiceError> {
    if !is_multipart(&request) {
        return Err(ServiceError::NotMultipart);
    }
    let limit = state.config.max_upload_bytes;
    if declared_length(&request).is_some_and(|n| n > limit.saturating_add(64 * 1024)) {
        return Err(ServiceError::TooLarge { limit });
    }
    let slot = state
        .queue
        .clone()
        .try_reserve_owned()
        .map_err(|_| ServiceError::QueueFull)?;
    let upload = read_upload(payload, &state.spool_files, limit).await?;
    let fields = &upload.fields;
    let id = match fields
        .get("package_process_uuid")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(text) => Uuid::parse_str(text).map_err(|_| ServiceError::InvalidField {
            field: "package_process_uuid".into(),
            reason: format!("{text:?} is not a UUID"),
        })?,
        None => Uuid::new_v4(),
    };
    let level = requested_level(fields, state.config.default_level)?;
    let skip_store = parse_bool("skip_store", fields.get("skip_store"))?;
    if !state.registry.insert(id) {
        return Err(ServiceError::ProcessExists(id));
    }
    let job = Job {
        id,
        archive: upload.path.clone(),
        file_name: upload.file_name.clone(),
        sha256: upload.sha256.clone(),
        callback_url: fields.get("callback_url").cloned(),
        username: fields.get("username").cloned(),
        level,
        skip_store,
        spool: std::sync::Arc::new(upload.file),
    };
    slot.send(job);
    Ok(HttpResponse::Ok().json(ProcessAccepted {
        package_process_uuid: id,
        status: ProcessState::Running,
        error_msg: None,
    }))
}

fn requested_level(
    fields: &std::collections::HashMap<String, String>,
    default: ValidationLevel,
) -> Result<ValidationLevel, ServiceError> {
    if parse_bool("skip_validation", fields.get("skip_validation"))? {
        return Ok(ValidationLevel::Skip);
    }
    match fields
        .get("validation_level")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(text) => text.parse().map_err(|reason| ServiceError::InvalidField {
            field: "validation_level".into(),
            reason,
        }),
        None => Ok(default),
    }
}

/// The state of one process: the running shape, or the finished on-change event.
#[utoipa::path(
    tag = "packages",
    params(("uuid" = String, Path, description = "package_process_uuid")),
    responses(
        (status = 200, body = OnChangeEvent, description = "finished (while running: `{package_process_uuid, status, error_msg}`)"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
#[get("/packages/status/{uuid}")]
pub async fn process_status(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ServiceError> {
    let text = path.into_inner();
    let id = Uuid::parse_str(&text).map_err(|_| ServiceError::MalformedId(text.clone()))?;
    match state.registry.view(id) {
        Some(StatusView::Open(open)) => Ok(HttpResponse::Ok().json(open)),
        Some(StatusView::Finished(event)) => Ok(HttpResponse::Ok().json(event)),
        None => Err(ServiceError::ProcessNotFound(text)),
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProcessList {
    pub package_processes: Vec<ProcessAccepted>,
}

/// Every process the packager still remembers, oldest first.
#[utoipa::path(tag = "packages", responses((status = 200, body = ProcessList)))]
#[get("/packages/status")]
pub async fn all_statuses(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(ProcessList {
        package_processes: state.registry.all(),
    })
}

/// Liveness with the start time.
#[utoipa::path(tag = "health", responses((status = 200, description = "`{alive_since}`")))]
#[get("/pings")]
pub async fn pings(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"alive_since": state.started.to_rfc3339()}))
}

/// Liveness: the process answers.
#[utoipa::path(tag = "health", responses((status = 200, description = "`{status: ok}`")))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Ready when the spool directory is writable and the queue has room.
#[utoipa::path(tag = "health", responses(
    (status = 200, description = "`{spool, queue_has_room}`, both true"),
    (status = 503, description = "the spool directory is not writable or the queue is full"),
))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let spool_ok = tempfile::tempfile_in(&state.config.temp_dir).is_ok();
    let queue_ok = state.queue.capacity() > 0;
    let body = serde_json::json!({"spool": spool_ok, "queue_has_room": queue_ok});
    if spool_ok && queue_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Every route, under `/api/v1` and at the root (health); the OpenAPI document is collected from
/// this same registration.
pub fn register(config: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    config
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(upload_package)
                .service(all_statuses)
                .service(process_status)
                .service(pings),
        )
        .service(live)
        .service(ready);
}

/// The path templates of the OpenAPI document: a request no route took is a wrong method on
/// one of these (405), or an unknown path (404).
pub struct KnownPaths(Vec<actix_web::dev::ResourceDef>);

impl KnownPaths {
    pub fn of(api: &utoipa::openapi::OpenApi) -> Self {
        let templates = api.paths.paths.keys();
        Self(
            templates
                .map(|t| actix_web::dev::ResourceDef::new(t.as_str()))
                .collect(),
        )
    }
}

/// The default service: JSON 405 or 404 (decision 7).
pub async fn not_found(request: HttpRequest, known: web::Data<KnownPaths>) -> HttpResponse {
    let (method, path) = (request.method(), request.path());
    if known.0.iter().any(|template| template.is_match(path)) {
        return HttpResponse::MethodNotAllowed().json(ErrorBody::new(
            "method-not-allowed",
            format!("{method} is not allowed on {path}"),
        ));
    }
    HttpResponse::NotFound().json(ErrorBody::new(
        "not-found",
        format!("no route for {method} {path}"),
    ))
}
