//! Reading the multipart upload: the `package` part streams to a temporary file, counted
//! against the size limit; the small text fields are collected.

use std::{collections::HashMap, path::PathBuf};

use actix_multipart::Multipart;
use bytes::BytesMut;
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{
    error::ServiceError,
    spool_files::{SpoolFile, SpoolFiles},
};

/// Largest text field accepted.
const MAX_FIELD_BYTES: usize = 8 * 1024;
/// The package part is hashed and written in batches of this size: one write (on tokio's
/// blocking pool, overlapping the hashing of the next batch) per batch instead of per
/// multipart chunk.
const SPOOL_BATCH: usize = 1024 * 1024;

/// An upload saved to disk, with its form fields.
#[derive(Debug)]
pub struct Upload {
    /// The spooled package, in the spool directory itself (a folder per upload cost a `mkdir`
    /// and an `rmdir` each): dropping it empties the file for the next upload.
    pub file: SpoolFile,
    pub path: PathBuf,
    pub file_name: String,
    /// SHA-256 (lower-case hex) of the package bytes, computed while they were written.
    pub sha256: String,
    pub fields: HashMap<String, String>,
}

/// Only the base name of what the client called the file; `temp_pkg.tgo` when it gave none.
fn safe_file_name(raw: Option<&str>) -> String {
    raw.and_then(|n| n.rsplit(['/', '\\']).next())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or("temp_pkg.tgo")
        .to_owned()
}

pub async fn read_upload(
    mut payload: Multipart,
    spool: &std::sync::Arc<SpoolFiles>,
    limit: u64,
) -> Result<Upload, ServiceError> {
    let mut saved: Option<(SpoolFile, String, String)> = None;
    let mut fields = HashMap::new();
    while let Some(mut field) = payload
        .try_next()
        .await
        .map_err(|e| ServiceError::Upload(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "package" {
            if saved.is_some() {
                return Err(ServiceError::InvalidField {
                    field: name,
                    reason: "given twice".into(),
                });
            }
            let file_name =
                safe_file_name(field.content_disposition().and_then(|d| d.get_filename()));
            // The client's name ends the spool file's, so its extension is still there.
            let file = spool
                .take(&file_name)
                .map_err(|e| ServiceError::Internal(format!("spool file: {e}")))?;
            let started = std::time::Instant::now();
            let sha256 = spool_part(&mut field, file.path(), limit).await?;
            tracing::info!(ms = started.elapsed().as_millis(), "package spooled");
            saved = Some((file, file_name, sha256));
        } else {
            let mut value = Vec::new();
            while let Some(chunk) = field
                .try_next()
                .await
                .map_err(|e| ServiceError::Upload(e.to_string()))?
            {
                value.extend_from_slice(&chunk);
                if value.len() > MAX_FIELD_BYTES {
                    return Err(ServiceError::InvalidField {
                        field: name,
                        reason: format!("longer than {MAX_FIELD_BYTES} bytes"),
                    });
                }
            }
            fields.insert(name, String::from_utf8_lossy(&value).into_owned());
        }
    }
    let (file, file_name, sha256) = saved.ok_or(ServiceError::MissingPackage)?;
    Ok(Upload {
        path: file.path().to_path_buf(),
        file,
        file_name,
        sha256,
        fields,
    })
}

/// Streams the package part into `path`, at most `limit` bytes; its SHA-256.
async fn spool_part(
    field: &mut actix_multipart::Field,
    path: &std::path::Path,
    limit: u64,
) -> Result<String, ServiceError> {
    let io_error = |e: std::io::Error| ServiceError::Internal(e.to_string());
    let mut file = tokio::fs::File::create(path).await.map_err(io_error)?;
    let mut written = 0u64;
    let mut digest = Sha256::new();
    let mut batch = BytesMut::with_capacity(SPOOL_BATCH);
    while let Some(chunk) = field
        .try_next()
        .await
        .map_err(|e| ServiceError::Upload(e.to_string()))?
    {
        written += chunk.len() as u64;
        if written > limit {
            return Err(ServiceError::TooLarge { limit });
        }
        batch.extend_from_slice(&chunk);
        if batch.len() >= SPOOL_BATCH {
            digest.update(&batch);
            file.write_all(&batch).await.map_err(io_error)?;
            batch.clear();
        }
    }
    digest.update(&batch);
    file.write_all(&batch).await.map_err(io_error)?;
    file.flush().await.map_err(io_error)?;
    Ok(hex::encode(digest.finalize()))
}

/// `true/1/on` and `false/0/""` (case-insensitive); anything else is a 400.
pub fn parse_bool(field: &str, value: Option<&String>) -> Result<bool, ServiceError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("0") | Some("off") => Ok(false),
        Some("true") | Some("1") | Some("on") => Ok(true),
        Some(other) => Err(ServiceError::InvalidField {
            field: field.to_owned(),
            reason: format!("{other:?} is not a boolean (true/1/on or false/0)"),
        }),
    }
}
