//! `/files` (artifacts) and `/tgo-packages` (package archives): streamed up and down.

use actix_web::{delete, get, http::header, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;
use shared_models::BlobRecord;

use super::{download::blob_response, listing::list_response, param, parse_uuid, query_pairs};
use crate::{
    error::ApiError,
    format::{optional_request_format, render, response_format, Format},
    model::{BlobKind, Release, UploadMeta},
    query::Page,
    startup::AppState,
    storage::BlobFilter,
};

#[utoipa::path(
    tag = "blobs",
    params(("username" = Option<String>, Query), ("Content-Disposition" = String, Header, description = "attachment; filename=<name>")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "`{\"uuid\": ...}`: new content"),
        (status = 200, description = "`{\"uuid\": ...}`: the same content and name (pkg_ref counted up), or known content under a new name"),
        (status = 400, body = shared_models::ErrorBody), (status = 413, body = shared_models::ErrorBody), (status = 415, body = shared_models::ErrorBody),
    )
)]
#[post("/files")]
pub async fn upload_file(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    upload(BlobKind::File, &req, payload, &state).await
}

#[utoipa::path(
    tag = "blobs",
    params(("username" = Option<String>, Query), ("Content-Disposition" = String, Header, description = "attachment; filename=<name>")),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses(
        (status = 201, description = "`{\"uuid\": ...}`"),
        (status = 400, body = shared_models::ErrorBody), (status = 413, body = shared_models::ErrorBody), (status = 415, body = shared_models::ErrorBody),
    )
)]
#[post("/tgo-packages")]
pub async fn upload_tgo(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    upload(BlobKind::TgoPackage, &req, payload, &state).await
}

fn accepted_media_types(kind: BlobKind) -> &'static [&'static str] {
    match kind {
        BlobKind::File => &["application/octet-stream"],
        BlobKind::TgoPackage => &["application/zip", "application/x-zip-compressed"],
    }
}

/// `attachment; filename=<name>` (quotes optional) → the name, path included.
fn upload_file_name(req: &HttpRequest) -> Result<String, ApiError> {
    let missing = || {
        ApiError::bad_request(
            "missing-content-disposition",
            "HTTP Content-Disposition is missing",
        )
    };
    let raw = req
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let start = raw.find("filename=").ok_or_else(missing)? + "filename=".len();
    let rest = raw[start..].trim();
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(""),
        None => rest.split(';').next().unwrap_or("").trim(),
    };
    if name.is_empty() {
        return Err(missing());
    }
    Ok(name.to_owned())
}

async fn upload(
    kind: BlobKind,
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let accepted = accepted_media_types(kind);
    if !accepted.contains(&essence.as_str()) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type {content_type:?} not supported here: use {}",
            accepted.join(" or ")
        )));
    }
    let file_name = upload_file_name(req)?;
    let limit = state.config.max_upload_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let pairs = query_pairs(req)?;
    let meta = UploadMeta {
        file_name,
        username: param(&pairs, "username").map(str::to_owned),
        signature: req
            .headers()
            .get("Signature")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let body = payload
        .map(|chunk| chunk.map_err(|e| e.to_string()))
        .boxed_local();
    let started = std::time::Instant::now();
    let staged = state.store.save_stream(body, limit).await?;
    let saved_ms = started.elapsed().as_millis();
    let size = staged.digests.size;
    let stored = state
        .repo
        .store_upload(kind, staged, &meta, state.store.as_ref())
        .await?;
    tracing::info!(
        size,
        saved_ms,
        ms = started.elapsed().as_millis(),
        "upload stored"
    );
    let mut builder = if stored.new_content {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(builder.json(json!({ "uuid": stored.uuid })))
}

const FILTER_COLUMNS: [&str; 7] = [
    "uuid",
    "file_name",
    "md5",
    "sha256",
    "size",
    "pkg_ref",
    "username",
];

fn blob_filters(pairs: &[(String, String)]) -> Result<Vec<BlobFilter>, ApiError> {
    pairs
        .iter()
        .filter(|(k, _)| k != "page_number" && k != "page_size")
        .map(|(key, value)| {
            let key = if key == "package_name" {
                "file_name"
            } else {
                key.as_str()
            };
            let column = FILTER_COLUMNS
                .iter()
                .chain(["signature"].iter())
                .find(|c| **c == key)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid-query-field",
                        format!(
                            "{key:?} is not a filter here: use one of {}",
                            FILTER_COLUMNS.join(", ")
                        ),
                    )
                })?;
            Ok(BlobFilter {
                column,
                value: value.clone(),
            })
        })
        .collect()
}

