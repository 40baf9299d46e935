//! A blob store in a local directory: `<root>/<sha[..2]>/<sha>`, staged in `<root>/tmp`.

use std::{
    io::{self, SeekFrom},
    path::{Path, PathBuf},
};

use futures_util::{future::LocalBoxFuture, FutureExt, StreamExt};
use md5::Md5;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use super::{BlobDigests, BlobError, BlobStore, ByteRange, ByteStream, StagedBlob, UploadStream};

const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating when needed) the store at `root`.
    pub async fn open(root: PathBuf) -> io::Result<Self> {
        tokio::fs::create_dir_all(root.join("tmp")).await?;
        Ok(Self { root })
    }

    fn blob_path(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(BlobError::Missing(sha256.to_owned()));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    fn temp_path(&self) -> PathBuf {
        self.root
            .join("tmp")
            .join(format!("{}.part", uuid::Uuid::new_v4()))
    }

    async fn write_staged(
        &self,
        mut body: UploadStream<'_>,
        limit: u64,
        temp: &Path,
    ) -> Result<BlobDigests, BlobError> {
        let mut file = tokio::fs::File::create(temp).await?;
        let (mut sha, mut md5, mut size) = (Sha256::new(), Md5::new(), 0u64);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(BlobError::Client)?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(BlobError::TooLarge(limit));
            }
            sha.update(&chunk);
            md5.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        Ok(BlobDigests {
            sha256: hex::encode(sha.finalize()),
            md5: hex::encode(md5.finalize()),
            size,
        })
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
            match self.write_staged(body, limit, &temp).await {
                Ok(digests) => Ok(StagedBlob::new(digests, temp)),
                Err(err) => {
                    if let Err(rm) = tokio::fs::remove_file(&temp).await {
                        if rm.kind() != io::ErrorKind::NotFound {
                            tracing::warn!(path = %temp.display(), %rm, "partial upload left");
                        }
                    }
                    Err(err)
                }
            }
        }
        .boxed_local()
    }

    fn commit(&self, mut staged: StagedBlob) -> LocalBoxFuture<'_, Result<(), BlobError>> {
        async move {
            let target = self.blob_path(&staged.digests.sha256)?;
            let Some(temp) = staged.take_temp() else {
                return Ok(());
            };
            if tokio::fs::try_exists(&target).await? {
                tokio::fs::remove_file(&temp).await?;
                return Ok(());
            }
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            if let Err(err) = tokio::fs::rename(&temp, &target).await {
                let _ignored = tokio::fs::remove_file(&temp).await;
                return Err(err.into());
            }
            Ok(())
        }
        .boxed_local()
    }

    fn open<'a>(
        &'a self,
        sha256: &'a str,
        range: Option<ByteRange>,
    ) -> LocalBoxFuture<'a, Result<ByteStream, BlobError>> {
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
                    ReaderStream::with_capacity(file.take(range.length()), READ_CHUNK).boxed_local()
                }
                None => ReaderStream::with_capacity(file, READ_CHUNK).boxed_local(),
            };
            Ok(stream)
        }
        .boxed_local()
    }

    fn remove<'a>(&'a self, sha256: &'a str) -> LocalBoxFuture<'a, Result<(), BlobError>> {
        async move {
            match tokio::fs::remove_file(self.blob_path(sha256)?).await {
                Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err.into()),
                _ => Ok(()),
            }
        }
        .boxed_local()
    }

    fn health(&self) -> LocalBoxFuture<'_, Result<(), BlobError>> {
        async move {
            let probe = self.temp_path();
            tokio::fs::write(&probe, b"ok").await?;
            tokio::fs::remove_file(&probe).await?;
            Ok(())
        }
        .boxed_local()
    }
}
