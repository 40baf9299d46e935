//! Descriptor collections: list, create, get, delete (catalogue.md §5).

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde_json::json;
use shared_models::{CatalogueRecord, DescriptorKind};
use uuid::Uuid;

use super::{collection_kind, listing::list_response, param, parse_uuid, query_pairs};
use crate::{
    error::ApiError,
    format::{
        optional_request_format, parse_document, read_limited, render, request_format,
        response_format,
    },
    identity::{descriptor_md5, identify, platform_for, record_label},
    model::{NewDescriptor, Release},
    query::{parse::PageDefaults, parse_list_query, Listing},
    startup::AppState,
    storage::{CascadeReport, CreateOutcome, PartLists},
};

/// List a collection, filtered by the query language of catalogue.md §3.
#[utoipa::path(
    tag = "descriptors",
    params(
        ("collection" = String, Path, description = "network-services | vnfs | tests | packages"),
        ("page_number" = Option<u64>, Query, description = "from 0"),
        ("page_size" = Option<u64>, Query),
        ("version" = Option<String>, Query, description = "`last`: newest version per name and vendor"),
        ("count" = Option<String>, Query, description = "answer `{\"count\": \"<n>\"}`"),
    ),
    responses(
        (status = 200, body = Vec<CatalogueRecord>, description = "With `Record-Count` and `Link`"),
        (status = 400, body = shared_models::ErrorBody),
        (status = 415, body = shared_models::ErrorBody),
    )
)]
#[get("/{collection}")]
pub async fn list(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = collection_kind(&path)?;
    let format = response_format(&req, optional_request_format(&req)?);
    let defaults = PageDefaults {
        size: state.config.default_page_size,
        max_size: state.config.max_page_size,
    };
    let mut query = parse_list_query(kind, &query_pairs(&req)?, &defaults)?;
    query.field_index = state.config.field_index;
    match state.repo.list_descriptors(kind, &query).await? {
        Listing::Count(n) => render(
            HttpResponse::Ok(),
            format,
            &json!({ "count": n.to_string() }),
        ),
        Listing::Items { items, total } => {
            let records: Vec<CatalogueRecord> =
                items.into_iter().map(|r| r.into_record()).collect();
            render(list_response(&req, query.page, total), format, &records)
        }
    }
}

/// Create a descriptor from a raw JSON or YAML body.
#[utoipa::path(
    tag = "descriptors",
    params(
        ("collection" = String, Path, description = "network-services | vnfs | tests | packages"),
        ("username" = Option<String>, Query),
        ("platform" = Option<String>, Query, description = "5gtango (default) | osm | onap"),
    ),
    request_body(content = Object, content_type = "application/json", description = "the raw descriptor (or application/x-yaml)"),
    responses(
        (status = 201, body = CatalogueRecord, description = "Created"),
        (status = 200, body = CatalogueRecord, description = "An existing NSD/VNFD/test reused, pkg_ref counted up"),
        (status = 400, body = shared_models::ErrorBody),
        (status = 409, body = shared_models::ErrorBody, description = "duplicate-package, with `uuid`"),
        (status = 413, body = shared_models::ErrorBody),
        (status = 415, body = shared_models::ErrorBody),
    )
)]
#[post("/{collection}")]
pub async fn create(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = collection_kind(&path)?;
    let in_format = request_format(&req)?;
    let out_format = response_format(&req, Some(in_format));
    let pairs = query_pairs(&req)?;
    let new = read_descriptor(kind, &pairs, in_format, payload, &state).await?;
    match state.repo.create_descriptor(new).await? {
        CreateOutcome::Created(row) => {
            render(HttpResponse::Created(), out_format, &row.into_record())
        }
        CreateOutcome::Reused(row) => render(HttpResponse::Ok(), out_format, &row.into_record()),
        CreateOutcome::Duplicate(uuid) => Err(ApiError::DuplicatePackage(uuid)),
    }
}

/// Reads, parses and identifies a descriptor body.
pub async fn read_descriptor(
    kind: DescriptorKind,
    pairs: &[(String, String)],
    format: crate::format::Format,
    payload: web::Payload,
    state: &AppState,
) -> Result<NewDescriptor, ApiError> {
    let limit = state.config.max_descriptor_bytes;
    let bytes = read_limited(payload, limit).await?;
    let platform = param(pairs, "platform");
    let username = param(pairs, "username").map(str::to_owned);
    parse_descriptor(kind, &bytes, format, platform, username, state)
}

