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

use crate::error::ApiError;

/// The descriptors the indexer leaves waiting for a while, because writing their rows
/// failed: a batch is read without them, so one bad descriptor does not stop the others.
#[derive(Debug, Default)]
pub struct Parked {
    since: HashMap<Uuid, Instant>,
}

impl Parked {
    /// How long a descriptor stays parked before it is tried again.
    pub const RETRY_AFTER: Duration = Duration::from_secs(600);
    /// At most this many are parked; parking one more lets the oldest go.
    pub const MAX: usize = 1000;

    /// The parked descriptors, after those parked long enough are let go.
    pub(super) fn current(&mut self) -> Vec<Uuid> {
        self.since.retain(|_, at| at.elapsed() < Self::RETRY_AFTER);
        self.since.keys().copied().collect()
    }

    /// Parks `uuid`, whose rows failed with `err` (logged).
    pub(super) fn park(&mut self, uuid: Uuid, err: &ApiError) {
        tracing::warn!(%uuid, ?err, "a descriptor's field index rows cannot be written: it stays queued");
        if self.since.len() >= Self::MAX {
            let oldest = self
                .since
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(u, _)| *u);
            oldest.map(|u| self.since.remove(&u));
        }
        self.since.insert(uuid, Instant::now());
    }

    /// How many are parked.
    pub fn len(&self) -> usize {
        self.since.len()
    }

    pub fn is_empty(&self) -> bool {
        self.since.is_empty()
    }
}

/// Whether a write failed for what it holds, so that writing it again fails again: an
/// extraction error, or the database refusing the data (PostgreSQL SQLSTATE classes 22 data
/// exception, 23 integrity, 54 limit exceeded, P0 raised by a trigger; SQLite TOOBIG,
/// CONSTRAINT, MISMATCH, RANGE). A lost connection, a cancel, a read-only server or a busy
/// database is not.
pub(super) fn is_data_fault(err: &ApiError) -> bool {
    let ApiError::Internal(err) = err else {
        return false;
    };
    let Some(sqlx::Error::Database(db)) = err.downcast_ref::<sqlx::Error>() else {
        return err.downcast_ref::<sqlx::Error>().is_none();
    };
    let code = db.code().unwrap_or_default();
    match code.parse::<i64>() {
        Ok(sqlite) => matches!(sqlite & 0xff, 18 | 19 | 20 | 25),
        Err(_) => ["22", "23", "54", "P0"]
            .iter()
            .any(|class| code.starts_with(class)),
    }
}

