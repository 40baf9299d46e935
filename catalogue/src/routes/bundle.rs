//! `POST /packages/bundle`: a whole package in one request and one transaction (ADR-23).

use actix_multipart::{Field, Multipart};
use actix_web::{delete, http::header, post, web, HttpRequest, HttpResponse};
use futures_util::{StreamExt, TryStreamExt};
use shared_models::DescriptorKind;
use tokio::sync::oneshot;

use super::descriptors::parse_descriptor;
use crate::{
    blobstore::{
        slices::{Slice, Slicer},
        BlobDigests, StagedBlob,
    },
    bundle::{
        check_request_id, invalid, Bundle, BundleOutcome, Cancelled, FileBody, Manifest,
        ManifestPart, PartKind, StoredBundle,
    },
    error::ApiError,
    format::Format,
    model::{NewDescriptor, UploadMeta},
    startup::AppState,
};

/// Store a package with all its parts at once: nothing is stored unless everything is.
///
/// `multipart/form-data`, in this order: `manifest` (JSON: `username`, `package` — the package
/// descriptor —, `parts` — `{collection, content_index, platform?, file_name?, source?,
/// in_archive?}` per part —, and `archive` — `{file_name, sha256?}`), then one `part` per
/// manifest part (a descriptor as `application/json` or `application/x-yaml`, a file as
/// bytes) except the files that are `in_archive` (`{offset, length}`: a range of the archive,
/// stored once, ADR-31), then `archive` (the `.tgo`). The catalogue sets `package_content[content_index].uuid` of every
/// part and `package_file_uuid` in the stored package descriptor. NSDs, VNFDs and tests that
/// exist already are reused (`pkg_ref` counted up), as on their own routes.
#[utoipa::path(
    tag = "packages",
    request_body(content_type = "multipart/form-data", content = Object),
    responses(
        (status = 201, body = StoredBundle, description = "Stored: the package descriptor, the uuid of every part, the archive"),
        (status = 400, body = shared_models::ErrorBody, description = "`invalid-bundle`, `archive-digest-mismatch`, or a part's own error (named)"),
        (status = 409, body = shared_models::ErrorBody, description = "duplicate-package, with `uuid`, or bundle-cancelled (the manifest's `request_id` was cancelled or used); nothing stored"),
        (status = 413, body = shared_models::ErrorBody), (status = 415, body = shared_models::ErrorBody),
    )
)]
#[post("/packages/bundle")]
pub async fn store_bundle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(ApiError::UnsupportedMediaType(
            "a bundle is multipart/form-data".into(),
        ));
    }
    let mut form = Multipart::new(req.headers(), payload);
    let bundle = read_bundle(&mut form, &state).await?;
    match state
        .repo
        .store_bundle(bundle, state.store.as_ref())
        .await?
    {
        BundleOutcome::Stored(stored) => Ok(HttpResponse::Created().json(stored)),
        BundleOutcome::Duplicate(uuid) => Err(ApiError::DuplicatePackage(uuid)),
        BundleOutcome::Cancelled(id) => Err(ApiError::BundleCancelled(id)),
    }
}

/// What a cancel did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CancelAnswer {
    pub request_id: String,
    /// `before-store` (a bundle with this id will store nothing), `removed` (the package it
    /// had stored was deleted, `package_uuid`) or `already` (cancelled before, or its package
    /// deleted since).
    pub outcome: &'static str,
    pub package_uuid: Option<uuid::Uuid>,
}

/// Cancel the bundle sent with `request_id` (ADR-23): if it has not stored yet it never will;
/// if it has, its package is deleted (the cascade of `DELETE /packages/{uuid}`). Safe to
/// repeat. The packager calls it for a bundle whose process ran out of time.
#[utoipa::path(
    tag = "packages",
    params(("request_id" = String, Path, description = "the manifest's request_id")),
    responses(
        (status = 200, body = CancelAnswer),
        (status = 400, body = shared_models::ErrorBody, description = "invalid-bundle: not a request id"),
    )
)]
#[delete("/packages/bundle/{request_id}")]
pub async fn cancel_bundle(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let request_id = path.into_inner();
    check_request_id(&request_id)?;
    let (outcome, package_uuid) = match state.repo.cancel_bundle(&request_id).await? {
        Cancelled::BeforeStore => ("before-store", None),
        Cancelled::Already => ("already", None),
        Cancelled::Stored(uuid) => {
            let removed = state
                .repo
                .delete_package(uuid, state.store.as_ref())
                .await?;
            (
                if removed.is_some() {
                    "removed"
                } else {
                    "already"
                },
                Some(uuid),
            )
        }
    };
    Ok(HttpResponse::Ok().json(CancelAnswer {
        request_id,
        outcome,
        package_uuid,
    }))
}