fn page_of(pairs: &[(String, String)], state: &AppState) -> Result<Page, ApiError> {
    let defaults = crate::query::parse::PageDefaults {
        size: state.config.default_page_size,
        max_size: state.config.max_page_size,
    };
    let paging: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k == "page_number" || k == "page_size")
        .cloned()
        .collect();
    Ok(crate::query::parse_list_query(shared_models::DescriptorKind::Pd, &paging, &defaults)?.page)
}

async fn list_blobs(
    kind: BlobKind,
    req: &HttpRequest,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let format = response_format(req, optional_request_format(req)?);
    let pairs = query_pairs(req)?;
    let filters = blob_filters(&pairs)?;
    let page = page_of(&pairs, state)?;
    match state.repo.list_blobs(kind, &filters, page).await? {
        crate::query::Listing::Items { items, total } => {
            render(list_response(req, page, total), format, &items)
        }
        crate::query::Listing::Count(n) => render(
            HttpResponse::Ok(),
            format,
            &json!({ "count": n.to_string() }),
        ),
    }
}

#[utoipa::path(tag = "blobs", params(("page_number" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses((status = 200, body = Vec<BlobRecord>, description = "With `Record-Count` and `Link`")))]
#[get("/files")]
pub async fn list_files(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    list_blobs(BlobKind::File, &req, &state).await
}

#[utoipa::path(tag = "blobs", params(("page_number" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses((status = 200, body = Vec<BlobRecord>, description = "With `Record-Count` and `Link`")))]
#[get("/tgo-packages")]
pub async fn list_tgos(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    list_blobs(BlobKind::TgoPackage, &req, &state).await
}

/// Whether the client asked for the metadata rather than the bytes.
fn wants_metadata(req: &HttpRequest) -> Option<Format> {
    let named = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').find_map(Format::from_media_type))
    };
    named(header::ACCEPT).or_else(|| named(header::CONTENT_TYPE))
}

async fn get_blob(
    kind: BlobKind,
    req: &HttpRequest,
    raw: &str,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid(raw)?;
    let record = state.repo.get_blob(kind, uuid).await?.ok_or_else(|| {
        ApiError::not_found(format!("The {} ID {uuid} does not exist", kind.label()))
    })?;
    match wants_metadata(req) {
        Some(format) => render(HttpResponse::Ok(), format, &record),
        None => blob_response(req, state, &record, kind.content_type()).await,
    }
}

#[utoipa::path(tag = "blobs", params(("uuid" = String, Path), ("Range" = Option<String>, Header)),
    responses(
        (status = 200, description = "The bytes (or the metadata with `Accept: application/json`)", body = BlobRecord),
        (status = 206, description = "A range of the bytes"),
        (status = 404, body = shared_models::ErrorBody), (status = 416, body = shared_models::ErrorBody),
    ))]
#[get("/files/{uuid}")]
pub async fn get_file(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    get_blob(BlobKind::File, &req, &path, &state).await
}

#[utoipa::path(tag = "blobs", params(("uuid" = String, Path), ("Range" = Option<String>, Header)),
    responses(
        (status = 200, description = "The archive (or the metadata with `Accept: application/json`)", body = BlobRecord),
        (status = 206, description = "A range of the bytes"),
        (status = 404, body = shared_models::ErrorBody), (status = 416, body = shared_models::ErrorBody),
    ))]
#[get("/tgo-packages/{uuid}")]
pub async fn get_tgo(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    get_blob(BlobKind::TgoPackage, &req, &path, &state).await
}

async fn delete_blob(
    kind: BlobKind,
    raw: &str,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid(raw)?;
    let message = match state
        .repo
        .release_blob(kind, uuid, state.store.as_ref())
        .await?
    {
        None => {
            return Err(ApiError::not_found(format!(
                "The {} ID {uuid} does not exist",
                kind.label()
            )))
        }
        Some(Release::Removed) => format!(
            "{} removed",
            match kind {
                BlobKind::File => "File",
                BlobKind::TgoPackage => "tgo-package",
            }
        ),
        Some(Release::Decremented(n)) => format!("File referenced => {n}"),
    };
    Ok(HttpResponse::Ok().json(json!({ "OK": message })))
}

#[utoipa::path(tag = "blobs", params(("uuid" = String, Path)),
    responses((status = 200, description = "`{\"OK\": \"File removed\"}` or `{\"OK\": \"File referenced => n\"}`"), (status = 404, body = shared_models::ErrorBody)))]
#[delete("/files/{uuid}")]
pub async fn delete_file(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete_blob(BlobKind::File, &path, &state).await
}

#[utoipa::path(tag = "blobs", params(("uuid" = String, Path)),
    responses((status = 200, description = "`{\"OK\": \"tgo-package removed\"}`"), (status = 404, body = shared_models::ErrorBody)))]
#[delete("/tgo-packages/{uuid}")]
pub async fn delete_tgo(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete_blob(BlobKind::TgoPackage, &path, &state).await
}