/// Parses and identifies a descriptor's bytes.
pub fn parse_descriptor(
    kind: DescriptorKind,
    bytes: &[u8],
    format: crate::format::Format,
    platform: Option<&str>,
    username: Option<String>,
    state: &AppState,
) -> Result<NewDescriptor, ApiError> {
    let body = parse_document(bytes, format, state.config.max_descriptor_bytes)?;
    let platform = platform_for(kind, platform)?;
    let identity = identify(kind, &body, &platform)?;
    Ok(NewDescriptor {
        kind,
        identity,
        md5: descriptor_md5(&body),
        body,
        username,
        index_fields: state.config.field_index,
    })
}

pub fn not_found(kind: DescriptorKind, uuid: Uuid) -> ApiError {
    ApiError::not_found(format!(
        "The {} ID {uuid} does not exist",
        record_label(kind)
    ))
}

#[utoipa::path(
    tag = "descriptors",
    params(("collection" = String, Path), ("uuid" = String, Path)),
    responses(
        (status = 200, body = CatalogueRecord),
        (status = 400, body = shared_models::ErrorBody, description = "malformed-uuid"),
        (status = 404, body = shared_models::ErrorBody),
    )
)]
#[get("/{collection}/{uuid}")]
pub async fn get_one(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = collection_kind(&path.0)?;
    let uuid = parse_uuid(&path.1)?;
    let format = response_format(&req, optional_request_format(&req)?);
    let row = state
        .repo
        .get_descriptor(kind, uuid)
        .await?
        .ok_or_else(|| not_found(kind, uuid))?;
    render(HttpResponse::Ok(), format, &row.into_record())
}

/// Delete one reference (NSD/VNFD/test) or a whole package (the cascade of §8).
#[utoipa::path(
    tag = "descriptors",
    params(("collection" = String, Path), ("uuid" = String, Path)),
    responses(
        (status = 200, description = "`{\"OK\": \"VNFD removed\"}`, `{\"OK\": \"VNFD referenced => 1\"}`, or for packages `{\"result\": {\"delete\": ..., \"cant_delete\": ...}}`"),
        (status = 404, body = shared_models::ErrorBody),
    )
)]
#[delete("/{collection}/{uuid}")]
pub async fn delete_one(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = collection_kind(&path.0)?;
    let uuid = parse_uuid(&path.1)?;
    delete_descriptor(&req, kind, uuid, &state).await
}

/// Delete by `?vendor=&name=&version=`.
#[utoipa::path(
    tag = "descriptors",
    params(("collection" = String, Path), ("vendor" = String, Query), ("name" = String, Query), ("version" = String, Query)),
    responses((status = 200), (status = 400, body = shared_models::ErrorBody), (status = 404, body = shared_models::ErrorBody))
)]
#[delete("/{collection}")]
pub async fn delete_by_identity(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = collection_kind(&path)?;
    let pairs = query_pairs(&req)?;
    let (vendor, name, version) = (
        param(&pairs, "vendor"),
        param(&pairs, "name"),
        param(&pairs, "version"),
    );
    let label = record_label(kind);
    let (Some(vendor), Some(name), Some(version)) = (vendor, name, version) else {
        return Err(ApiError::bad_request(
            "missing-field",
            format!("No {label} Vendor, Name, Version specified"),
        ));
    };
    let row = state
        .repo
        .find_by_identity(kind, vendor, name, version)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "The {label} Vendor {vendor}, Name {name}, Version {version} does not exist"
            ))
        })?;
    delete_descriptor(&req, kind, row.uuid, &state).await
}

async fn delete_descriptor(
    req: &HttpRequest,
    kind: DescriptorKind,
    uuid: Uuid,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let format = response_format(req, None);
    let label = record_label(kind);
    if kind == DescriptorKind::Pd {
        let report = state
            .repo
            .delete_package(uuid, state.store.as_ref())
            .await?
            .ok_or_else(|| not_found(kind, uuid))?;
        return render(HttpResponse::Ok(), format, &cascade_body(&report));
    }
    let message = match state.repo.release_descriptor(kind, uuid).await? {
        None => return Err(not_found(kind, uuid)),
        Some(Release::Removed) => format!("{label} removed"),
        Some(Release::Decremented(n)) => format!("{label} referenced => {n}"),
    };
    render(HttpResponse::Ok(), format, &json!({ "OK": message }))
}

fn cascade_body(report: &CascadeReport) -> serde_json::Value {
    let mut body = json!({
        "result": { "delete": &report.deleted, "cant_delete": PartLists::default() }
    });
    let nf = &report.not_found;
    if !(nf.vnfds.is_empty() && nf.nsds.is_empty() && nf.testds.is_empty() && nf.files.is_empty()) {
        body["not_found"] = json!(&report.not_found);
    }
    body
}
