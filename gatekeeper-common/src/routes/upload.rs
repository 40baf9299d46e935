//! `POST /packages`: create the process, stream the package on to the packager, answer at once.

use actix_multipart::Multipart;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use shared_models::{ErrorBody, ProcessAccepted, ProcessId, ProcessState};
use tokio::sync::mpsc;

use crate::db::processes::{self, NewProcess};
use crate::db::{millis, now_ms};
use crate::error::ApiError;
use crate::state::{AppState, State};
use crate::upload_form::{self, PumpError, UploadFields};
use crate::upstream::packager::{self, PackagePart};
use crate::{auth, callback_url};

/// Upload a package (`.tgo`) for on-boarding.
///
/// Multipart form: `package` (file, required), optional `callback_url`, `layer`, `format`,
/// `skip_store`, `skip_validation`, `validation_level` (also accepted in the query string).
/// Put text fields before `package` so they are checked before anything is forwarded; of the
/// fields after it only `callback_url` is used.
#[utoipa::path(
    tag = "packages",
    request_body(content_type = "multipart/form-data", content = Object),
    responses(
        (status = 200, description = "Accepted; poll the status", body = ProcessAccepted),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)
    )
)]
#[post("/packages")]
pub async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    state: State,
) -> Result<HttpResponse, ApiError> {
    let username = auth::writer(&req, state.settings.auth.as_ref())?;
    check_media_type(&req)?;
    check_declared_length(&req, state.settings.max_upload_bytes)?;
    let mut fields = UploadFields::from_query(req.query_string());
    let mut multipart = Multipart::new(req.headers(), payload);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest(format!("bad multipart: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        if name != "package" {
            let value = upload_form::read_text(&mut field).await?;
            fields.set(&name, value);
            continue;
        }
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .ok_or(ApiError::MissingPackage)?;
        let checked_callback = fields
            .callback_url
            .as_deref()
            .map(|url| callback_url::check(url, &state.settings.callback_allowlist))
            .transpose()?;
        let content_type = field
            .content_type()
            .map(|m| m.essence_str().to_owned())
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let new = NewProcess {
            id: ProcessId::new_random(),
            username: username.clone(),
            callback_url: checked_callback,
            file_name: Some(file_name.clone()),
            deadline_ms: now_ms() + millis(state.settings.process_timeout),
        };
        processes::insert(&state.db, &new).await?;
        let part = PartToSend {
            field,
            file_name,
            content_type,
        };
        let forwarded = forward(&state, &new, fields.forwarded, part, &mut multipart).await;
        let trailing_callback = match forwarded {
            Ok(url) => url,
            Err(e) => {
                forget(&state, new.id).await;
                return Err(e);
            }
        };
        if let Some(url) = trailing_callback {
            processes::set_callback_url(&state.db, new.id, &url).await?;
        }
        return Ok(HttpResponse::Ok().json(ProcessAccepted {
            package_process_uuid: new.id.as_uuid(),
            status: ProcessState::Running,
            error_msg: None,
        }));
    }
    Err(ApiError::MissingPackage)
}

fn check_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(content_type.to_owned()))
    }
}

fn check_declared_length(req: &HttpRequest, limit: u64) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        // Allow some room for the multipart framing and the text fields.
        Some(len) if len > limit.saturating_add(1024 * 1024) => {
            Err(ApiError::PayloadTooLarge(limit))
        }
        _ => Ok(()),
    }
}

/// The client's package part, to be streamed on.
struct PartToSend {
    field: actix_multipart::Field,
    file_name: String,
    content_type: String,
}

