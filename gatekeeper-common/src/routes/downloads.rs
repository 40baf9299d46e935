//! Byte-identical downloads: the original `.tgo` and single files of a package.

use actix_web::http::header::RANGE;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde_json::Value;
use shared_models::ErrorBody;
use uuid::Uuid;

use super::{members, parse_uuid};
use crate::error::ApiError;
use crate::state::State;
use crate::upstream::{error_from, proxy};

/// The package `.tgo` exactly as uploaded (`Range` supported).
#[utoipa::path(
    tag = "packages",
    params(("uuid" = String, Path)),
    responses(
        (status = 200, description = "application/zip bytes with Content-Disposition"),
        (status = 206, description = "A range"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
#[get("/packages/{uuid}/package-file")]
pub async fn package_file(
    req: HttpRequest,
    path: web::Path<String>,
    state: State,
) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid("Package UUID", &path)?;
    let pd = package_descriptor(&state, uuid).await?;
    let file_uuid = text(&pd, "package_file_uuid").ok_or_else(|| no_file(uuid))?;
    let file_name = text(&pd, "package_file_name").unwrap_or_else(|| format!("{uuid}.tgo"));
    download(
        &req,
        &state,
        &format!("tgo-packages/{file_uuid}"),
        &file_name,
        uuid,
    )
    .await
}

/// One file of a package, by the `uuid` of its `pd.package_content` entry.
#[utoipa::path(
    tag = "packages",
    params(("uuid" = String, Path), ("file_uuid" = String, Path)),
    responses(
        (status = 200, description = "The file's bytes with Content-Disposition"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
#[get("/packages/{uuid}/files/{file_uuid}")]
pub async fn package_content_file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: State,
) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid("Package UUID", &path.0)?;
    let file_uuid = parse_uuid("File UUID", &path.1)?;
    let pd = package_descriptor(&state, uuid).await?;
    let entry = pd
        .get("package_content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| e.get("uuid").and_then(Value::as_str) == Some(&file_uuid.to_string()))
        .ok_or_else(|| {
            ApiError::not_found(
                "file-not-found",
                format!("No file {file_uuid} in package UUID '{uuid}'"),
            )
        })?;
    let source = text(entry, "source");
    let file_name = source
        .as_deref()
        .and_then(|s| s.rsplit('/').next().map(str::to_owned))
        .unwrap_or_else(|| file_uuid.to_string());
    let stored = download(
        &req,
        &state,
        &format!("files/{file_uuid}"),
        &file_name,
        uuid,
    )
    .await;
    // Descriptors are catalogue records, not files: their bytes come from the archive.
    match (stored, source, text(&pd, "package_file_uuid")) {
        (Err(ApiError::NotFound { .. }), Some(source), Some(tgo)) => {
            members::from_archive(&state, &tgo, &source, &file_name).await
        }
        (stored, _, _) => stored,
    }
}

async fn package_descriptor(state: &State, uuid: Uuid) -> Result<Value, ApiError> {
    let record = state
        .catalogue
        .get_json(&format!("packages/{uuid}"))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "package-not-found",
                format!("No package with UUID '{uuid}' was found"),
            )
        })?;
    record
        .get("pd")
        .filter(|pd| pd.is_object())
        .cloned()
        .ok_or_else(|| no_file(uuid))
}

async fn download(
    req: &HttpRequest,
    state: &State,
    catalogue_path: &str,
    file_name: &str,
    package: Uuid,
) -> Result<HttpResponse, ApiError> {
    let range = req.headers().get(RANGE).map(|v| v.as_bytes());
    let res = state
        .catalogue
        .get(
            catalogue_path,
            "application/zip, application/octet-stream, */*;q=0.1",
            range,
        )
        .await?;
    if res.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(no_file(package));
    }
    if !res.status().is_success() {
        return Err(error_from("catalogue", res).await);
    }
    let mut head = proxy::response_head(&res);
    head.insert_header((
        "Content-Disposition",
        format!("attachment; filename=\"{}\"", file_name.replace('"', "")),
    ));
    Ok(proxy::stream_body(head, res))
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn no_file(package: Uuid) -> ApiError {
    ApiError::not_found(
        "file-not-found",
        format!("No package file for package UUID '{package}' was found"),
    )
}
