//! A blob store in a local directory: `<root>/<sha[..2]>/<sha>`, staged in `<root>/tmp`.

use std::{
    io::{self, SeekFrom},
    path::{Path, PathBuf},
};

use futures_util::{
    future::{BoxFuture, LocalBoxFuture},
    stream, FutureExt, StreamExt,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::{
    is_sha256,
    lanes::{Ingest, Sink},
    BlobDigests, BlobError, BlobStore, ByteRange, ByteStream, EntryStream, OnDrop, StagedBlob,
    StoreEntry, UploadStream,
};

const READ_CHUNK: usize = 64 * 1024;
const STAGING: &str = "tmp";

/// Written bytes handed to the kernel's writeback at a time.
const WRITEBACK_STEP: u64 = 8 * 1024 * 1024;

/// The staged file, written by a blocking lane of the upload. Every [`WRITEBACK_STEP`] it
/// starts the writeback of what it wrote (without waiting for it), so that the disk works
/// while the upload still streams and the final `fsync` has little left to do.
struct FileSink {
    file: std::fs::File,
    written: u64,
    kicked: u64,
}

impl FileSink {
    fn new(file: std::fs::File) -> Self {
        Self {
            file,
            written: 0,
            kicked: 0,
        }
    }

    /// `POSIX_FADV_DONTNEED` starts the writeback of the dirty pages of the range (and drops
    /// the clean ones, which nobody reads back now); it does not wait.
    #[cfg(target_os = "linux")]
    fn kick_writeback(&mut self) {
        let len = std::num::NonZeroU64::new(self.written - self.kicked);
        let advice = rustix::fs::Advice::DontNeed;
        if let Err(err) = rustix::fs::fadvise(&self.file, self.kicked, len, advice) {
            tracing::debug!(%err, "fadvise failed");
        }
        self.kicked = self.written;
    }

    #[cfg(not(target_os = "linux"))]
    fn kick_writeback(&mut self) {}
}

impl Sink for FileSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        std::io::Write::write_all(&mut self.file, bytes)?;
        self.written += bytes.len() as u64;
        if self.written - self.kicked >= WRITEBACK_STEP {
            self.kick_writeback();
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let started = std::time::Instant::now();
        self.file.sync_all()?;
        tracing::debug!(ms = started.elapsed().as_millis(), "staged upload synced");
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

fn ignore_missing(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl LocalBlobStore {
    /// Opens (creating when needed) the store at `root`.
    pub async fn open(root: PathBuf) -> io::Result<Self> {
        tokio::fs::create_dir_all(root.join(STAGING)).await?;
        Ok(Self { root })
    }

    fn blob_path(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        if !is_sha256(sha256) {
            return Err(BlobError::Missing(sha256.to_owned()));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    fn temp_path(&self) -> PathBuf {
        self.root
            .join(STAGING)
            .join(format!("{}.part", uuid::Uuid::new_v4()))
    }

    async fn write_staged(
        &self,
        mut body: UploadStream<'_>,
        limit: u64,
        temp: &Path,
    ) -> Result<BlobDigests, BlobError> {
        let file = tokio::fs::File::create(temp).await?.into_std().await;
        let mut ingest = Ingest::new(limit, FileSink::new(file));
        while let Some(chunk) = body.next().await {
            ingest.push(&chunk.map_err(BlobError::Client)?).await?;
        }
        ingest.finish().await
    }

    /// Files directly in `dir` whose name passes `keep`, with their modification times.
    fn entries_in(dir: &Path, keep: fn(&str) -> bool) -> io::Result<Vec<StoreEntry>> {
        let mut found = Vec::new();
        let reader = match std::fs::read_dir(dir) {
            Ok(reader) => reader,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(found),
            Err(err) => return Err(err),
        };
        for entry in reader {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            if meta.is_file() && keep(&name) {
                found.push(StoreEntry {
                    key: name,
                    modified: meta.modified()?,
                });
            }
        }
        Ok(found)
    }

    fn all_blobs(root: &Path) -> io::Result<Vec<StoreEntry>> {
        let mut found = Vec::new();
        for shard in std::fs::read_dir(root)? {
            let shard = shard?;
            let name = shard.file_name().to_string_lossy().into_owned();
            if name.len() == 2 && shard.file_type()?.is_dir() {
                found.extend(Self::entries_in(&shard.path(), is_sha256)?);
            }
        }
        Ok(found)
    }

    /// Runs a directory walk on a blocking thread and streams its result.
    fn listing(
        &self,
        walk: impl FnOnce(PathBuf) -> io::Result<Vec<StoreEntry>> + Send + 'static,
    ) -> EntryStream<'_> {
        let root = self.root.clone();
        async move {
            let found = tokio::task::spawn_blocking(move || walk(root))
                .await
                .map_err(io::Error::other)??;
            Ok::<_, BlobError>(stream::iter(found.into_iter().map(Ok)))
        }
        .map(|result| match result {
            Ok(entries) => entries.boxed(),
            Err(err) => stream::once(async move { Err(err) }).boxed(),
        })
        .flatten_stream()
        .boxed()
    }
}

impl BlobStore for LocalBlobStore {
    fn save_stream<'a>(
        &'a self,
        body: UploadStream<'a>,
        limit: u64,
    ) -> LocalBoxFuture<'a, Result<StagedBlob, BlobError>> {
        async move {
            let temp = self.temp_path();
            let doomed = temp.clone();
            // Armed before the first byte: an error, or the future dropped midway, removes it.
            let guard = OnDrop::new(move || {
                if let Err(err) = ignore_missing(std::fs::remove_file(&doomed)) {
                    tracing::warn!(path = %doomed.display(), %err, "staged upload left behind");
                }
            });
            let digests = self.write_staged(body, limit, &temp).await?;
            Ok(StagedBlob::new(digests, temp.display().to_string(), guard))
        }
        .boxed_local()
    }

    fn commit(&self, mut staged: StagedBlob) -> BoxFuture<'_, Result<(), BlobError>> {
        async move {
            let target = self.blob_path(&staged.digests.sha256)?;
            if tokio::fs::try_exists(&target).await? {
                return Ok(()); // dropping `staged` removes the copy
            }
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            tokio::fs::rename(staged.key(), &target).await?;
            staged.disarm();
            Ok(())
        }
        .boxed()
    }

    fn open<'a>(
        &'a self,
        sha256: &'a str,
        range: Option<ByteRange>,
    ) -> BoxFuture<'a, Result<ByteStream, BlobError>> {
        async move {
            let path = self.blob_path(sha256)?;
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(file) => file,
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    return Err(BlobError::Missing(sha256.to_owned()))
                }
                Err(err) => return Err(err.into()),
            };
            let stream: ByteStream = match range {
                Some(range) => {
                    file.seek(SeekFrom::Start(range.start)).await?;
                    ReaderStream::with_capacity(file.take(range.length()), READ_CHUNK).boxed()
                }
                None => ReaderStream::with_capacity(file, READ_CHUNK).boxed(),
            };
            Ok(stream)
        }
        .boxed()
    }

    fn remove<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        async move {
            let path = self.blob_path(sha256)?;
            Ok(ignore_missing(tokio::fs::remove_file(path).await)?)
        }
        .boxed()
    }

    fn list(&self) -> EntryStream<'_> {
        self.listing(|root| Self::all_blobs(&root))
    }

    fn list_staged(&self) -> EntryStream<'_> {
        self.listing(|root| Self::entries_in(&root.join(STAGING), |_| true))
    }

    fn remove_staged<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        async move {
            let valid = !key.is_empty() && !key.contains(['/', '\\']) && key != "..";
            if !valid {
                return Err(BlobError::Missing(key.to_owned()));
            }
            let path = self.root.join(STAGING).join(key);
            Ok(ignore_missing(tokio::fs::remove_file(path).await)?)
        }
        .boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BlobError>> {
        async move {
            let probe = self.temp_path();
            tokio::fs::write(&probe, b"ok").await?;
            tokio::fs::remove_file(&probe).await?;
            Ok(())
        }
        .boxed()
    }
}
