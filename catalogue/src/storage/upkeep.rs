//! Table upkeep on a PostgreSQL server that runs without autovacuum (ADR-25).
//!
//! The catalogue's plans lean on planner statistics and on the visibility map: counts, field
//! filters and list pages are index-only scans (ADR-24), and the count-delta table is filled
//! and emptied every second. A server with `autovacuum = off` refreshes neither: the planner
//! keeps the estimates of the empty tables of the migrations, every index-only scan visits
//! the heap, and the dead rows of the delta table pile up. When the server's autovacuum is
//! off, [`upkeep`] applies autovacuum's default rules to the catalogue's own tables; when it
//! is on, it does nothing.

use sqlx::{Connection, Executor, PgPool, Row};

use crate::error::ApiError;

/// The tables of the current schema due for `VACUUM` or `ANALYZE` by autovacuum's default
/// thresholds (`autovacuum_vacuum_threshold` 50 + 20 % of the rows for dead rows,
/// `autovacuum_vacuum_insert_threshold` 1000 + 20 % for inserts,
/// `autovacuum_analyze_threshold` 50 + 10 % for changes), or nothing when the server's own
/// autovacuum runs.
const TABLES_DUE: &str = "\
    SELECT name, vacuum_due AS vacuum FROM ( \
      SELECT quote_ident(s.relname) AS name, \
             s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0) \
               OR s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0) AS vacuum_due, \
             s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) AS analyze_due \
      FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
      WHERE s.schemaname = current_schema() AND current_setting('autovacuum') = 'off' \
    ) due \
    WHERE vacuum_due OR analyze_due \
    ORDER BY name";

/// The session advisory lock of the upkeep: one catalogue at a time does it.
const UPKEEP_LOCK: i64 = 0x534f_4e41_5442;

/// What one round did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUpkeep {
    /// The table's name as an SQL identifier (`quote_ident`).
    pub table: String,
    /// `VACUUM (ANALYZE)` when true, `ANALYZE` alone otherwise.
    pub vacuumed: bool,
}

/// Vacuums and analyses the tables that are due; returns what it did (nothing when the
/// server's autovacuum is on, nothing is due, or another catalogue holds the upkeep).
pub async fn upkeep(pool: &PgPool) -> Result<Vec<TableUpkeep>, ApiError> {
    let due: Vec<TableUpkeep> = sqlx::query(TABLES_DUE)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(TableUpkeep {
                table: row.try_get("name")?,
                vacuumed: row.try_get("vacuum")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    if due.is_empty() {
        return Ok(due);
    }
    // VACUUM runs outside a transaction, so the lock is a session lock: the connection leaves
    // the pool and is closed afterwards, which releases the lock on every path.
    let mut conn = pool.acquire().await?.detach();
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(UPKEEP_LOCK)
        .fetch_one(&mut conn)
        .await?;
    if !ours {
        return Ok(Vec::new());
    }
    // Autovacuum's own pace, so that a vacuum of a large table does not starve the requests.
    conn.execute("SET vacuum_cost_delay = '2ms'; SET vacuum_cost_limit = 200")
        .await?;
    for table in &due {
        let name = &table.table;
        let statement = if table.vacuumed {
            format!("VACUUM (ANALYZE) {name}")
        } else {
            format!("ANALYZE {name}")
        };
        conn.execute(statement.as_str()).await?;
    }
    conn.close().await?;
    Ok(due)
}
