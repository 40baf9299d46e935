//! One member of a stored `.tgo`, byte for byte. Descriptors are stored in the catalogue as
//! parsed records, not as files, so their original bytes are read from the package archive:
//! the archive is streamed to an unnamed temp file, the member is copied out of it into a
//! second one, and that is streamed to the client. Nothing is held in memory.

use std::io::{Seek, SeekFrom};

use actix_web::HttpResponse;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::error::ApiError;
use crate::state::State;

/// Streams member `source` of the `.tgo` stored as `tgo-packages/<tgo_uuid>`.
pub async fn from_archive(
    state: &State,
    tgo_uuid: &str,
    source: &str,
    file_name: &str,
) -> Result<HttpResponse, ApiError> {
    let archive = download_archive(state, tgo_uuid).await?;
    let wanted = source.trim_start_matches("./").to_owned();
    let member = tokio::task::spawn_blocking(move || extract(archive, &wanted))
        .await
        .map_err(|e| ApiError::Internal(format!("extracting a member: {e}")))??;
    let Some((file, len)) = member else {
        return Err(ApiError::not_found(
            "file-not-found",
            format!("{source} is not in the package archive"),
        ));
    };
    let body = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", file_name.replace('"', "")),
        ))
        .no_chunking(len)
        .streaming(body))
}

async fn download_archive(state: &State, tgo_uuid: &str) -> Result<std::fs::File, ApiError> {
    let res = state
        .catalogue
        .get(&format!("tgo-packages/{tgo_uuid}"), "application/zip", None)
        .await?;
    if !res.status().is_success() {
        return Err(crate::upstream::error_from("catalogue", res).await);
    }
    let file = tempfile::tempfile().map_err(io_error)?;
    let mut out = tokio::fs::File::from_std(file.try_clone().map_err(io_error)?);
    let mut written: u64 = 0;
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadGateway {
            service: "catalogue",
            message: format!("reading the package archive: {e}"),
        })?;
        written += chunk.len() as u64;
        if written > state.settings.max_upload_bytes {
            return Err(ApiError::Internal(
                "the stored archive exceeds the upload limit".into(),
            ));
        }
        out.write_all(&chunk).await.map_err(io_error)?;
    }
    out.flush().await.map_err(io_error)?;
    Ok(file)
}

/// Copies the member named `wanted` (also when the archive wraps everything in one top
/// folder) into a new temp file; `None` when there is no such member.
fn extract(
    mut archive: std::fs::File,
    wanted: &str,
) -> Result<Option<(std::fs::File, u64)>, ApiError> {
    archive.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| ApiError::BadGateway {
        service: "catalogue",
        message: format!("the stored package is not a readable zip: {e}"),
    })?;
    let suffix = format!("/{wanted}");
    let name = zip
        .file_names()
        .filter(|n| !n.starts_with("__MACOSX/"))
        .find(|n| *n == wanted || n.ends_with(&suffix))
        .map(str::to_owned);
    let Some(name) = name else {
        return Ok(None);
    };
    let mut entry = zip
        .by_name(&name)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut out = tempfile::tempfile().map_err(io_error)?;
    let len = std::io::copy(&mut entry, &mut out).map_err(io_error)?;
    out.seek(SeekFrom::Start(0)).map_err(io_error)?;
    Ok(Some((out, len)))
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(io_error)`
fn io_error(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("temporary file: {e}"))
}