macro_rules! field_queue_ops {
    ($db:ty, $pool:ty, $claim_lock:expr) => {
        mod field_queue {
            use super::*;
            use crate::query::fields::FieldEntry;
            use crate::storage::field_queue::is_data_fault;

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

            /// How many descriptors wait for their field index rows.
            pub async fn fields_waiting(pool: &$pool) -> Result<u64, ApiError> {
                let waiting: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM descriptor_fields_pending")
                        .fetch_one(pool)
                        .await?;
                Ok(u64::try_from(waiting).unwrap_or(0))
            }

            /// Indexes the descriptors of the current extraction among up to `batch` waiting
            /// ones that are not parked (those of another extraction are the requeue's, at
            /// most a minute away); how many it indexed (0: none was waiting, or another
            /// catalogue holds them). A batch that cannot be written is written one at a
            /// time; a descriptor whose rows cannot be extracted, or are refused for what
            /// they hold (`is_data_fault`), is parked. Any other failure ends the round.
            pub async fn index_pending(
                pool: &$pool,
                batch: u32,
                parked: &mut crate::storage::Parked,
            ) -> Result<u64, ApiError> {
                // The batch is taken from the queue first (a subquery with a limit is not
                // flattened): joined the other way, PostgreSQL scans the descriptors in heap
                // order for queued ones, which are the newest, so every batch read the whole
                // table (measured: 490 descriptors/s indexed at 100,000).
                let mut read = QueryBuilder::<$db>::new(
                    "SELECT p.uuid, d.kind, p.created_at, d.body FROM \
                     (SELECT uuid, created_at FROM descriptor_fields_pending",
                );
                let skipped = parked.current();
                if !skipped.is_empty() {
                    read.push(" WHERE uuid NOT IN (");
                    let mut uuids = read.separated(", ");
                    for uuid in skipped {
                        uuids.push_bind(uuid);
                    }
                    read.push(")");
                }
                read.push(" LIMIT ").push_bind(i64::from(batch.max(1)));
                read.push(
                    ") AS p JOIN descriptors AS d ON d.uuid = p.uuid WHERE d.fields_version = ",
                );
                read.push_bind(FIELDS_VERSION);
                let waiting = read.build().fetch_all(pool).await?;
                let mut extracted = Vec::with_capacity(waiting.len());
                for row in &waiting {
                    match extract_row(row) {
                        Ok(e) => extracted.push(e),
                        Err(err) => parked.park(row.try_get("uuid")?, &err),
                    }
                }
                let err = match write_batch(pool, &extracted).await {
                    Ok(done) => return Ok(done),
                    Err(err) if !is_data_fault(&err) => return Err(err),
                    Err(err) => err,
                };
                if let [only] = &extracted[..] {
                    parked.park(only.uuid, &err);
                    return Ok(0);
                }
                tracing::warn!(%err, "a field index batch was refused: writing it one at a time");
                let mut done = 0;
                for e in &extracted {
                    match write_batch(pool, std::slice::from_ref(e)).await {
                        Ok(n) => done += n,
                        Err(err) if is_data_fault(&err) => parked.park(e.uuid, &err),
                        Err(err) => return Err(err),
                    }
                }
                Ok(done)
            }

            /// Claims the descriptors extracted and writes their rows, in one transaction;
            /// how many it claimed. The rollback on failure is awaited, not left to the
            /// dropped transaction: its row locks would otherwise outlive it until the
            /// connection is used again, and the one-at-a-time retry (`SKIP LOCKED`) would
            /// skip the descriptors it held.
            async fn write_batch(pool: &$pool, extracted: &[Extracted]) -> Result<u64, ApiError> {
                if extracted.is_empty() {
                    return Ok(0);
                }
                let (_writer, mut tx) = begin(pool).await?;
                match write_in(&mut tx, extracted).await {
                    Ok(claimed) => {
                        tx.commit().await?;
                        Ok(claimed)
                    }
                    Err(err) => {
                        if let Err(rollback) = tx.rollback().await {
                            tracing::warn!(%rollback, "rolling back a field index batch failed");
                        }
                        Err(err)
                    }
                }
            }

            async fn write_in(tx: &mut Tx, extracted: &[Extracted]) -> Result<u64, ApiError> {
                hold_off_requeue(tx).await?;
                let claimed = claim(tx, extracted).await?;
                let rows: Vec<(&Extracted, &FieldEntry)> = extracted
                    .iter()
                    .filter(|e| claimed.contains(&e.uuid))
                    .flat_map(|e| e.entries.iter().map(move |entry| (e, entry)))
                    .collect();
                for chunk in rows.chunks(1000) {
                    insert_rows(tx, chunk).await?;
                }
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
        pub use field_queue::{fields_waiting, index_pending};
        use field_queue::queue_for_index;
    };
}

pub(crate) use field_queue_ops;

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(err: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(err.into())
    }

    #[test]
    fn a_full_set_lets_the_oldest_go() {
        let mut parked = Parked::default();
        let err = internal(anyhow::anyhow!("refused"));
        let first = Uuid::new_v4();
        parked.park(first, &err);
        std::thread::sleep(Duration::from_millis(2));
        for _ in 1..Parked::MAX {
            parked.park(Uuid::new_v4(), &err);
        }
        let last = Uuid::new_v4();
        parked.park(last, &err);
        let current = parked.current();
        assert_eq!(current.len(), Parked::MAX);
        assert!(current.contains(&last));
        assert!(!current.contains(&first));
    }

    #[test]
    fn only_what_the_data_causes_is_a_data_fault() {
        assert!(is_data_fault(&internal(anyhow::anyhow!("bad json"))));
        assert!(!is_data_fault(&internal(sqlx::Error::PoolTimedOut)));
        assert!(!is_data_fault(&internal(sqlx::Error::WorkerCrashed)));
        assert!(!is_data_fault(&ApiError::Unavailable {
            what: "database",
            detail: String::new(),
        }));
    }
}
