//! The field index written after the descriptor, in batches (ADR-30), written once and
//! expanded for each backend inside `backend_ops!` (storage/backend.rs), whose items it uses.
//!
//! A descriptor created with the index on gets a row in `descriptor_fields_pending` in its
//! own transaction, and no index rows. The indexer ([`index_pending`], run in the background
//! by indexer.rs) reads a batch of waiting descriptors, extracts their rows outside any
//! transaction, then in one transaction claims the batch (removes its queue rows) and writes
//! the rows of the descriptors it claimed. Invariant: a descriptor is either waiting (no
//! index rows) or indexed (no queue row); field filters evaluate the documents of the
//! waiting ones (query/sql.rs, query/scan.rs). A batch that cannot be written is written one
//! descriptor at a time, and a descriptor that still fails is left waiting ([`Parked`]): its
//! filters stay right, from its document.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use uuid::Uuid;

/// The descriptors the indexer leaves waiting for a while, because writing their rows
/// failed: a batch is read without them, so one bad descriptor does not stop the others.
#[derive(Debug, Default)]
pub struct Parked {
    since: HashMap<Uuid, Instant>,
}

impl Parked {
    /// How long a descriptor stays parked before it is tried again.
    pub const RETRY_AFTER: Duration = Duration::from_secs(600);
    /// At most this many are parked; beyond, a round stops at the failure.
    pub const MAX: usize = 1000;

    /// The parked descriptors, after those parked long enough are let go.
    pub(super) fn current(&mut self) -> Vec<Uuid> {
        self.since.retain(|_, at| at.elapsed() < Self::RETRY_AFTER);
        self.since.keys().copied().collect()
    }

    /// Parks `uuid`; false when the set is full.
    pub(super) fn park(&mut self, uuid: Uuid) -> bool {
        if self.since.len() >= Self::MAX {
            return false;
        }
        self.since.insert(uuid, Instant::now());
        true
    }

    /// How many are parked.
    pub fn len(&self) -> usize {
        self.since.len()
    }

    pub fn is_empty(&self) -> bool {
        self.since.is_empty()
    }
}

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

            /// Whether a descriptor was written without the index, or indexed by an older
            /// extraction (then `queue_unindexed` in pg.rs / sqlite.rs has work).
            pub async fn any_unindexed(pool: &$pool) -> Result<bool, ApiError> {
                let sql = "SELECT EXISTS (SELECT 1 FROM descriptors WHERE fields_version < $1)";
                Ok(sqlx::query_scalar(sql)
                    .bind(FIELDS_VERSION)
                    .fetch_one(pool)
                    .await?)
            }

            /// Indexes up to `batch` waiting descriptors that are not parked; how many it
            /// indexed (0: none was waiting, or another catalogue holds them). A batch that
            /// cannot be written is written one at a time; a descriptor whose rows cannot
            /// be extracted or written is parked. An unreachable database ends the round.
            pub async fn index_pending(
                pool: &$pool,
                batch: u32,
                parked: &mut crate::storage::Parked,
            ) -> Result<u64, ApiError> {
                let mut read = QueryBuilder::<$db>::new(
                    "SELECT p.uuid, d.kind, p.created_at, d.body FROM descriptor_fields_pending AS p \
                     JOIN descriptors AS d ON d.uuid = p.uuid",
                );
                let skipped = parked.current();
                if !skipped.is_empty() {
                    read.push(" WHERE p.uuid NOT IN (");
                    let mut uuids = read.separated(", ");
                    for uuid in skipped {
                        uuids.push_bind(uuid);
                    }
                    read.push(")");
                }
                read.push(" LIMIT ").push_bind(i64::from(batch.max(1)));
                let waiting = read.build().fetch_all(pool).await?;
                let mut extracted = Vec::with_capacity(waiting.len());
                for row in &waiting {
                    match extract_row(row) {
                        Ok(e) => extracted.push(e),
                        Err(err) => park(parked, row.try_get("uuid")?, &err)?,
                    }
                }
                match write_batch(pool, &extracted).await {
                    Ok(done) => return Ok(done),
                    Err(err @ ApiError::Unavailable { .. }) => return Err(err),
                    Err(err) if extracted.len() == 1 => {
                        park(parked, extracted[0].uuid, &err)?;
                        return Ok(0);
                    }
                    Err(err) => tracing::warn!(%err, "a field index batch failed: one at a time"),
                }
                let mut done = 0;
                for e in &extracted {
                    match write_batch(pool, std::slice::from_ref(e)).await {
                        Ok(n) => done += n,
                        Err(err @ ApiError::Unavailable { .. }) => return Err(err),
                        Err(err) => park(parked, e.uuid, &err)?,
                    }
                }
                Ok(done)
            }

            /// Leaves `uuid` waiting for [`Parked::RETRY_AFTER`]; the error back when too
            /// many are parked already.
            fn park(
                parked: &mut crate::storage::Parked,
                uuid: Uuid,
                err: &ApiError,
            ) -> Result<(), ApiError> {
                tracing::warn!(%uuid, ?err, "writing a descriptor's field index failed: it stays queued");
                if parked.park(uuid) {
                    Ok(())
                } else {
                    Err(ApiError::Internal(anyhow::anyhow!(
                        "{} descriptors cannot be indexed: {err}",
                        parked.len()
                    )))
                }
            }

            /// Claims the descriptors extracted and writes their rows, in one transaction;
            /// how many it claimed.
            async fn write_batch(pool: &$pool, extracted: &[Extracted]) -> Result<u64, ApiError> {
                if extracted.is_empty() {
                    return Ok(0);
                }
                let (_writer, mut tx) = begin(pool).await?;
                let claimed = claim(&mut tx, extracted).await?;
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

            /// Removes the queue rows of the batch that are still there, of descriptors of
            /// the current extraction, and not held by another transaction; the uuids
            /// removed. On PostgreSQL the queue rows and descriptors held by another
            /// transaction are skipped, so the indexer never waits for a delete; a delete
            /// that comes after the claim waits for the indexer's commit (its key-share lock
            /// on the descriptor), and the two never wait for each other in a cycle.
            async fn claim(
                tx: &mut Tx,
                batch: &[Extracted],
            ) -> Result<std::collections::HashSet<Uuid>, ApiError> {
                let mut claim = QueryBuilder::<$db>::new(
                    "DELETE FROM descriptor_fields_pending WHERE uuid IN (SELECT p.uuid \
                     FROM descriptor_fields_pending AS p JOIN descriptors AS d ON d.uuid = p.uuid \
                     WHERE d.fields_version = ",
                );
                claim.push_bind(FIELDS_VERSION).push(" AND p.uuid IN (");
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
        pub use field_queue::index_pending;
        use field_queue::queue_for_index;
    };
}

pub(crate) use field_queue_ops;
