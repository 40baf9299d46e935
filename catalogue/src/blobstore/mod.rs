//! Where blob bytes live, behind one interface; content-addressed by SHA-256.
//!
//! An upload streams into a staging area while it is hashed (`save_stream`), then moves to
//! its content address (`commit`) inside the database transaction that holds the blob row.

mod lanes;
mod local;
mod s3;
pub mod slices;

use std::{io, sync::Arc, time::SystemTime};

use bytes::Bytes;
use futures_util::{
    future::{BoxFuture, LocalBoxFuture},
    stream::{BoxStream, LocalBoxStream},
};

pub use local::LocalBlobStore;
pub use s3::S3BlobStore;

use crate::config::BlobStoreUrl;

/// Digests and size of a blob, computed while it streamed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobDigests {
    pub sha256: String,
    pub md5: String,
    pub size: u64,
}

type Cleanup = Box<dyn FnOnce() + Send + Sync>;

/// Runs a clean-up when dropped, unless disarmed: an upload whose future is dropped midway
/// (the client went away) leaves nothing behind.
struct OnDrop(Option<Cleanup>);

impl OnDrop {
    fn new(cleanup: impl FnOnce() + Send + Sync + 'static) -> Self {
        Self(Some(Box::new(cleanup)))
    }

    fn take(mut self) -> Cleanup {
        self.0.take().unwrap_or_else(|| Box::new(|| {}))
    }
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(cleanup) = self.0.take() {
            cleanup();
        }
    }
}

/// A blob written to a staging area, not yet at its content address. Dropping it without
/// `commit` removes the staged bytes.
pub struct StagedBlob {
    pub digests: BlobDigests,
    /// Where the store staged the bytes (a path or an object key).
    key: String,
    cleanup: Option<Cleanup>,
}

impl std::fmt::Debug for StagedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedBlob")
            .field("digests", &self.digests)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl StagedBlob {
    fn new(digests: BlobDigests, key: String, guard: OnDrop) -> Self {
        Self {
            digests,
            key,
            cleanup: Some(guard.take()),
        }
    }

    fn key(&self) -> &str {
        &self.key
    }

    /// The store took care of the staged bytes (moved or removed them).
    fn disarm(&mut self) {
        self.cleanup = None;
    }
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            cleanup();
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

/// Something in the store, with the time it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreEntry {
    /// The SHA-256 of a blob, or the key of a staged upload.
    pub key: String,
    pub modified: SystemTime,
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
    #[error("object store: {0}")]
    Remote(#[from] object_store::Error),
}

/// An upload body: chunks, or the client's error as text.
pub type UploadStream<'a> = LocalBoxStream<'a, Result<Bytes, String>>;
/// A download body.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;
/// A listing of the store.
pub type EntryStream<'a> = BoxStream<'a, Result<StoreEntry, BlobError>>;

pub trait BlobStore: Send + Sync {
    /// Streams `body` into the staging area while hashing it; fails past `limit` bytes, and
    /// then leaves nothing behind.
    fn save_stream<'a>(
        &'a self,
        body: UploadStream<'a>,
        limit: u64,
    ) -> LocalBoxFuture<'a, Result<StagedBlob, BlobError>>;

    /// Moves a staged blob to its content address (a no-op when those bytes are there).
    fn commit(&self, staged: StagedBlob) -> BoxFuture<'_, Result<(), BlobError>>;

    /// The bytes of a blob, or of a range of it.
    fn open<'a>(
        &'a self,
        sha256: &'a str,
        range: Option<ByteRange>,
    ) -> BoxFuture<'a, Result<ByteStream, BlobError>>;

    /// Removes a blob (no error when it is already gone).
    fn remove<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<(), BlobError>>;

    /// Every blob at its content address (`key` is the SHA-256).
    fn list(&self) -> EntryStream<'_>;

    /// Every staged upload (finished or not, committed or not).
    fn list_staged(&self) -> EntryStream<'_>;

    /// Removes a staged upload named by `list_staged`.
    fn remove_staged<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), BlobError>>;

    /// Whether the store can be written to.
    fn health(&self) -> BoxFuture<'_, Result<(), BlobError>>;
}

pub type SharedBlobStore = Arc<dyn BlobStore>;

/// Whether a name is a SHA-256 in lower-case hex (a content address).
pub fn is_sha256(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Opens the store a URL names.
pub async fn open_store(url: &BlobStoreUrl) -> anyhow::Result<SharedBlobStore> {
    match url {
        BlobStoreUrl::Local(dir) => Ok(Arc::new(LocalBlobStore::open(dir.clone()).await?)),
        BlobStoreUrl::S3 { bucket, prefix } => Ok(Arc::new(S3BlobStore::from_env(bucket, prefix)?)),
    }
}
