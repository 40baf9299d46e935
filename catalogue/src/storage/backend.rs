//! The storage operations, written once and expanded for each backend: the SQL is the same
//! text for PostgreSQL and SQLite (numbered `$n` parameters); only the transaction start,
//! the row-lock suffix and the collation that orders text by code point differ (and, in
//! `query::sql::Dialect`, how a descriptor path is followed).

macro_rules! backend_ops {
    ($db:ty, $pool:ty, $begin:expr, $lock:expr, $codepoint:expr, $writer:expr, $claim_lock:expr) => {
        use serde_json::Value;
        use shared_models::DescriptorKind;
        use sqlx::{QueryBuilder, Row};
        use uuid::Uuid;

        use crate::{
            blobstore::{BlobStore, StagedBlob},
            cascade::{plan_cascade, CascadePart},
            error::ApiError,
            model::{
                kind_from_key, now, BlobKind, BlobRow, DescriptorRow, NewDescriptor, Release,
                StoredUpload, UploadMeta,
            },
            query::{
                fields::{extract, FIELDS_VERSION},
                Listing, Page,
            },
            storage::{BlobFilter, CascadeReport, CreateOutcome},
        };

        type Tx = sqlx::Transaction<'static, $db>;
        type DbRow = <$db as sqlx::Database>::Row;

        const DESCRIPTOR_COLUMNS: &str = "uuid, kind, vendor, name, version, \
            platform, body, status, pkg_ref, md5, username, signature, created_at, updated_at";
        const BLOB_COLUMNS: &str = "uuid, file_name, md5, sha256, size, pkg_ref, username, \
            signature, created_at, updated_at";
        const INSERT_DESCRIPTOR: &str = "INSERT INTO descriptors (uuid, kind, vendor, name, \
            version, platform, body, status, pkg_ref, md5, username, signature, created_at, \
            updated_at, fields_version) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 1, $8, $9, \
            NULL, $10, $10, $11) ON CONFLICT (kind, vendor, name, version, platform) ";

        /// The conflict clause of an NSD, VNFD or test that exists already: one more reference.
        const REUSE_DESCRIPTOR: &str =
            "DO UPDATE SET pkg_ref = descriptors.pkg_ref + 1, updated_at = excluded.updated_at";

        /// The writer's turn, where the backend takes turns in the process (SQLite).
        type Writer = Option<tokio::sync::MutexGuard<'static, ()>>;

        /// The writer's turn, for a write of one statement outside a transaction.
        async fn writer_turn() -> Writer {
            $writer
        }

        /// A write transaction; the returned turn must live as long as it.
        async fn begin(pool: &$pool) -> Result<(Writer, Tx), ApiError> {
            let writer = writer_turn().await;
            Ok((writer, pool.begin_with($begin).await?))
        }

        fn descriptor_row(row: &DbRow) -> Result<DescriptorRow, ApiError> {
            let kind: String = row.try_get("kind")?;
            let body: String = row.try_get("body")?;
            Ok(DescriptorRow {
                uuid: row.try_get("uuid")?,
                kind: kind_from_key(&kind).ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("unknown kind {kind:?} in the database"))
                })?,
                vendor: row.try_get("vendor")?,
                name: row.try_get("name")?,
                version: row.try_get("version")?,
                platform: row.try_get("platform")?,
                body: serde_json::from_str(&body).map_err(|e| ApiError::Internal(e.into()))?,
                status: row.try_get("status")?,
                pkg_ref: row.try_get("pkg_ref")?,
                md5: row.try_get("md5")?,
                username: row.try_get("username")?,
                signature: row.try_get("signature")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn blob_row(row: &DbRow) -> Result<BlobRow, ApiError> {
            Ok(BlobRow {
                uuid: row.try_get("uuid")?,
                file_name: row.try_get("file_name")?,
                md5: row.try_get("md5")?,
                sha256: row.try_get("sha256")?,
                size: row.try_get("size")?,
                pkg_ref: row.try_get("pkg_ref")?,
                username: row.try_get("username")?,
                signature: row.try_get("signature")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        pub async fn health(pool: &$pool) -> Result<(), ApiError> {
            match sqlx::query("SELECT 1").execute(pool).await {
                Ok(_) => Ok(()),
                Err(err) => Err(ApiError::Unavailable { what: "database", detail: err.to_string() }),
            }
        }

        /// Inserts (or, by `on_conflict`, reuses) a descriptor; a new one is queued for the
        /// field indexer in the same transaction (ADR-30).
        async fn insert_descriptor(
            pool: &$pool,
            new: &NewDescriptor,
            on_conflict: &str,
        ) -> Result<Option<DescriptorRow>, ApiError> {
            let (_writer, mut tx) = begin(pool).await?;
            let row = insert_descriptor_in(&mut tx, new, on_conflict).await?;
            tx.commit().await?;
            Ok(row)
        }

        /// [`insert_descriptor`] in a transaction the caller holds (and commits).
        async fn insert_descriptor_in(
            tx: &mut Tx,
            new: &NewDescriptor,
            on_conflict: &str,
        ) -> Result<Option<DescriptorRow>, ApiError> {
            let sql = format!("{INSERT_DESCRIPTOR}{on_conflict} RETURNING {DESCRIPTOR_COLUMNS}");
            let row = sqlx::query(&sql)
                .bind(Uuid::new_v4())
                .bind(new.kind.key())
                .bind(&new.identity.vendor)
                .bind(&new.identity.name)
                .bind(&new.identity.version)
                .bind(&new.identity.platform)
                .bind(new.body.to_string())
                .bind(&new.md5)
                .bind(&new.username)
                .bind(now())
                .bind(if new.index_fields { FIELDS_VERSION } else { 0 })
                .fetch_optional(&mut **tx)
                .await?;
            let row = row.as_ref().map(descriptor_row).transpose()?;
            // A reused descriptor comes back with its reference count above one.
            if let Some(created) = row.as_ref().filter(|r| new.index_fields && r.pkg_ref == 1) {
                queue_for_index(tx, created).await?;
            }
            Ok(row)
        }

        /// The number of rows of a table (or of one kind of descriptor) without counting
        /// them: the folded base plus the deltas not folded yet, in one statement.
        async fn counted(pool: &$pool, name: &str) -> Result<i64, ApiError> {
            Ok(sqlx::query_scalar(
                "SELECT COALESCE((SELECT n FROM row_counts WHERE name = $1), 0) \
                 + COALESCE((SELECT sum(d) FROM row_count_deltas WHERE name = $1), 0)",
            )
            .bind(name)
            .fetch_one(pool)
            .await?)
        }

        pub async fn create_descriptor(
            pool: &$pool,
            new: NewDescriptor,
        ) -> Result<CreateOutcome, ApiError> {
            if new.kind != DescriptorKind::Pd {
                let row = insert_descriptor(pool, &new, REUSE_DESCRIPTOR).await?.ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("upsert returned no row"))
                })?;
                return Ok(if row.pkg_ref == 1 {
                    CreateOutcome::Created(row)
                } else {
                    CreateOutcome::Reused(row)
                });
            }
            // A package: never reused. Retry when the holder of the identity vanished meanwhile.
            for _ in 0..3 {
                if let Some(row) = insert_descriptor(pool, &new, "DO NOTHING").await? {
                    return Ok(CreateOutcome::Created(row));
                }
                let id = &new.identity;
                if let Some(existing) =
                    find_by_identity(pool, new.kind, &id.vendor, &id.name, &id.version).await?
                {
                    return Ok(CreateOutcome::Duplicate(existing.uuid));
                }
            }
            Err(ApiError::Internal(anyhow::anyhow!("package identity kept changing")))
        }

        pub async fn insert_new_version(
            pool: &$pool,
            new: NewDescriptor,
        ) -> Result<Option<DescriptorRow>, ApiError> {
            insert_descriptor(pool, &new, "DO NOTHING").await
        }

        pub async fn get_descriptor(
            pool: &$pool,
            kind: DescriptorKind,
            uuid: Uuid,
        ) -> Result<Option<DescriptorRow>, ApiError> {
            let sql =
                format!("SELECT {DESCRIPTOR_COLUMNS} FROM descriptors WHERE kind = $1 AND uuid = $2");
            let row = sqlx::query(&sql)
                .bind(kind.key())
                .bind(uuid)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(descriptor_row).transpose()
        }

        pub async fn find_by_identity(
            pool: &$pool,
            kind: DescriptorKind,
            vendor: &str,
            name: &str,
            version: &str,
        ) -> Result<Option<DescriptorRow>, ApiError> {
            let sql = format!(
                "SELECT {DESCRIPTOR_COLUMNS} FROM descriptors WHERE kind = $1 AND vendor = $2 \
                 AND name = $3 AND version = $4 ORDER BY created_at, uuid LIMIT 1"
            );
            let row = sqlx::query(&sql)
                .bind(kind.key())
                .bind(vendor)
                .bind(name)
                .bind(version)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(descriptor_row).transpose()
        }

        pub async fn set_status(
            pool: &$pool,
            kind: DescriptorKind,
            uuid: Uuid,
            status: &str,
        ) -> Result<bool, ApiError> {
            // On the writers' turn, like every write (SQLite's checkpoint relies on it).
            let _writer = writer_turn().await;
            let done = sqlx::query(
                "UPDATE descriptors SET status = $3, updated_at = $4 WHERE kind = $1 AND uuid = $2",
            )
            .bind(kind.key())
            .bind(uuid)
            .bind(status)
            .bind(now())
            .execute(pool)
            .await?;
            Ok(done.rows_affected() > 0)
        }

        pub async fn set_son_package(
            pool: &$pool,
            uuid: Uuid,
            tgo: Uuid,
        ) -> Result<bool, ApiError> {
            let _writer = writer_turn().await;
            let done = sqlx::query(
                "UPDATE descriptors SET son_package_uuid = $2, updated_at = $3 \
                 WHERE kind = 'pd' AND uuid = $1",
            )
            .bind(uuid)
            .bind(tgo)
            .bind(now())
            .execute(pool)
            .await?;
            Ok(done.rows_affected() > 0)
        }

        /// Drops one reference of a locked descriptor row.
        async fn release_locked(tx: &mut Tx, uuid: Uuid, pkg_ref: i64) -> Result<Release, ApiError> {
            if pkg_ref > 1 {
                let left: i64 = sqlx::query_scalar(
                    "UPDATE descriptors SET pkg_ref = pkg_ref - 1, updated_at = $2 \
                     WHERE uuid = $1 RETURNING pkg_ref",
                )
                .bind(uuid)
                .bind(now())
                .fetch_one(&mut **tx)
                .await?;
                return Ok(Release::Decremented(left));
            }
            sqlx::query("DELETE FROM descriptors WHERE uuid = $1")
                .bind(uuid)
                .execute(&mut **tx)
                .await?;
            Ok(Release::Removed)
        }

        pub async fn release_descriptor(
            pool: &$pool,
            kind: DescriptorKind,
            uuid: Uuid,
        ) -> Result<Option<Release>, ApiError> {
            let (_writer, mut tx) = begin(pool).await?;
            let sql = format!("SELECT pkg_ref FROM descriptors WHERE kind = $1 AND uuid = $2{}", $lock);
            let pkg_ref: Option<i64> = sqlx::query_scalar(&sql)
                .bind(kind.key())
                .bind(uuid)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(pkg_ref) = pkg_ref else {
                return Ok(None);
            };
            let release = release_locked(&mut tx, uuid, pkg_ref).await?;
            tx.commit().await?;
            Ok(Some(release))
        }

        /// Releases the first descriptor with this identity; `false` when there is none.
        async fn release_by_identity(
            tx: &mut Tx,
            kind: DescriptorKind,
            vendor: &str,
            name: &str,
            version: &str,
        ) -> Result<bool, ApiError> {
            let sql = format!(
                "SELECT uuid, pkg_ref FROM descriptors WHERE kind = $1 AND vendor = $2 \
                 AND name = $3 AND version = $4 ORDER BY created_at, uuid LIMIT 1{}",
                $lock
            );
            let row = sqlx::query(&sql)
                .bind(kind.key())
                .bind(vendor)
                .bind(name)
                .bind(version)
                .fetch_optional(&mut **tx)
                .await?;
            let Some(row) = row else {
                return Ok(false);
            };
            release_locked(tx, row.try_get("uuid")?, row.try_get("pkg_ref")?).await?;
            Ok(true)
        }

        pub async fn store_upload(
            pool: &$pool,
            kind: BlobKind,
            staged: StagedBlob,
            meta: &UploadMeta,
            store: &dyn BlobStore,
        ) -> Result<StoredUpload, ApiError> {
            let (_writer, mut tx) = begin(pool).await?;
            let stored = store_upload_in(&mut tx, kind, staged, meta, store).await?;
            tx.commit().await?;
            Ok(stored)
        }

        pub async fn get_blob(
            pool: &$pool,
            kind: BlobKind,
            uuid: Uuid,
        ) -> Result<Option<BlobRow>, ApiError> {
            let sql = format!("SELECT {BLOB_COLUMNS} FROM {} WHERE uuid = $1", kind.table());
            let row = sqlx::query(&sql).bind(uuid).fetch_optional(pool).await?;
            row.as_ref().map(blob_row).transpose()
        }

        fn push_blob_filters(builder: &mut QueryBuilder<'_, $db>, filters: &[BlobFilter]) {
            for filter in filters {
                if filter.column == "uuid" {
                    match Uuid::parse_str(&filter.value) {
                        Ok(uuid) => {
                            builder.push(" AND uuid = ");
                            builder.push_bind(uuid);
                        }
                        Err(_) => {
                            builder.push(" AND 1 = 0");
                        }
                    }
                } else {
                    builder.push(format_args!(" AND CAST({} AS TEXT) = ", filter.column));
                    builder.push_bind(filter.value.clone());
                }
            }
        }

        pub async fn list_blobs(
            pool: &$pool,
            kind: BlobKind,
            filters: &[BlobFilter],
            page: Page,
        ) -> Result<Listing<BlobRow>, ApiError> {
            let table = kind.table();
            let total: i64 = if filters.is_empty() {
                counted(pool, table).await?
            } else {
                let mut count =
                    QueryBuilder::<$db>::new(format!("SELECT count(*) FROM {table} WHERE 1 = 1"));
                push_blob_filters(&mut count, filters);
                count.build_query_scalar().fetch_one(pool).await?
            };
            let mut select =
                QueryBuilder::<$db>::new(format!("SELECT {BLOB_COLUMNS} FROM {table} WHERE 1 = 1"));
            push_blob_filters(&mut select, filters);
            select.push(" ORDER BY created_at, uuid LIMIT ");
            select.push_bind(i64::try_from(page.size).unwrap_or(i64::MAX));
            select.push(" OFFSET ");
            select.push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
            let rows = select.build().fetch_all(pool).await?;
            Ok(Listing::Items {
                items: rows.iter().map(blob_row).collect::<Result<_, _>>()?,
                total: u64::try_from(total).unwrap_or(0),
            })
        }

        /// Of `shas`, those that have a row in `blobs`.
        pub async fn known_blobs(
            pool: &$pool,
            shas: &[String],
        ) -> Result<std::collections::HashSet<String>, ApiError> {
            if shas.is_empty() {
                return Ok(std::collections::HashSet::new());
            }
            let mut select = QueryBuilder::<$db>::new("SELECT sha256 FROM blobs WHERE sha256 IN (");
            let mut list = select.separated(", ");
            for sha in shas {
                list.push_bind(sha.clone());
            }
            select.push(")");
            let rows: Vec<String> = select.build_query_scalar().fetch_all(pool).await?;
            Ok(rows.into_iter().collect())
        }

        /// Removes bytes that have no `blobs` row. A placeholder row is held meanwhile, so a
        /// concurrent upload of the same bytes (which upserts that row) either waits for the
        /// removal and stores its bytes afresh, or wins and keeps them.
        pub async fn collect_orphan(
            pool: &$pool,
            sha256: &str,
            store: &dyn BlobStore,
        ) -> Result<bool, ApiError> {
            let (_writer, mut tx) = begin(pool).await?;
            let placeholder: Option<String> = sqlx::query_scalar(
                "INSERT INTO blobs (sha256, md5, size, created_at) VALUES ($1, '', -1, $2) \
                 ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
            )
            .bind(sha256)
            .bind(now())
            .fetch_optional(&mut *tx)
            .await?;
            if placeholder.is_none() {
                return Ok(false); // a row exists: the blob is in use, or being stored
            }
            store.remove(sha256).await?;
            sqlx::query("DELETE FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn release_blob_locked(
            tx: &mut Tx,
            kind: BlobKind,
            uuid: Uuid,
            store: &dyn BlobStore,
        ) -> Result<Option<Release>, ApiError> {
            let table = kind.table();
            let sql = format!("SELECT pkg_ref, sha256 FROM {table} WHERE uuid = $1{}", $lock);
            let row = sqlx::query(&sql).bind(uuid).fetch_optional(&mut **tx).await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let pkg_ref: i64 = row.try_get("pkg_ref")?;
            let sha256: String = row.try_get("sha256")?;
            if pkg_ref > 1 {
                let sql = format!(
                    "UPDATE {table} SET pkg_ref = pkg_ref - 1, updated_at = $2 \
                     WHERE uuid = $1 RETURNING pkg_ref"
                );
                let left: i64 = sqlx::query_scalar(&sql)
                    .bind(uuid)
                    .bind(now())
                    .fetch_one(&mut **tx)
                    .await?;
                return Ok(Some(Release::Decremented(left)));
            }
            sqlx::query(&format!("DELETE FROM {table} WHERE uuid = $1"))
                .bind(uuid)
                .execute(&mut **tx)
                .await?;
            collect_blob(tx, &sha256, store).await?;
            Ok(Some(Release::Removed))
        }

        pub async fn release_blob(
            pool: &$pool,
            kind: BlobKind,
            uuid: Uuid,
            store: &dyn BlobStore,
        ) -> Result<Option<Release>, ApiError> {
            let (_writer, mut tx) = begin(pool).await?;
            let release = release_blob_locked(&mut tx, kind, uuid, store).await?;
            tx.commit().await?;
            Ok(release)
        }

        pub async fn delete_package(
            pool: &$pool,
            uuid: Uuid,
            store: &dyn BlobStore,
        ) -> Result<Option<CascadeReport>, ApiError> {
            let (_writer, mut tx) = begin(pool).await?;
            let sql = format!("SELECT body FROM descriptors WHERE kind = 'pd' AND uuid = $1{}", $lock);
            let body: Option<String> = sqlx::query_scalar(&sql)
                .bind(uuid)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(body) = body else {
                return Ok(None);
            };
            let body: Value = serde_json::from_str(&body).map_err(|e| ApiError::Internal(e.into()))?;
            let plan = plan_cascade(&body);
            let mut report = CascadeReport::default();
            for part in plan.parts {
                match part {
                    CascadePart::Descriptor { kind, id, vendor, name, version } => {
                        let found = release_by_identity(&mut tx, kind, &vendor, &name, &version).await?;
                        report.record_descriptor(kind, id, found);
                    }
                    CascadePart::File { uuid: file } => {
                        let found = match Uuid::parse_str(&file) {
                            Ok(file_uuid) => {
                                release_blob_locked(&mut tx, BlobKind::File, file_uuid, store)
                                    .await?
                                    .is_some()
                            }
                            Err(_) => false,
                        };
                        report.record_file(&file, found);
                    }
                }
            }
            if let Some(tgo) = plan.package_file_uuid {
                release_blob_locked(&mut tx, BlobKind::TgoPackage, tgo, store).await?;
            }
            sqlx::query("DELETE FROM descriptors WHERE uuid = $1")
                .bind(uuid)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(report))
        }

        crate::storage::lists::list_ops!($db, $pool, $codepoint);
        crate::storage::field_queue::field_queue_ops!($db, $pool, $claim_lock);

        crate::storage::bundle::bundle_ops!($pool);
        crate::storage::blobs::blob_ops!($pool, $lock);
    };
}

pub(crate) use backend_ops;