/// Streams the package part to the packager while the request to it is in flight, then reads
/// the fields after the part before ending that request: a bad trailing `callback_url` aborts
/// it, so the packager keeps nothing. Returns the trailing `callback_url`, checked.
async fn forward(
    state: &AppState,
    process: &NewProcess,
    client_fields: Vec<(String, String)>,
    part: PartToSend,
    multipart: &mut Multipart,
) -> Result<Option<String>, ApiError> {
    let started = std::time::Instant::now();
    let (tx, rx) = mpsc::channel(8);
    let request = packager::forward(
        &state.internal_http,
        &state.settings.packager_url,
        packager_fields(state, process, client_fields),
        PackagePart {
            file_name: part.file_name,
            content_type: part.content_type,
            body: upload_form::channel_body(rx),
        },
    );
    let limit = state.settings.max_upload_bytes;
    let allowlist = &state.settings.callback_allowlist;
    let mut field = part.field;
    let sending = async move {
        let pumped = upload_form::pump(&mut field, &tx, limit).await;
        // The next field can only be read once this one is dropped.
        drop(field);
        let sent = match pumped {
            Ok(bytes) => read_trailing(process.id, multipart, allowlist)
                .await
                .map(|callback| (bytes, callback)),
            Err(PumpError::TooLarge(limit)) => Err(ApiError::PayloadTooLarge(limit)),
            Err(PumpError::Client(e)) => Err(ApiError::BadRequest(format!(
                "the upload was interrupted: {e}"
            ))),
        };
        if sent.is_err() {
            upload_form::abort(tx).await;
        }
        sent
    };
    let (accepted, (bytes, callback)) =
        drive(request, sending, state.settings.packager_answer_timeout).await?;
    if accepted.package_process_uuid != process.id.as_uuid() {
        tracing::warn!(ours = %process.id, theirs = %accepted.package_process_uuid,
            "the packager did not keep the process id");
    }
    tracing::info!(process = %process.id, bytes, ms = started.elapsed().as_millis(),
        "upload forwarded to the packager");
    Ok(callback)
}

/// Drives the packager request and the sending side together. A packager that refuses early
/// gives its answer; otherwise our own reason to abort comes first (it is why the request
/// failed). Once everything is sent the packager has `limit` to answer: one that never does
/// is unavailable, not a hang.
async fn drive<T>(
    request: impl std::future::Future<Output = Result<ProcessAccepted, ApiError>>,
    sending: impl std::future::Future<Output = Result<T, ApiError>>,
    limit: std::time::Duration,
) -> Result<(ProcessAccepted, T), ApiError> {
    tokio::pin!(request);
    tokio::pin!(sending);
    tokio::select! {
        // Sending first: it has finished (with its abort reason) before the packager request
        // can fail because of that abort.
        biased;
        sent = &mut sending => {
            let sent = sent?;
            let answer = tokio::time::timeout(limit, request).await.unwrap_or_else(|_| {
                Err(ApiError::Unavailable {
                    service: "packager",
                    message: format!("no answer within {limit:?} after the upload was sent"),
                })
            });
            Ok((answer?, sent))
        }
        answer = &mut request => {
            let accepted = answer?;
            Ok((accepted, sending.await?))
        }
    }
}

/// What the packager is told besides the package.
fn packager_fields(
    state: &AppState,
    process: &NewProcess,
    client_fields: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut form_fields = vec![
        ("package_process_uuid".to_owned(), process.id.to_string()),
        (
            "callback_url".to_owned(),
            state.settings.callback_url.clone(),
        ),
        (
            "username".to_owned(),
            process.username.clone().unwrap_or_default(),
        ),
    ];
    if !client_fields.iter().any(|(n, _)| n == "skip_store") {
        form_fields.push(("skip_store".to_owned(), "false".to_owned()));
    }
    form_fields.extend(client_fields);
    form_fields
}

/// The fields after the package part (curl's `-F package=@x -F callback_url=...`): only a
/// `callback_url` is used, checked against the allow-list.
async fn read_trailing(
    id: ProcessId,
    multipart: &mut Multipart,
    allowlist: &[String],
) -> Result<Option<String>, ApiError> {
    let trailing = upload_form::trailing_fields(multipart).await?;
    if !trailing.forwarded.is_empty() {
        tracing::warn!(process = %id, "fields after the package part are not forwarded");
    }
    trailing
        .callback_url
        .map(|url| callback_url::check(&url, allowlist))
        .transpose()
}

/// Removes the record of a process the packager never accepted.
async fn forget(state: &AppState, id: ProcessId) {
    if let Err(e) = processes::delete(&state.db, id).await {
        tracing::error!(process = %id, error = %e, "could not remove a failed upload's process");
    }
}
