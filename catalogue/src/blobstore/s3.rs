//! A blob store in an S3-compatible bucket: `<prefix>/<sha[..2]>/<sha>`, staged under
//! `<prefix>/tmp/<uuid>`. Uploads stream: small ones in one PUT, bigger ones as a multipart
//! upload of `PART_SIZE` parts with at most `PARTS_IN_FLIGHT` parts in flight.
//!
//! Credentials and endpoint come from the usual AWS variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL` for
//! S3-compatible servers such as MinIO; plain `http://` endpoints are allowed; `AWS_TIMEOUT`
//! for one request, default 15 minutes).

use std::{io, sync::Arc};

use bytes::Bytes;
use futures_util::{
    future::{BoxFuture, LocalBoxFuture},
    FutureExt, StreamExt, TryStreamExt,
};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey},
    path::Path,
    ClientConfigKey, GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart,
};

use super::{
    is_sha256,
    lanes::{Ingest, NoSink},
    BlobDigests, BlobError, BlobStore, ByteRange, ByteStream, EntryStream, OnDrop, StagedBlob,
    StoreEntry, UploadStream,
};

/// Size of one part of a multipart upload (S3 wants at least 5 MiB but for the last).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploading at once; with the part being filled this bounds memory to ~3 parts.
const PARTS_IN_FLIGHT: usize = 2;
const STAGING: &str = "tmp";
/// Default limit of one S3 request (a part, or the copy of a whole object).
const REQUEST_TIMEOUT: &str = "15m";

/// Aborts a multipart upload whose future was dropped midway (the client went away).
struct AbortOnDrop(Option<WriteMultipart>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(writer) = self.0.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = writer.abort().await {
                    tracing::warn!(%err, "could not abort a multipart upload");
                }
            });
        }
    }
}

#[derive(Debug, Clone)]
pub struct S3BlobStore {
    store: Arc<AmazonS3>,
    prefix: String,
}

fn not_found(err: &object_store::Error) -> bool {
    matches!(err, object_store::Error::NotFound { .. })
}

fn ignore_missing(result: object_store::Result<()>) -> Result<(), BlobError> {
    match result {
        Err(err) if !not_found(&err) => Err(err.into()),
        _ => Ok(()),
    }
}

impl S3BlobStore {
    /// The bucket and prefix of `s3://bucket/prefix`, the rest from the AWS variables.
    pub fn from_env(bucket: &str, prefix: &str) -> anyhow::Result<Self> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = builder.get_config_value(&AmazonS3ConfigKey::Endpoint);
        if endpoint.is_some_and(|e| e.starts_with("http://")) {
            builder = builder.with_allow_http(true);
        }
        // The commit copies the whole object server-side in one request: the client's default
        // 30 s is too short for gigabytes. `AWS_TIMEOUT` (e.g. `30m`) overrides this default.
        let timeout = AmazonS3ConfigKey::Client(ClientConfigKey::Timeout);
        if builder.get_config_value(&timeout).is_none() {
            builder = builder.with_config(timeout, REQUEST_TIMEOUT);
        }
        let store = builder
            .build()
            .map_err(|e| anyhow::anyhow!("CATALOGUE_BLOB_STORE s3://{bucket}/{prefix}: {e}"))?;
        Ok(Self {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    fn path(&self, relative: &str) -> Path {
        let joined = [self.prefix.as_str(), relative]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        Path::from(joined)
    }

    fn blob_path(&self, sha256: &str) -> Result<Path, BlobError> {
        if !is_sha256(sha256) {
            return Err(BlobError::Missing(sha256.to_owned()));
        }
        Ok(self.path(&format!("{}/{sha256}", &sha256[..2])))
    }

    fn staging_path(&self, key: &str) -> Result<Path, BlobError> {
        let valid = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid {
            return Err(BlobError::Missing(key.to_owned()));
        }
        Ok(self.path(&format!("{STAGING}/{key}")))
    }

    /// A guard that deletes `path` (in the background) unless disarmed.
    fn delete_on_drop(&self, path: Path) -> OnDrop {
        let store = Arc::clone(&self.store);
        OnDrop::new(move || {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(err) = ignore_missing(store.delete(&path).await) {
                        tracing::warn!(%path, %err, "staged object left behind");
                    }
                });
            }
        })
    }

    /// Streams the body to `path`: one PUT when it fits in a part, else a multipart upload
    /// (aborted on any error).
    async fn upload(
        &self,
        mut body: UploadStream<'_>,
        limit: u64,
        path: &Path,
    ) -> Result<BlobDigests, BlobError> {
        let mut hasher = Ingest::new(limit, NoSink);
        let mut first = Vec::new();
        let mut rest = None;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(BlobError::Client)?;
            hasher.push(&chunk).await?;
            first.extend_from_slice(&chunk);
            if first.len() >= PART_SIZE {
                rest = Some(body);
                break;
            }
        }
        let Some(body) = rest else {
            self.store.put(path, PutPayload::from(first)).await?;
            return hasher.finish().await;
        };
        let upload = self.store.put_multipart(path).await?;
        let mut guard = AbortOnDrop(Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)));
        let Some(writer) = guard.0.as_mut() else {
            return Err(BlobError::Missing(path.to_string()));
        };
        writer.put(Bytes::from(first));
        let written = Self::write_parts(writer, body, &mut hasher).await;
        let Some(writer) = guard.0.take() else {
            return Err(BlobError::Missing(path.to_string()));
        };
        match written {
            Ok(()) => {
                let digests = hasher.finish().await?;
                writer.finish().await?;
                Ok(digests)
            }
            Err(err) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(%path, %abort, "could not abort a multipart upload");
                }
                Err(err)
            }
        }
    }

    async fn write_parts(
        writer: &mut WriteMultipart,
        mut body: UploadStream<'_>,
        hasher: &mut Ingest<NoSink>,
    ) -> Result<(), BlobError> {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(BlobError::Client)?;
            hasher.push(&chunk).await?;
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            writer.put(chunk);
        }
        Ok(())
    }

    /// Objects under `relative`, as entries named by `name` (skipped when it gives `None`).
    fn listing<'a>(
        &'a self,
        relative: &str,
        name: impl Fn(&str) -> Option<String> + Send + 'a,
    ) -> EntryStream<'a> {
        let base = self.path(relative);
        let skip = match base.as_ref().len() {
            0 => 0,
            n => n + 1,
        };
        self.store
            .list(Some(&base))
            .map_err(BlobError::from)
            .try_filter_map(move |meta| {
                let found = meta
                    .location
                    .as_ref()
                    .get(skip..)
                    .and_then(&name)
                    .map(|key| StoreEntry {
                        key,
                        modified: meta.last_modified.into(),
                    });
                futures_util::future::ready(Ok(found))
            })
            .boxed()
    }
}

