//! The field index written after the descriptor, in batches (ADR-30), written once and
//! expanded for each backend inside `backend_ops!` (storage/backend.rs), whose items it uses.
//!
//! A descriptor created with the index on gets a row in `descriptor_fields_pending` in its
//! own transaction, and no index rows. The indexer ([`index_pending`], run in the background
//! by counts.rs) reads a batch of waiting descriptors, extracts their rows outside any
//! transaction, then in one transaction claims the batch (removes its queue rows) and writes
//! the rows of the descriptors it claimed. Invariant: a descriptor is either waiting (no
//! index rows) or indexed (no queue row); field filters evaluate the documents of the
//! waiting ones (query/sql.rs, query/scan.rs).

macro_rules! field_queue_ops {
    ($db:ty, $pool:ty, $claim_lock:expr) => {
        mod field_queue {
            use super::*;
            use crate::query::fields::FieldEntry;

            /// One descriptor's rows, with what every row of it carries.
            struct Extracted {
                uuid: Uuid,
                kind: DescriptorKind,
                created_at: chrono::DateTime<chrono::Utc>,
                entries: Vec<FieldEntry>,
            }

            /// Queues a descriptor just created for the indexer, in its transaction.
            pub async fn queue_for_index(
                tx: &mut Tx,
                row: &DescriptorRow,
            ) -> Result<(), ApiError> {
                sqlx::query(
                    "INSERT INTO descriptor_fields_pending (uuid, kind, created_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(row.uuid)
                .bind(row.kind.key())
                .bind(row.created_at)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Queues the descriptors written without the index (or indexed by an older
            /// extraction), dropping their old rows, in one transaction; how many.
            pub async fn queue_unindexed(pool: &$pool) -> Result<u64, ApiError> {
                let (_writer, mut tx) = begin(pool).await?;
                sqlx::query(
                    "INSERT INTO descriptor_fields_pending (uuid, kind, created_at) \
                     SELECT uuid, kind, created_at FROM descriptors WHERE fields_version < $1 \
                     ON CONFLICT (uuid) DO NOTHING",
                )
                .bind(FIELDS_VERSION)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM descriptor_fields WHERE uuid IN \
                     (SELECT uuid FROM descriptors WHERE fields_version < $1)",
                )
                .bind(FIELDS_VERSION)
                .execute(&mut *tx)
                .await?;
                let queued =
                    sqlx::query("UPDATE descriptors SET fields_version = $1 WHERE fields_version < $1")
                        .bind(FIELDS_VERSION)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                tx.commit().await?;
                Ok(queued)
            }

            /// Indexes up to `batch` waiting descriptors; how many it indexed (0: none was
            /// waiting, or another catalogue holds them).
            pub async fn index_pending(pool: &$pool, batch: u32) -> Result<u64, ApiError> {
                let waiting = sqlx::query(
                    "SELECT p.uuid, d.kind, p.created_at, d.body FROM descriptor_fields_pending AS p \
                     JOIN descriptors AS d ON d.uuid = p.uuid LIMIT $1",
                )
                .bind(i64::from(batch))
                .fetch_all(pool)
                .await?;
                if waiting.is_empty() {
                    return Ok(0);
                }
                let extracted = waiting.iter().map(extract_row).collect::<Result<Vec<_>, _>>()?;
                let (_writer, mut tx) = begin(pool).await?;
                let claimed = claim(&mut tx, &extracted).await?;
                let rows: Vec<(&Extracted, &FieldEntry)> = extracted
                    .iter()
                    .filter(|e| claimed.contains(&e.uuid))
                    .flat_map(|e| e.entries.iter().map(move |entry| (e, entry)))
                    .collect();
                for chunk in rows.chunks(1000) {
                    insert_rows(&mut tx, chunk).await?;
                }
                tx.commit().await?;
                Ok(claimed.len() as u64)
            }

            fn extract_row(row: &DbRow) -> Result<Extracted, ApiError> {
                let kind: String = row.try_get("kind")?;
                let kind = kind_from_key(&kind).ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("unknown kind {kind:?} in the database"))
                })?;
                let body: String = row.try_get("body")?;
                let body: Value =
                    serde_json::from_str(&body).map_err(|e| ApiError::Internal(e.into()))?;
                Ok(Extracted {
                    uuid: row.try_get("uuid")?,
                    kind,
                    created_at: row.try_get("created_at")?,
                    entries: extract(kind, &body),
                })
            }

            /// Removes the queue rows of the batch that are still there and not held by
            /// another transaction; the uuids removed. On PostgreSQL the descriptors are
            /// share-locked first and held ones skipped, so a concurrent delete (which locks
            /// the descriptor, then its queue row) and the indexer never wait for each other.
            async fn claim(
                tx: &mut Tx,
                batch: &[Extracted],
            ) -> Result<std::collections::HashSet<Uuid>, ApiError> {
                let mut claim = QueryBuilder::<$db>::new(
                    "DELETE FROM descriptor_fields_pending WHERE uuid IN (SELECT p.uuid \
                     FROM descriptor_fields_pending AS p JOIN descriptors AS d ON d.uuid = p.uuid \
                     WHERE p.uuid IN (",
                );
                let mut uuids = claim.separated(", ");
                for e in batch {
                    uuids.push_bind(e.uuid);
                }
                claim.push(format_args!("){}) RETURNING uuid", $claim_lock));
                let claimed: Vec<Uuid> = claim.build_query_scalar().fetch_all(&mut **tx).await?;
                Ok(claimed.into_iter().collect())
            }

            async fn insert_rows(
                tx: &mut Tx,
                rows: &[(&Extracted, &FieldEntry)],
            ) -> Result<(), ApiError> {
                let mut insert = QueryBuilder::<$db>::new(
                    "INSERT INTO descriptor_fields (uuid, kind, created_at, path, sole, t, text, num) ",
                );
                insert.push_values(rows, |mut row, (e, entry)| {
                    row.push_bind(e.uuid)
                        .push_bind(e.kind.key())
                        .push_bind(e.created_at)
                        .push_bind(entry.path.clone())
                        .push_bind(entry.sole)
                        .push_bind(entry.value.type_code())
                        .push_bind(entry.value.text())
                        .push_bind(entry.value.number());
                });
                insert.build().execute(&mut **tx).await?;
                Ok(())
            }
        }
        pub use field_queue::{index_pending, queue_unindexed};
        use field_queue::queue_for_index;
    };
}

pub(crate) use field_queue_ops;
