//! Storing a whole package in one transaction (ADR-23), expanded into each backend's module
//! by `backend_ops!`: it uses that module's transaction, descriptor and upload helpers.

macro_rules! bundle_ops {
    ($pool:ty) => {
        /// Stores every part, the archive and the completed package descriptor, or nothing.
        /// The order keeps the rows shared with other packages (reused NSDs and VNFDs, whose
        /// reference counts are locked by their upsert) locked for the shortest time: the
        /// package's own archive and files first, then the descriptors and the package.
        pub async fn store_bundle(
            pool: &$pool,
            bundle: crate::bundle::Bundle,
            store: &dyn BlobStore,
        ) -> Result<crate::bundle::BundleOutcome, ApiError> {
            use crate::bundle::{
                complete_package, BundleOutcome, FileBody, StoredArchive, StoredBundle, StoredPart,
            };
            let crate::bundle::Bundle {
                request_id,
                descriptors,
                files,
                archive,
                mut package,
            } = bundle;
            let (_writer, mut tx) = begin(pool).await?;
            if let Some(id) = &request_id {
                if !claim_request(&mut tx, id).await? {
                    return Ok(BundleOutcome::Cancelled(id.clone()));
                }
            }
            if let Some(existing) = package_with_identity(&mut tx, &package).await? {
                return Ok(BundleOutcome::Duplicate(existing));
            }
            // The archive before the files: a file in the archive is a slice of its blob.
            let (staged, meta) = archive;
            let digests = staged.digests.clone();
            let tgo = store_upload_in(&mut tx, BlobKind::TgoPackage, staged, &meta, store).await?;
            let mut parts = Vec::new();
            for (content_index, body, meta) in files {
                let stored = match body {
                    FileBody::Staged(staged) => {
                        store_upload_in(&mut tx, BlobKind::File, staged, &meta, store).await?
                    }
                    FileBody::InArchive {
                        digests: file,
                        offset,
                    } => store_slice_in(&mut tx, &file, &digests.sha256, offset, &meta).await?,
                };
                parts.push(StoredPart {
                    content_index,
                    uuid: stored.uuid,
                });
            }
            for (content_index, new) in descriptors {
                let row = insert_descriptor_in(&mut tx, &new, REUSE_DESCRIPTOR)
                    .await?
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("upsert returned no row")))?;
                parts.push(StoredPart {
                    content_index,
                    uuid: row.uuid,
                });
            }
            parts.sort_by_key(|p| p.content_index);
            complete_package(&mut package, &parts, tgo.uuid);
            let Some(row) = insert_descriptor_in(&mut tx, &package, "DO NOTHING").await? else {
                // Stored meanwhile by another bundle (PostgreSQL): this one stores nothing.
                let existing =
                    package_with_identity(&mut tx, &package)
                        .await?
                        .ok_or_else(|| {
                            ApiError::Internal(anyhow::anyhow!("package identity kept changing"))
                        })?;
                return Ok(BundleOutcome::Duplicate(existing));
            };
            if let Some(id) = &request_id {
                sqlx::query("UPDATE bundle_requests SET package_uuid = $1 WHERE request_id = $2")
                    .bind(row.uuid)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(BundleOutcome::Stored(Box::new(StoredBundle {
                uuid: row.uuid,
                package: row.into_record(),
                parts,
                archive: StoredArchive {
                    uuid: tgo.uuid,
                    sha256: digests.sha256,
                    md5: digests.md5,
                    size: digests.size,
                },
            })))
        }

        /// Records `id` in the caller's transaction; false when it is recorded already (a
        /// cancelled or repeated request). On PostgreSQL the new key stays locked until the
        /// transaction ends, so a concurrent cancel waits for its outcome.
        async fn claim_request(tx: &mut Tx, id: &str) -> Result<bool, ApiError> {
            let claimed = sqlx::query(
                "INSERT INTO bundle_requests (request_id, package_uuid, created_at) \
                 VALUES ($1, NULL, $2) ON CONFLICT (request_id) DO NOTHING",
            )
            .bind(id)
            .bind(crate::model::now())
            .execute(&mut **tx)
            .await?;
            Ok(claimed.rows_affected() == 1)
        }

        /// Cancels bundle request `id`: a bundle that has not stored yet never will; the
        /// package of one that has is returned, for the caller to delete.
        pub async fn cancel_bundle(
            pool: &$pool,
            id: &str,
        ) -> Result<crate::bundle::Cancelled, ApiError> {
            use crate::bundle::Cancelled;
            let (_writer, mut tx) = begin(pool).await?;
            let outcome = if claim_request(&mut tx, id).await? {
                Cancelled::BeforeStore
            } else {
                let stored: Option<Uuid> = sqlx::query_scalar(
                    "SELECT package_uuid FROM bundle_requests WHERE request_id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                stored.map_or(Cancelled::Already, Cancelled::Stored)
            };
            tx.commit().await?;
            Ok(outcome)
        }

        /// Forgets bundle request ids recorded before `cutoff`; how many.
        pub async fn forget_bundle_requests(
            pool: &$pool,
            cutoff: chrono::DateTime<chrono::Utc>,
        ) -> Result<u64, ApiError> {
            let (_writer, mut tx) = begin(pool).await?;
            let done = sqlx::query("DELETE FROM bundle_requests WHERE created_at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        }

        /// The uuid of the package descriptor with `package`'s identity, if there is one.
        async fn package_with_identity(
            tx: &mut Tx,
            package: &NewDescriptor,
        ) -> Result<Option<Uuid>, ApiError> {
            let id = &package.identity;
            Ok(sqlx::query_scalar(
                "SELECT uuid FROM descriptors WHERE kind = 'pd' AND vendor = $1 AND name = $2 \
                 AND version = $3 ORDER BY created_at, uuid LIMIT 1",
            )
            .bind(&id.vendor)
            .bind(&id.name)
            .bind(&id.version)
            .fetch_optional(&mut **tx)
            .await?)
        }
    };
}

pub(crate) use bundle_ops;
