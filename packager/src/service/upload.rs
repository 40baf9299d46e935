//! Reading the multipart upload: the `package` part streams to a temporary file, counted
//! against the size limit; the small text fields are collected.

use std::{collections::HashMap, io::Write as _, path::PathBuf};

use actix_multipart::Multipart;
use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{
    error::ServiceError,
    spool_files::{SpoolFile, SpoolFiles},
};

/// Largest text field accepted.
const MAX_FIELD_BYTES: usize = 8 * 1024;
/// The package part is hashed and written in batches of this size: one write per batch
/// instead of per multipart chunk.
const SPOOL_BATCH: usize = 1024 * 1024;
/// Batches waiting for the writer: an upload holds at most this many plus the one being
/// gathered and the one being written.
const SPOOL_DEPTH: usize = 2;

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

/// Streams the package part into `path`, at most `limit` bytes; its SHA-256. The async
/// thread only gathers the part's chunks into batches; a blocking thread hashes and writes
/// each batch (handed over, not copied) while the next one is gathered.
async fn spool_part(
    field: &mut actix_multipart::Field,
    path: &std::path::Path,
    limit: u64,
) -> Result<String, ServiceError> {
    let io_error = |e: std::io::Error| ServiceError::Internal(e.to_string());
    let (batches, received) = mpsc::channel::<Bytes>(SPOOL_DEPTH);
    let path = path.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || hash_and_write(&path, received));
    let gathered = gather_batches(field, limit, &batches).await;
    // The writer ends before this returns, whatever happened: a file it still wrote to
    // could not be emptied for the next upload.
    drop(batches);
    let written = writer
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    gathered?;
    written.map_err(io_error)
}

/// Batches of [`SPOOL_BATCH`] bytes of the part, sent until it ends, the limit is passed or
/// the writer stopped (its error is the one to give).
async fn gather_batches(
    field: &mut actix_multipart::Field,
    limit: u64,
    batches: &mpsc::Sender<Bytes>,
) -> Result<(), ServiceError> {
    let mut seen = 0u64;
    let mut batch = BytesMut::with_capacity(SPOOL_BATCH);
    while let Some(chunk) = field
        .try_next()
        .await
        .map_err(|e| ServiceError::Upload(e.to_string()))?
    {
        seen += chunk.len() as u64;
        if seen > limit {
            return Err(ServiceError::TooLarge { limit });
        }
        batch.extend_from_slice(&chunk);
        if batch.len() >= SPOOL_BATCH {
            let full = std::mem::replace(&mut batch, BytesMut::with_capacity(SPOOL_BATCH));
            if batches.send(full.freeze()).await.is_err() {
                return Ok(());
            }
        }
    }
    let _ = batches.send(batch.freeze()).await;
    Ok(())
}

/// The blocking half of [`spool_part`]: every batch hashed and written, in order.
fn hash_and_write(
    path: &std::path::Path,
    mut batches: mpsc::Receiver<Bytes>,
) -> std::io::Result<String> {
    let mut file = std::fs::File::create(path)?;
    let mut digest = Sha256::new();
    while let Some(batch) = batches.blocking_recv() {
        digest.update(&batch);
        file.write_all(&batch)?;
    }
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