/// Every part read, parsed or staged, in the manifest's order.
async fn read_bundle(form: &mut Multipart, state: &AppState) -> Result<Bundle, ApiError> {
    let manifest_bytes = read_small(next_field(form, "manifest").await?, state).await?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| invalid(format!("manifest: {e}")))?;
    manifest.check()?;
    let package = parse_descriptor(
        DescriptorKind::Pd,
        &serde_json::to_vec(&manifest.package).map_err(|e| invalid(e.to_string()))?,
        Format::Json,
        None,
        manifest.username.clone(),
        state,
    )?;
    let mut descriptors = Vec::new();
    let mut files = Vec::new();
    let mut in_archive = Vec::new();
    for part in &manifest.parts {
        match part.kind()? {
            PartKind::Descriptor(kind) => {
                let field = next_field(form, "part").await?;
                let new = read_descriptor_part(field, kind, part, &manifest, state).await?;
                descriptors.push((part.content_index, new));
            }
            PartKind::File => {
                let name = part.file_name.clone().or_else(|| part.source.clone());
                let meta = meta(name.unwrap_or_default(), &manifest)?;
                if part.in_archive.is_some() {
                    in_archive.push((part.content_index, meta));
                    continue;
                }
                let staged = stage(next_field(form, "part").await?, state).await?;
                files.push((part.content_index, FileBody::Staged(staged), meta));
            }
        }
    }
    let slices = manifest.slices();
    let (archive, sliced) =
        stage_archive(next_field(form, "archive").await?, &slices, state).await?;
    for ((content_index, meta), (slice, digests)) in
        in_archive.into_iter().zip(slices.iter().zip(sliced))
    {
        let body = FileBody::InArchive {
            digests,
            offset: slice.offset,
        };
        files.push((content_index, body, meta));
    }
    if let Some(expected) = &manifest.archive.sha256 {
        if !archive.digests.sha256.eq_ignore_ascii_case(expected) {
            return Err(ApiError::bad_request(
                "archive-digest-mismatch",
                format!(
                    "the archive's SHA-256 is {}, not {expected}",
                    archive.digests.sha256
                ),
            ));
        }
    }
    if form.try_next().await.map_err(bad_multipart)?.is_some() {
        return Err(invalid("nothing may follow the archive"));
    }
    let archive_meta = meta(manifest.archive.file_name.clone(), &manifest)?;
    Ok(Bundle {
        request_id: manifest.request_id.clone(),
        descriptors,
        files,
        archive: (archive, archive_meta),
        package,
    })
}

fn bad_multipart(e: impl std::fmt::Display) -> ApiError {
    invalid(format!("multipart: {e}"))
}

/// The next field, which must be called `name`.
async fn next_field(form: &mut Multipart, name: &str) -> Result<Field, ApiError> {
    let field = form
        .try_next()
        .await
        .map_err(bad_multipart)?
        .ok_or_else(|| invalid(format!("the bundle ends before its {name}")))?;
    if field.name() != Some(name) {
        return Err(invalid(format!(
            "expected a part named {name:?}, got {:?}",
            field.name().unwrap_or_default()
        )));
    }
    Ok(field)
}

/// A field of at most `max_descriptor_bytes`.
async fn read_small(mut field: Field, state: &AppState) -> Result<Vec<u8>, ApiError> {
    let limit = state.config.max_descriptor_bytes;
    let mut bytes = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(bad_multipart)? {
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit as u64));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn read_descriptor_part(
    field: Field,
    kind: DescriptorKind,
    part: &ManifestPart,
    manifest: &Manifest,
    state: &AppState,
) -> Result<NewDescriptor, ApiError> {
    let named = |e: ApiError| match e {
        ApiError::BadRequest { code, message } => ApiError::BadRequest {
            code,
            message: format!("{}: {message}", part.label()),
        },
        ApiError::UnsupportedMediaType(message) => {
            ApiError::UnsupportedMediaType(format!("{}: {message}", part.label()))
        }
        other => other,
    };
    let format = field
        .content_type()
        .and_then(|m| Format::from_media_type(m.essence_str()))
        .ok_or_else(|| {
            named(ApiError::UnsupportedMediaType(
                "a descriptor part is application/json or application/x-yaml".into(),
            ))
        })?;
    let bytes = read_small(field, state).await?;
    let username = manifest.username.clone();
    parse_descriptor(
        kind,
        &bytes,
        format,
        part.platform.as_deref(),
        username,
        state,
    )
    .map_err(named)
}

/// A file or the archive, streamed into the blob store's staging area while it is hashed.
async fn stage(field: Field, state: &AppState) -> Result<StagedBlob, ApiError> {
    let body = field
        .map(|chunk| chunk.map_err(|e| e.to_string()))
        .boxed_local();
    Ok(state
        .store
        .save_stream(body, state.config.max_upload_bytes)
        .await?)
}

/// The archive, staged as [`stage`] does, and the digests of its `slices` (the `in_archive`
/// files), computed on the same pass over its bytes.
async fn stage_archive(
    field: Field,
    slices: &[Slice],
    state: &AppState,
) -> Result<(StagedBlob, Vec<BlobDigests>), ApiError> {
    if slices.is_empty() {
        return Ok((stage(field, state).await?, Vec::new()));
    }
    let (done, result) = oneshot::channel();
    let body = futures_util::stream::unfold(
        (field, Slicer::new(slices), done),
        |(mut field, mut slicer, done)| async move {
            let chunk = match field.next().await {
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => return Some((Err(e.to_string()), (field, slicer, done))),
                None => {
                    let _ = done.send(slicer.finish());
                    return None;
                }
            };
            let fed = slicer.feed(&chunk).await.map(|()| chunk);
            Some((fed.map_err(|e| e.to_string()), (field, slicer, done)))
        },
    )
    .boxed_local();
    let staged = state
        .store
        .save_stream(body, state.config.max_upload_bytes)
        .await?;
    let size = staged.digests.size;
    if let Some(beyond) = slices.iter().find(|s| s.end().is_none_or(|end| end > size)) {
        return Err(invalid(format!(
            "the in_archive range of {} bytes at {} lies beyond the archive's {size} bytes",
            beyond.length, beyond.offset
        )));
    }
    let sliced = result.await.map_err(|_| {
        ApiError::Internal(anyhow::anyhow!("the archive's ranges were not hashed"))
    })??;
    Ok((staged, sliced))
}

fn meta(file_name: String, manifest: &Manifest) -> Result<UploadMeta, ApiError> {
    if file_name.is_empty() {
        return Err(invalid("a file or the archive has no file_name"));
    }
    Ok(UploadMeta {
        file_name,
        username: manifest.username.clone(),
        signature: None,
    })
}
