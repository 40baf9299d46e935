//! Package-descriptor extras: its content list, one part's bytes, its status (catalogue.md §6).

use actix_web::{get, put, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use shared_models::DescriptorKind;

use super::{descriptors::not_found, download::blob_response, parse_uuid};
use crate::{
    error::ApiError,
    format::{
        optional_request_format, parse_document, read_limited, render, request_format,
        response_format,
    },
    model::{BlobKind, DescriptorRow},
    startup::AppState,
};

async fn package(state: &AppState, raw: &str) -> Result<DescriptorRow, ApiError> {
    let uuid = parse_uuid(raw)?;
    state
        .repo
        .get_descriptor(DescriptorKind::Pd, uuid)
        .await?
        .ok_or_else(|| not_found(DescriptorKind::Pd, uuid))
}

fn content(pd: &DescriptorRow) -> &[Value] {
    pd.body
        .get("package_content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

#[utoipa::path(tag = "packages", params(("uuid" = String, Path)),
    responses((status = 200, description = "The package's `package_content`"), (status = 404, body = shared_models::ErrorBody)))]
#[get("/packages/{uuid}/files")]
pub async fn package_files(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let format = response_format(&req, optional_request_format(&req)?);
    let pd = package(&state, &path).await?;
    render(HttpResponse::Ok(), format, &content(&pd))
}

#[utoipa::path(tag = "packages", params(("uuid" = String, Path), ("file_uuid" = String, Path)),
    responses((status = 200, description = "The bytes of one part"), (status = 404, body = shared_models::ErrorBody)))]
#[get("/packages/{uuid}/files/{file_uuid}")]
pub async fn package_file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pd = package(&state, &path.0).await?;
    let file_uuid = parse_uuid(&path.1)?;
    let record = state
        .repo
        .get_blob(BlobKind::File, file_uuid)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("File with {{uuid => {file_uuid}}} not found"))
        })?;
    let wanted = file_uuid.to_string();
    let content_type = content(&pd)
        .iter()
        .find(|entry| entry.get("uuid").and_then(Value::as_str) == Some(wanted.as_str()))
        .and_then(|entry| entry.get("content-type").and_then(Value::as_str))
        .unwrap_or("application/octet-stream")
        .to_owned();
    blob_response(&req, &state, &record, &content_type).await
}

#[utoipa::path(tag = "packages", params(("uuid" = String, Path)),
    request_body(content = Object, description = "`{\"status\": \"active\" | \"inactive\"}`"),
    responses((status = 200, description = "`{\"OK\": \"Status updated to <status>\"}`"), (status = 400, body = shared_models::ErrorBody), (status = 404, body = shared_models::ErrorBody)))]
#[put("/packages/{uuid}/status")]
pub async fn package_status(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid(&path)?;
    let in_format = request_format(&req)?;
    let limit = state.config.max_descriptor_bytes;
    let body = parse_document(&read_limited(payload, limit).await?, in_format, limit)?;
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("missing-field", "Status not specified"))?
        .to_ascii_lowercase();
    if status != "active" && status != "inactive" {
        return Err(ApiError::bad_request(
            "invalid-status",
            "Status should be active/inactive",
        ));
    }
    if !state
        .repo
        .set_status(DescriptorKind::Pd, uuid, &status)
        .await?
    {
        return Err(not_found(DescriptorKind::Pd, uuid));
    }
    let message = format!("Status updated to {status}");
    render(
        HttpResponse::Ok(),
        response_format(&req, Some(in_format)),
        &json!({ "OK": message }),
    )
}
