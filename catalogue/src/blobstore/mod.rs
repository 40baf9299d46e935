//! Where blob bytes live, behind one interface; content-addressed by SHA-256.

mod local;

use std::{io, path::PathBuf, sync::Arc};

use bytes::Bytes;
use futures_util::{future::LocalBoxFuture, stream::LocalBoxStream};

pub use local::LocalBlobStore;

use crate::config::BlobStoreUrl;

/// Digests and size of a blob, computed while it streamed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobDigests {
    pub sha256: String,
    pub md5: String,
    pub size: u64,
}

/// A blob written to a staging area, not yet at its content address. Dropping it without
/// `commit` removes the staged bytes.
#[derive(Debug)]
pub struct StagedBlob {
    pub digests: BlobDigests,
    temp: Option<PathBuf>,
}

impl StagedBlob {
    fn new(digests: BlobDigests, temp: PathBuf) -> Self {
        Self {
            digests,
            temp: Some(temp),
        }
    }

    /// Hands the staged path to the store (which then owns its clean-up).
    fn take_temp(&mut self) -> Option<PathBuf> {
        self.temp.take()
    }
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            if let Err(err) = std::fs::remove_file(&temp) {
                tracing::warn!(path = %temp.display(), %err, "could not remove a staged blob");
            }
        }
    }
}

/// A byte range, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// The number of bytes in the range (never zero).
    pub fn length(&self) -> u64 {
        self.end - self.start + 1
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("upload larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("upload interrupted: {0}")]
    Client(String),
    #[error("blob {0} is missing from the store")]
    Missing(String),
    #[error("blob store I/O: {0}")]
    Io(#[from] io::Error),
}

/// An upload body: chunks, or the client's error as text.
pub type UploadStream<'a> = LocalBoxStream<'a, Result<Bytes, String>>;
/// A download body.
pub type ByteStream = LocalBoxStream<'static, io::Result<Bytes>>;

pub trait BlobStore {
    /// Streams `body` into the staging area while hashing it; fails past `limit` bytes, and
    /// then leaves nothing behind.
    fn save_stream<'a>(
        &'a self,
        body: UploadStream<'a>,
        limit: u64,
    ) -> LocalBoxFuture<'a, Result<StagedBlob, BlobError>>;

    /// Moves a staged blob to its content address (a no-op when those bytes are there).
    fn commit(&self, staged: StagedBlob) -> LocalBoxFuture<'_, Result<(), BlobError>>;

    /// The bytes of a blob, or of a range of it.
    fn open<'a>(
        &'a self,
        sha256: &'a str,
        range: Option<ByteRange>,
    ) -> LocalBoxFuture<'a, Result<ByteStream, BlobError>>;

    /// Removes a blob (no error when it is already gone).
    fn remove<'a>(&'a self, sha256: &'a str) -> LocalBoxFuture<'a, Result<(), BlobError>>;

    /// Whether the store can be written to.
    fn health(&self) -> LocalBoxFuture<'_, Result<(), BlobError>>;
}

pub type SharedBlobStore = Arc<dyn BlobStore + Send + Sync>;

/// Opens the store a URL names.
pub async fn open_store(url: &BlobStoreUrl) -> anyhow::Result<SharedBlobStore> {
    match url {
        BlobStoreUrl::Local(dir) => Ok(Arc::new(LocalBlobStore::open(dir.clone()).await?)),
        BlobStoreUrl::S3 { bucket, .. } => anyhow::bail!(
            "CATALOGUE_BLOB_STORE s3://{bucket}/...: S3 blob storage is not yet supported; \
             use a local directory"
        ),
    }
}
