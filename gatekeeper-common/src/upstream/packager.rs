//! Forwarding an upload to the packager as a streamed multipart request.

use reqwest::header::ACCEPT;
use reqwest::multipart::{Form, Part};
use shared_models::{OnChangeEvent, ProcessAccepted, ProcessId, ProcessOutcome};

use super::{error_from, unreachable};
use crate::error::ApiError;

/// The file part of a forwarded upload.
pub struct PackagePart {
    pub file_name: String,
    pub content_type: String,
    pub body: reqwest::Body,
}

/// POSTs `fields` then the package to the packager and reads its acceptance.
pub async fn forward(
    http: &reqwest::Client,
    packager_url: &str,
    fields: Vec<(String, String)>,
    package: PackagePart,
) -> Result<ProcessAccepted, ApiError> {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name, value);
    }
    let part = Part::stream(package.body)
        .file_name(package.file_name)
        .mime_str(&package.content_type)
        .or_else(|_| Part::bytes(Vec::new()).mime_str("application/octet-stream"))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let form = form.part("package", part);
    let res = http
        .post(packager_url)
        .header(ACCEPT, "application/json")
        .multipart(form)
        .send()
        .await
        .map_err(|e| unreachable("packager", &e))?;
    if !res.status().is_success() {
        return Err(error_from("packager", res).await);
    }
    res.json::<ProcessAccepted>()
        .await
        .map_err(|e| ApiError::BadGateway {
            service: "packager",
            message: format!("unreadable acceptance: {e}"),
        })
}

/// The package the packager says it stored for process `id` (`GET <packager>/status/<id>`),
/// if it reports a success; `None` for anything else, errors included.
pub async fn stored_package(
    http: &reqwest::Client,
    packager_url: &str,
    id: ProcessId,
    limit: std::time::Duration,
) -> Option<String> {
    let status = finished_event(http, packager_url, id, limit).await?;
    (status.package_process_status == ProcessOutcome::Success)
        .then_some(status.package_id)
        .flatten()
}

/// The packager's own outcome of process `id` (`GET <packager>/status/<id>`) once it has one.
/// `None` while the process runs there, when the packager does not know it (it restarted, or
/// the upload never reached it), and on any error or an answer about another process.
pub async fn finished_event(
    http: &reqwest::Client,
    packager_url: &str,
    id: ProcessId,
    limit: std::time::Duration,
) -> Option<OnChangeEvent> {
    let url = format!("{}/status/{id}", packager_url.trim_end_matches('/'));
    let asked = http
        .get(url)
        .header(ACCEPT, "application/json")
        .timeout(limit);
    // A running process answers `{package_process_uuid, status, error_msg}`, which is not an
    // event: it does not parse.
    let event: OnChangeEvent = asked
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?
        .json()
        .await
        .ok()?;
    (event.package_process_uuid == id.as_uuid()).then_some(event)
}
