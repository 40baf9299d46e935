//! What a user of the platform does, over HTTP: upload through the gatekeeper with a
//! callback URL at callback-mock, wait for the callback, read the status, download, delete.

use std::time::Duration;

use anyhow::Context;
use reqwest::{multipart, StatusCode};
use serde_json::Value;

use crate::session::Endpoints;

/// A finished on-boarding: the event delivered to the caller's callback URL.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub process_id: String,
    pub event: Value,
}

impl Outcome {
    /// `success` or `failed`.
    pub fn status(&self) -> &str {
        self.event["package_process_status"]
            .as_str()
            .unwrap_or("<none>")
    }

    /// `package_metadata.error_code` (empty on success).
    pub fn error_code(&self) -> &str {
        self.event["package_metadata"]["error_code"]
            .as_str()
            .unwrap_or("")
    }

    pub fn error(&self) -> &str {
        self.event["package_metadata"]["error"]
            .as_str()
            .unwrap_or("")
    }

    pub fn package_id(&self) -> Option<&str> {
        self.event["package_id"].as_str()
    }
}

/// Uploads `bytes` as `file_name` with the form `fields` (sent before the package part) and a
/// callback URL at callback-mock's `/callbacks/<tag>`; waits for that callback and checks that
/// the status endpoint tells the same.
pub async fn onboard(
    tp: &Endpoints,
    bytes: Vec<u8>,
    file_name: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<Outcome> {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let path = format!("/callbacks/{tag}");
    let callback_url = format!("{}{path}", tp.callback_mock());
    let process_id = upload(tp, bytes, file_name, fields, &callback_url).await?;
    let delivered = wait_callback(tp, &path, Duration::from_secs(90)).await?;
    anyhow::ensure!(
        delivered["package_process_uuid"] == process_id.as_str(),
        "callback for another process: {delivered}"
    );
    let status = status(tp, &process_id).await?;
    anyhow::ensure!(
        status == delivered,
        "status and callback differ:\nstatus:   {status}\ncallback: {delivered}"
    );
    Ok(Outcome {
        process_id,
        event: delivered,
    })
}

/// `POST /api/v3/packages`; returns the process id of the 200 answer.
pub async fn upload(
    tp: &Endpoints,
    bytes: Vec<u8>,
    file_name: &str,
    fields: &[(&str, &str)],
    callback_url: &str,
) -> anyhow::Result<String> {
    let mut form = multipart::Form::new().text("callback_url", callback_url.to_owned());
    for (key, value) in fields {
        form = form.text((*key).to_owned(), (*value).to_owned());
    }
    let part = multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str("application/zip")?;
    let response = tp
        .http
        .post(format!("{}/packages", tp.gatekeeper()))
        .multipart(form.part("package", part))
        .send()
        .await?;
    let code = response.status();
    let body: Value = response.json().await.context("upload answer is not JSON")?;
    anyhow::ensure!(code == StatusCode::OK, "upload answered {code}: {body}");
    anyhow::ensure!(body["status"] == "running", "upload answer: {body}");
    body["package_process_uuid"]
        .as_str()
        .map(str::to_owned)
        .context("no package_process_uuid")
}

/// The body of the first callback received on `path` (long-polls callback-mock).
pub async fn wait_callback(tp: &Endpoints, path: &str, timeout: Duration) -> anyhow::Result<Value> {
    let list = wait_callbacks(tp, path, 1, timeout).await?;
    Ok(list[0]["body"].clone())
}

/// The first `count` callbacks received on `path`, oldest first.
pub async fn wait_callbacks(
    tp: &Endpoints,
    path: &str,
    count: usize,
    timeout: Duration,
) -> anyhow::Result<Vec<Value>> {
    let response = tp
        .http
        .get(format!("{}/api/v1/received/wait", tp.callback_mock()))
        .query(&[
            ("path", path.to_owned()),
            ("count", count.to_string()),
            ("timeout_ms", timeout.as_millis().to_string()),
        ])
        .send()
        .await?;
    let code = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(
        code == StatusCode::OK,
        "no {count} callback(s) on {path} within {timeout:?}: {code} {body}"
    );
    body["callbacks"]
        .as_array()
        .cloned()
        .context("callbacks list missing")
}

/// The callbacks callback-mock accepted (answered with 2xx), oldest first; only those on
/// `path` when one is given.
pub async fn received(tp: &Endpoints, path: Option<&str>) -> anyhow::Result<Vec<Value>> {
    let mut request = tp
        .http
        .get(format!("{}/api/v1/received", tp.callback_mock()));
    if let Some(path) = path {
        request = request.query(&[("path", path)]);
    }
    let body: Value = request.send().await?.json().await?;
    body["callbacks"]
        .as_array()
        .cloned()
        .context("callbacks list missing")
}

/// `GET /api/v3/packages/status/{id}` (must answer 200).
pub async fn status(tp: &Endpoints, process_id: &str) -> anyhow::Result<Value> {
    let url = format!("{}/packages/status/{process_id}", tp.gatekeeper());
    let response = tp.http.get(url).send().await?;
    let code = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(code == StatusCode::OK, "status answered {code}: {body}");
    Ok(body)
}

/// `GET` a path below `/api/v3`: status and body bytes.
pub async fn get(tp: &Endpoints, path: &str) -> anyhow::Result<(StatusCode, Vec<u8>)> {
    let response = tp
        .http
        .get(format!("{}{path}", tp.gatekeeper()))
        .send()
        .await?;
    let code = response.status();
    Ok((code, response.bytes().await?.to_vec()))
}

/// The original archive of an on-boarded package.
pub async fn download(tp: &Endpoints, package_id: &str) -> anyhow::Result<Vec<u8>> {
    let (code, bytes) = get(tp, &format!("/packages/{package_id}/package-file")).await?;
    anyhow::ensure!(code == StatusCode::OK, "download of {package_id}: {code}");
    Ok(bytes)
}

/// `DELETE /api/v3/packages/{uuid}`; the status code.
pub async fn delete(tp: &Endpoints, package_id: &str) -> anyhow::Result<StatusCode> {
    let url = format!("{}/packages/{package_id}", tp.gatekeeper());
    Ok(tp.http.delete(url).send().await?.status())
}

/// Every package record the gatekeeper lists (one big page) and its `Record-Count`.
pub async fn list_packages(tp: &Endpoints) -> anyhow::Result<(Vec<Value>, Option<u64>)> {
    let response = tp
        .http
        .get(format!("{}/packages", tp.gatekeeper()))
        .query(&[("page_size", "1000"), ("page_number", "0")])
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == StatusCode::OK,
        "list answered {}",
        response.status()
    );
    let count = response
        .headers()
        .get("record-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: Value = response.json().await?;
    let records = body.as_array().cloned().context("list is not an array")?;
    Ok((records, count))
}
