//! Blob rows: storing an upload's or a slice's row, finding a blob's bytes, and collecting
//! the blobs no record uses, expanded into each backend's module by `backend_ops!`.
//!
//! A blob is either bytes of its own at its content address, or a slice (ADR-31): `size`
//! bytes at `within_offset` of the blob `within_sha256` (a package archive that holds the
//! file uncompressed). A blob is kept while a file, a package archive or a slice uses it.

/// Where a blob's bytes are: `size` bytes at `offset` of the stored blob `sha256` (the blob
/// itself, at offset 0, unless it is a slice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobPlace {
    pub sha256: String,
    pub offset: u64,
}

macro_rules! blob_ops {
    ($pool:ty, $lock:expr) => {
        /// Upserts the row of a blob, locking it. With `within`, a new row is a slice of that
        /// blob; a row that exists keeps its place. Without (the bytes are at their own
        /// address, or about to be), a slice becomes a blob of its own.
        async fn upsert_blob(
            tx: &mut Tx,
            digests: &crate::blobstore::BlobDigests,
            within: Option<(&str, u64)>,
        ) -> Result<(), ApiError> {
            let size = i64::try_from(digests.size).map_err(|e| ApiError::Internal(e.into()))?;
            let offset = within
                .map(|(_, offset)| i64::try_from(offset))
                .transpose()
                .map_err(|e| ApiError::Internal(e.into()))?;
            let keep_place = if within.is_some() {
                ""
            } else {
                ", within_sha256 = NULL, within_offset = NULL"
            };
            let sql = format!(
                "INSERT INTO blobs (sha256, md5, size, created_at, within_sha256, within_offset) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (sha256) DO UPDATE SET md5 = excluded.md5{keep_place}"
            );
            sqlx::query(&sql)
                .bind(&digests.sha256)
                .bind(&digests.md5)
                .bind(size)
                .bind(now())
                .bind(within.map(|(sha256, _)| sha256))
                .bind(offset)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// [`store_upload`] in a transaction the caller holds (and commits). The bytes are at
        /// their content address once it returns, whatever becomes of the transaction (bytes
        /// no row describes are collected by the sweep).
        async fn store_upload_in(
            tx: &mut Tx,
            kind: BlobKind,
            staged: StagedBlob,
            meta: &UploadMeta,
            store: &dyn BlobStore,
        ) -> Result<StoredUpload, ApiError> {
            let digests = staged.digests.clone();
            // Holding the blob row (locked by the upsert) while the bytes move into place
            // keeps a concurrent collection of the same blob from removing them.
            upsert_blob(tx, &digests, None).await?;
            store.commit(staged).await?;
            insert_upload_record(tx, kind, &digests, meta).await
        }

        /// A file whose bytes are `digests.size` bytes at `offset` of the blob `within`, which
        /// the caller's transaction has stored already.
        async fn store_slice_in(
            tx: &mut Tx,
            digests: &crate::blobstore::BlobDigests,
            within: &str,
            offset: u64,
            meta: &UploadMeta,
        ) -> Result<StoredUpload, ApiError> {
            upsert_blob(tx, digests, Some((within, offset))).await?;
            insert_upload_record(tx, BlobKind::File, digests, meta).await
        }

        /// The record of a file or package archive with these bytes: a file with the same
        /// bytes and name gets one more reference.
        async fn insert_upload_record(
            tx: &mut Tx,
            kind: BlobKind,
            digests: &crate::blobstore::BlobDigests,
            meta: &UploadMeta,
        ) -> Result<StoredUpload, ApiError> {
            let (sql, new_content) = match kind {
                BlobKind::File => {
                    let before: i64 =
                        sqlx::query_scalar("SELECT count(*) FROM files WHERE sha256 = $1")
                            .bind(&digests.sha256)
                            .fetch_one(&mut **tx)
                            .await?;
                    (
                        "INSERT INTO files (uuid, sha256, md5, size, file_name, pkg_ref, \
                         username, signature, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8) \
                         ON CONFLICT (sha256, file_name) DO UPDATE SET \
                         pkg_ref = files.pkg_ref + 1, updated_at = excluded.updated_at \
                         RETURNING uuid",
                        before == 0,
                    )
                }
                BlobKind::TgoPackage => (
                    "INSERT INTO tgo_packages (uuid, sha256, md5, size, file_name, pkg_ref, \
                     username, signature, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8) RETURNING uuid",
                    true,
                ),
            };
            let size = i64::try_from(digests.size).map_err(|e| ApiError::Internal(e.into()))?;
            let uuid: Uuid = sqlx::query_scalar(sql)
                .bind(Uuid::new_v4())
                .bind(&digests.sha256)
                .bind(&digests.md5)
                .bind(size)
                .bind(&meta.file_name)
                .bind(&meta.username)
                .bind(&meta.signature)
                .bind(now())
                .fetch_one(&mut **tx)
                .await?;
            Ok(StoredUpload { uuid, new_content })
        }

        /// Where the bytes of blob `sha256` are (`None`: there is no such blob).
        pub async fn blob_place(
            pool: &$pool,
            sha256: &str,
        ) -> Result<Option<crate::storage::blobs::BlobPlace>, ApiError> {
            let row = sqlx::query("SELECT within_sha256, within_offset FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let within: Option<String> = row.try_get("within_sha256")?;
            let offset: Option<i64> = row.try_get("within_offset")?;
            Ok(Some(crate::storage::blobs::BlobPlace {
                sha256: within.unwrap_or_else(|| sha256.to_owned()),
                offset: offset.and_then(|o| u64::try_from(o).ok()).unwrap_or(0),
            }))
        }

        /// Removes a blob row, and its bytes, when no record uses it any more; a slice removed
        /// so may leave the blob it is in unused, which is then collected too. Whether
        /// `sha256` was collected.
        async fn collect_blob(tx: &mut Tx, sha256: &str, store: &dyn BlobStore) -> Result<bool, ApiError> {
            let mut next = Some(sha256.to_owned());
            // The loop goes on only past a removal, so any removal means `sha256`'s own.
            let mut collected = false;
            while let Some(sha256) = next.take() {
                let sql = format!("SELECT within_sha256 FROM blobs WHERE sha256 = $1{}", $lock);
                let locked: Option<Option<String>> = sqlx::query_scalar(&sql)
                    .bind(&sha256)
                    .fetch_optional(&mut **tx)
                    .await?;
                let Some(within) = locked else {
                    break;
                };
                let users: i64 = sqlx::query_scalar(
                    "SELECT (SELECT count(*) FROM files WHERE sha256 = $1) \
                     + (SELECT count(*) FROM tgo_packages WHERE sha256 = $1) \
                     + (SELECT count(*) FROM blobs WHERE within_sha256 = $1)",
                )
                .bind(&sha256)
                .fetch_one(&mut **tx)
                .await?;
                if users > 0 {
                    break;
                }
                sqlx::query("DELETE FROM blobs WHERE sha256 = $1")
                    .bind(&sha256)
                    .execute(&mut **tx)
                    .await?;
                if within.is_none() {
                    // A slice has no bytes of its own.
                    if let Err(err) = store.remove(&sha256).await {
                        tracing::warn!(%sha256, %err, "could not remove the bytes of a collected blob");
                    }
                }
                collected = true;
                next = within;
            }
            Ok(collected)
        }

        /// Collects blob rows older than `cutoff` that no file, package archive or slice
        /// references.
        pub async fn collect_unreferenced(
            pool: &$pool,
            cutoff: chrono::DateTime<chrono::Utc>,
            store: &dyn BlobStore,
        ) -> Result<u64, ApiError> {
            let candidates: Vec<String> = sqlx::query_scalar(
                "SELECT sha256 FROM blobs b WHERE created_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = b.sha256) \
                 AND NOT EXISTS (SELECT 1 FROM tgo_packages t WHERE t.sha256 = b.sha256) \
                 AND NOT EXISTS (SELECT 1 FROM blobs s WHERE s.within_sha256 = b.sha256)",
            )
            .bind(cutoff)
            .fetch_all(pool)
            .await?;
            let mut collected = 0;
            for sha256 in candidates {
                let (_writer, mut tx) = begin(pool).await?;
                if collect_blob(&mut tx, &sha256, store).await? {
                    collected += 1;
                }
                tx.commit().await?;
            }
            Ok(collected)
        }
    };
}

pub(crate) use blob_ops;
