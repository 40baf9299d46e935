//! PUT on descriptors: a status change, a package's archive link, or a new version.

use actix_web::{put, web, HttpRequest, HttpResponse};
use serde_json::json;
use shared_models::DescriptorKind;

use super::{collection_kind, descriptors::read_descriptor, param, parse_uuid, query_pairs};
use crate::{
    error::ApiError,
    format::{optional_request_format, render, request_format, response_format},
    identity::{missing_label, record_label},
    model::{BlobKind, DescriptorRow},
    startup::AppState,
};

pub const STATUSES: [&str; 3] = ["active", "inactive", "delete"];

/// `?status=` changes the status; `?sonp_uuid=` links a package to its archive; otherwise the
/// body is a new version, stored as a new record (the old one stays).
#[utoipa::path(
    tag = "descriptors",
    params(
        ("collection" = String, Path), ("uuid" = String, Path),
        ("status" = Option<String>, Query, description = "active | inactive | delete"),
        ("sonp_uuid" = Option<String>, Query, description = "packages only: the tgo-package uuid"),
    ),
    responses(
        (status = 200, description = "`{\"OK\": ...}` or the new version's record"),
        (status = 400, body = shared_models::ErrorBody),
        (status = 404, body = shared_models::ErrorBody),
    )
)]
#[put("/{collection}/{uuid}")]
pub async fn update_one(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = collection_kind(&path.0)?;
    let uuid = parse_uuid(&path.1)?;
    let pairs = query_pairs(&req)?;
    let label = record_label(kind);
    if let Some(status) = pairs.iter().find(|(k, _)| k == "status").map(|(_, v)| v) {
        let format = response_format(&req, optional_request_format(&req)?);
        if !STATUSES.contains(&status.as_str()) {
            return Err(ApiError::bad_request(
                "invalid-status",
                format!("Invalid new status {status}"),
            ));
        }
        if !state.repo.set_status(kind, uuid, status).await? {
            return Err(ApiError::not_found(format!("This {label} does not exists")));
        }
        let message = format!("Status updated to {{{}}}", req.query_string());
        return render(HttpResponse::Ok(), format, &json!({ "OK": message }));
    }
    if kind == DescriptorKind::Pd {
        if let Some(sonp) = param(&pairs, "sonp_uuid") {
            return link_archive(&req, uuid, sonp, &state).await;
        }
    }
    let old = state
        .repo
        .get_descriptor(kind, uuid)
        .await?
        .ok_or_else(|| super::descriptors::not_found(kind, uuid))?;
    new_version(&req, kind, &pairs, old, payload, &state).await
}

async fn link_archive(
    req: &HttpRequest,
    uuid: uuid::Uuid,
    sonp: &str,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let missing = || ApiError::not_found("Submitted son-package UUID not exists");
    let tgo = uuid::Uuid::parse_str(sonp).map_err(|_| missing())?;
    state
        .repo
        .get_blob(BlobKind::TgoPackage, tgo)
        .await?
        .ok_or_else(missing)?;
    if !state.repo.set_son_package(uuid, tgo).await? {
        return Err(super::descriptors::not_found(DescriptorKind::Pd, uuid));
    }
    let message = format!("PD updated with son-package uuid: {tgo}");
    render(
        HttpResponse::Ok(),
        response_format(req, None),
        &json!({ "OK": message }),
    )
}

/// A new version of the descriptor named by `?vendor=&name=&version=`.
#[utoipa::path(
    tag = "descriptors",
    params(("collection" = String, Path), ("vendor" = String, Query), ("name" = String, Query), ("version" = String, Query)),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200), (status = 400, body = shared_models::ErrorBody), (status = 404, body = shared_models::ErrorBody))
)]
#[put("/{collection}")]
pub async fn update_by_identity(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = collection_kind(&path)?;
    let pairs = query_pairs(&req)?;
    if pairs.is_empty() {
        return Err(ApiError::bad_request(
            "missing-field",
            "Update parameters are null",
        ));
    }
    let (vendor, name, version) = (
        param(&pairs, "vendor"),
        param(&pairs, "name"),
        param(&pairs, "version"),
    );
    let (Some(vendor), Some(name), Some(version)) = (vendor, name, version) else {
        return Err(ApiError::bad_request(
            "missing-field",
            "Update Vendor, Name and Version parameters are null",
        ));
    };
    let label = record_label(kind);
    let old = state
        .repo
        .find_by_identity(kind, vendor, name, version)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "The {label} Vendor {vendor}, Name {name}, Version {version} does not exist"
            ))
        })?;
    new_version(&req, kind, &pairs, old, payload, &state).await
}

async fn new_version(
    req: &HttpRequest,
    kind: DescriptorKind,
    pairs: &[(String, String)],
    old: DescriptorRow,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let in_format = request_format(req)?;
    let out_format = response_format(req, Some(in_format));
    let mut pairs = pairs.to_vec();
    if kind.has_platform() && param(&pairs, "platform").is_none() {
        pairs.push(("platform".into(), old.platform.clone()));
    }
    let new = read_descriptor(kind, &pairs, in_format, payload, state).await?;
    match state.repo.insert_new_version(new).await? {
        Some(row) => render(HttpResponse::Ok(), out_format, &row.into_record()),
        None => {
            let message = format!(
                "Duplicated {} Name, Vendor and Version",
                missing_label(kind)
            );
            render(HttpResponse::Ok(), out_format, &json!({ "OK": message }))
        }
    }
}