impl BlobStore for S3BlobStore {
    fn save_stream<'a>(
        &'a self,
        body: UploadStream<'a>,
        limit: u64,
    ) -> LocalBoxFuture<'a, Result<StagedBlob, BlobError>> {
        async move {
            let key = uuid::Uuid::new_v4().to_string();
            let path = self.staging_path(&key)?;
            let guard = self.delete_on_drop(path.clone());
            let digests = self.upload(body, limit, &path).await?;
            Ok(StagedBlob::new(digests, key, guard))
        }
        .boxed_local()
    }

    fn commit(&self, mut staged: StagedBlob) -> BoxFuture<'_, Result<(), BlobError>> {
        async move {
            let target = self.blob_path(&staged.digests.sha256)?;
            let source = self.staging_path(staged.key())?;
            match self.store.head(&target).await {
                Ok(_) => {}
                Err(err) if not_found(&err) => self.store.copy(&source, &target).await?,
                Err(err) => return Err(err.into()),
            }
            ignore_missing(self.store.delete(&source).await)?;
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
            let options = GetOptions {
                range: range.map(|r| GetRange::Bounded(r.start..r.end + 1)),
                ..GetOptions::default()
            };
            let result = match self.store.get_opts(&path, options).await {
                Ok(result) => result,
                Err(err) if not_found(&err) => return Err(BlobError::Missing(sha256.to_owned())),
                Err(err) => return Err(err.into()),
            };
            let stream: ByteStream = result.into_stream().map_err(io::Error::other).boxed();
            Ok(stream)
        }
        .boxed()
    }

    fn remove<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        async move { ignore_missing(self.store.delete(&self.blob_path(sha256)?).await) }.boxed()
    }

    fn list(&self) -> EntryStream<'_> {
        self.listing("", |relative| {
            let (shard, sha) = relative.split_once('/')?;
            (is_sha256(sha) && sha.starts_with(shard)).then(|| sha.to_owned())
        })
    }

    fn list_staged(&self) -> EntryStream<'_> {
        self.listing(STAGING, |key| (!key.contains('/')).then(|| key.to_owned()))
    }

    fn remove_staged<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        async move { ignore_missing(self.store.delete(&self.staging_path(key)?).await) }.boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<(), BlobError>> {
        async move {
            let probe = self.staging_path(&format!("health-{}", uuid::Uuid::new_v4()))?;
            self.store
                .put(&probe, PutPayload::from_static(b"ok"))
                .await?;
            self.store.delete(&probe).await?;
            Ok(())
        }
        .boxed()
    }
}
