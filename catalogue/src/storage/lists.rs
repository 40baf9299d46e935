//! Descriptor list queries (count, one page, `version=last`), written once and expanded for
//! each backend inside `backend_ops!` (storage/backend.rs), whose items they use. A list whose
//! only filter is one indexed field condition is answered from the field index alone
//! (query/scan.rs, ADR-24); every other list runs the general conditions (query/sql.rs). A
//! deep page of an unfiltered list starts from the nearest kept position (storage/positions.rs),
//! which the count fold here keeps.

macro_rules! list_ops {
    ($db:ty, $pool:ty, $codepoint:expr) => {
        mod lists {
            use super::*;
            use crate::query::{
                owner::OwnerFilter,
                push_conditions,
                scan::{FieldScan, IndexedFilter},
                Condition, ListQuery, Listing, Mode, Page, Target,
            };
            use crate::storage::positions::{anchor_gap, upkeep, Upkeep};
            use chrono::{DateTime, Utc};

            /// An anchor: a list-order key and its position (records before it).
            type Anchor = (DateTime<Utc>, Uuid, i64);

            /// The anchors of a kind in list order, positioned as of the caller's snapshot:
            /// the folded `n_before` plus the deltas not folded yet before each.
            async fn anchors<'c, E>(executor: E, kind: DescriptorKind) -> Result<Vec<Anchor>, ApiError>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                Ok(sqlx::query_as(
                    "SELECT a.created_at, a.uuid, a.n_before + COALESCE((SELECT sum(r.d) \
                     FROM row_count_deltas AS r WHERE r.name = $1 \
                     AND (r.created_at, r.uuid) < (a.created_at, a.uuid)), 0) \
                     FROM list_anchors AS a WHERE a.kind = $2 ORDER BY a.created_at, a.uuid",
                )
                .bind(format!("descriptors:{}", kind.key()))
                .bind(kind.key())
                .fetch_all(executor)
                .await?)
            }

            /// An unfiltered page at or past the first anchor: from the nearest anchor before
            /// it, the anchors and the page read in one snapshot.
            async fn anchored_page(
                pool: &$pool,
                kind: DescriptorKind,
                page: Page,
            ) -> Result<Vec<DbRow>, ApiError> {
                let begin = if <$db as sqlx::Database>::NAME == "PostgreSQL" {
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                } else {
                    "BEGIN"
                };
                let mut tx = pool.begin_with(begin).await?;
                let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
                // Without pending deltas the kept positions are exact as they are. (Asked in
                // list order so PostgreSQL reads the index: the fold empties the delta table,
                // but its heap and statistics stay as large as its busiest second.)
                let pending: Option<i32> = sqlx::query_scalar(
                    "SELECT d FROM row_count_deltas WHERE name = $1 \
                     ORDER BY name, created_at, uuid LIMIT 1",
                )
                .bind(format!("descriptors:{}", kind.key()))
                .fetch_optional(&mut *tx)
                .await?;
                let kept = if pending.is_some() {
                    anchors(&mut *tx, kind).await?
                } else {
                    sqlx::query_as(
                        "SELECT created_at, uuid, n_before FROM list_anchors WHERE kind = $1 \
                         ORDER BY created_at, uuid",
                    )
                    .bind(kind.key())
                    .fetch_all(&mut *tx)
                    .await?
                };
                let nearest = kept
                    .into_iter()
                    .take_while(|(_, _, position)| *position <= offset)
                    .last();
                let mut select = rows_of_page();
                select.push("SELECT uuid FROM descriptors WHERE kind = ");
                select.push_bind(kind.key());
                let skip = match nearest {
                    Some((created_at, uuid, position)) => {
                        select.push(" AND (created_at, uuid) >= (");
                        select.push_bind(created_at);
                        select.push(", ");
                        select.push_bind(uuid);
                        select.push(")");
                        offset - position
                    }
                    None => offset,
                };
                select.push(" ORDER BY created_at, uuid LIMIT ");
                select.push_bind(i64::try_from(page.size).unwrap_or(i64::MAX));
                select.push(" OFFSET ");
                select.push_bind(skip);
                select.push(") ORDER BY created_at, uuid");
                let rows = select.build().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok(rows)
            }

            /// Folds the count deltas into the kept counts and keeps the anchors, in the
            /// caller's transaction, which must be the only fold and read one snapshot
            /// (SQLite: the writer; PostgreSQL: repeatable read under the fold lock).
            pub async fn fold_in(tx: &mut Tx) -> Result<u64, ApiError> {
                // The anchors move by the deltas before them.
                sqlx::query(
                    "UPDATE list_anchors SET n_before = n_before + (SELECT sum(r.d) \
                     FROM row_count_deltas AS r WHERE r.name = 'descriptors:' || list_anchors.kind \
                     AND (r.created_at, r.uuid) < (list_anchors.created_at, list_anchors.uuid)) \
                     WHERE EXISTS (SELECT 1 FROM row_count_deltas AS r \
                     WHERE r.name = 'descriptors:' || list_anchors.kind \
                     AND (r.created_at, r.uuid) < (list_anchors.created_at, list_anchors.uuid))",
                )
                .execute(&mut **tx)
                .await?;
                let done = sqlx::query(
                    "INSERT INTO row_counts (name, n) SELECT name, sum(d) FROM row_count_deltas \
                     WHERE true GROUP BY name \
                     ON CONFLICT (name) DO UPDATE SET n = row_counts.n + excluded.n",
                )
                .execute(&mut **tx)
                .await?;
                sqlx::query("DELETE FROM row_count_deltas")
                    .execute(&mut **tx)
                    .await?;
                fold_owner_counts(tx).await?;
                let kinds: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT name, n FROM row_counts WHERE name LIKE 'descriptors:%'",
                )
                .fetch_all(&mut **tx)
                .await?;
                let gap = anchor_gap();
                for (name, records) in kinds {
                    let Some(kind) = name.strip_prefix("descriptors:").and_then(kind_from_key) else {
                        continue;
                    };
                    let kept = anchors(&mut **tx, kind).await?;
                    let positions: Vec<i64> = kept.iter().map(|a| a.2).collect();
                    let ranked = "SELECT kind, created_at, uuid, \
                        row_number() OVER (ORDER BY created_at, uuid) - 1 AS pos \
                        FROM descriptors WHERE kind = $1";
                    match upkeep(records, &positions, gap) {
                        Upkeep::Keep => {}
                        Upkeep::Rebuild => {
                            sqlx::query("DELETE FROM list_anchors WHERE kind = $1")
                                .bind(kind.key())
                                .execute(&mut **tx)
                                .await?;
                            sqlx::query(&format!(
                                "INSERT INTO list_anchors (kind, created_at, uuid, n_before) \
                                 SELECT kind, created_at, uuid, pos FROM ({ranked}) AS ranked \
                                 WHERE pos > 0 AND pos % $2 = 0"
                            ))
                            .bind(kind.key())
                            .bind(gap)
                            .execute(&mut **tx)
                            .await?;
                        }
                        Upkeep::Extend => {
                            let Some((created_at, uuid, position)) = kept.last().cloned() else {
                                continue;
                            };
                            // Positions from the last anchor's key on (its record may be gone).
                            sqlx::query(&format!(
                                "INSERT INTO list_anchors (kind, created_at, uuid, n_before) \
                                 SELECT kind, created_at, uuid, $4 + pos FROM ({ranked} \
                                 AND (created_at, uuid) >= ($2, $3)) AS ranked \
                                 WHERE pos > 0 AND pos % $5 = 0"
                            ))
                            .bind(kind.key())
                            .bind(created_at)
                            .bind(uuid)
                            .bind(position)
                            .bind(gap)
                            .execute(&mut **tx)
                            .await?;
                        }
                    }
                }
                Ok(done.rows_affected())
            }

            /// Folds the deltas of the counts per (kind, status, username) (ADR-28), in the
            /// caller's fold transaction; counts that reached zero are dropped.
            async fn fold_owner_counts(tx: &mut Tx) -> Result<(), ApiError> {
                sqlx::query(
                    "INSERT INTO owner_counts (kind, status, named, username, n) \
                     SELECT kind, status, named, username, sum(d) FROM owner_count_deltas \
                     WHERE true GROUP BY kind, status, named, username \
                     ON CONFLICT (kind, status, named, username) \
                     DO UPDATE SET n = owner_counts.n + excluded.n",
                )
                .execute(&mut **tx)
                .await?;
                sqlx::query("DELETE FROM owner_count_deltas")
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("DELETE FROM owner_counts WHERE n = 0")
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// The records of a `status=` / `username=` list from the kept counts (ADR-28):
            /// the folded base plus the deltas not folded yet, in one statement.
            async fn count_owned(
                pool: &$pool,
                kind: DescriptorKind,
                filter: &OwnerFilter,
            ) -> Result<i64, ApiError> {
                let mut count = QueryBuilder::<$db>::new("SELECT CAST(COALESCE((SELECT sum(n) FROM owner_counts");
                push_owner_filter(&mut count, kind, filter);
                count.push("), 0) + COALESCE((SELECT sum(d) FROM owner_count_deltas");
                push_owner_filter(&mut count, kind, filter);
                count.push("), 0) AS BIGINT)");
                Ok(count.build_query_scalar().fetch_one(pool).await?)
            }

            fn push_owner_filter(
                builder: &mut QueryBuilder<'_, $db>,
                kind: DescriptorKind,
                filter: &OwnerFilter,
            ) {
                builder.push(" WHERE kind = ");
                builder.push_bind(kind.key());
                if let Some(status) = &filter.status {
                    builder.push(" AND status = ");
                    builder.push_bind(status.clone());
                }
                if let Some(username) = &filter.username {
                    builder.push(" AND named AND username = ");
                    builder.push_bind(username.clone());
                }
            }

            /// `SELECT <select> FROM descriptors WHERE kind = ? AND <conditions>`.
            fn filtered<'a>(
                select: &str,
                kind: DescriptorKind,
                query: &ListQuery,
            ) -> QueryBuilder<'a, $db> {
                let mut builder =
                    QueryBuilder::new(format!("{select} FROM descriptors WHERE kind = "));
                builder.push_bind(kind.key());
                let index = query.field_index.then_some(kind);
                push_conditions(&mut builder, &query.conditions, index);
                builder
            }

            fn limit_offset(builder: &mut QueryBuilder<'_, $db>, page: Page) {
                builder.push(" LIMIT ");
                builder.push_bind(i64::try_from(page.size).unwrap_or(i64::MAX));
                builder.push(" OFFSET ");
                builder.push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
            }

            /// The newest version per (name, vendor), ties to the oldest record; newest
            /// first. Filters on the group's name and vendor only read the kept picks
            /// (`descriptor_latest`); other filters change the pick, so the window ranks the
            /// matching rows over the narrow index columns, and the page of picked uuids then
            /// fetches its full rows.
            fn last_versions<'a>(kind: DescriptorKind, query: &ListQuery) -> QueryBuilder<'a, $db> {
                let c = $codepoint;
                let order = format!("ORDER BY version{c} DESC, name{c}, vendor{c}");
                let mut builder = if only_group_filters(&query.conditions) {
                    let mut picks = QueryBuilder::new(format!(
                        "SELECT {DESCRIPTOR_COLUMNS} FROM descriptors WHERE uuid IN \
                         (SELECT uuid FROM descriptor_latest WHERE kind = "
                    ));
                    picks.push_bind(kind.key());
                    push_conditions(&mut picks, &query.conditions, None);
                    picks.push(format_args!(" {order}"));
                    picks
                } else {
                    let ranked = format!(
                        "SELECT {DESCRIPTOR_COLUMNS} FROM descriptors WHERE uuid IN (SELECT uuid \
                         FROM (SELECT uuid, name, vendor, version, ROW_NUMBER() OVER (PARTITION \
                         BY name{c}, vendor{c} ORDER BY version{c} DESC, created_at, uuid) AS pick"
                    );
                    let mut builder = filtered(&ranked, kind, query);
                    builder.push(format_args!(") AS ranked WHERE pick = 1 {order}"));
                    builder
                };
                limit_offset(&mut builder, query.page);
                builder.push(format_args!(") {order}"));
                builder
            }

            /// Whether every condition is an equality on the vendor or the name.
            fn only_group_filters(conditions: &[Condition]) -> bool {
                use crate::query::IdentityField::{Name, Vendor};
                conditions
                    .iter()
                    .all(|c| matches!(c.target, Target::Identity(Vendor | Name)))
            }

            async fn count_last_versions(
                pool: &$pool,
                kind: DescriptorKind,
                query: &ListQuery,
            ) -> Result<i64, ApiError> {
                if query.conditions.is_empty() {
                    return counted(pool, &format!("latest:{}", kind.key())).await;
                }
                let mut count = if only_group_filters(&query.conditions) {
                    let mut count =
                        QueryBuilder::new("SELECT count(*) FROM descriptor_latest WHERE kind = ");
                    count.push_bind(kind.key());
                    push_conditions(&mut count, &query.conditions, None);
                    count
                } else {
                    let mut count = filtered(
                        "SELECT count(*) FROM (SELECT DISTINCT name, vendor",
                        kind,
                        query,
                    );
                    count.push(") AS groups");
                    count
                };
                Ok(count.build_query_scalar().fetch_one(pool).await?)
            }

            /// The single field filter of the query when the field index answers it alone.
            async fn indexed_filter(
                pool: &$pool,
                kind: DescriptorKind,
                query: &ListQuery,
            ) -> Result<Option<IndexedFilter>, ApiError> {
                let Some(filter) = IndexedFilter::of(kind, query) else {
                    return Ok(None);
                };
                if filter.needs_no_long_rows() {
                    let mut long = QueryBuilder::<$db>::new("");
                    filter.push_long_rows(&mut long);
                    let found: bool = long.build_query_scalar().fetch_one(pool).await?;
                    if found {
                        return Ok(None);
                    }
                }
                Ok(Some(filter))
            }

            async fn count_indexed(pool: &$pool, filter: &IndexedFilter) -> Result<i64, ApiError> {
                if filter.matches_nothing() {
                    return Ok(0);
                }
                let mut count = QueryBuilder::<$db>::new("");
                filter.push_count(&mut count);
                Ok(count.build_query_scalar().fetch_one(pool).await?)
            }

            /// The records matching the filters: counted from the kept counts when
            /// unfiltered or filtered by status and owner only, from the field index alone
            /// for one indexed field filter.
            async fn count_matches(
                pool: &$pool,
                kind: DescriptorKind,
                query: &ListQuery,
            ) -> Result<i64, ApiError> {
                if query.conditions.is_empty() {
                    return counted(pool, &format!("descriptors:{}", kind.key())).await;
                }
                if let Some(owner) = OwnerFilter::of(&query.conditions) {
                    return count_owned(pool, kind, &owner).await;
                }
                if let Some(filter) = indexed_filter(pool, kind, query).await? {
                    return count_indexed(pool, &filter).await;
                }
                Ok(filtered("SELECT count(*)", kind, query)
                    .build_query_scalar()
                    .fetch_one(pool)
                    .await?)
            }

            /// `SELECT <columns> FROM descriptors WHERE uuid IN (` (open).
            fn rows_of_page<'a>() -> QueryBuilder<'a, $db> {
                QueryBuilder::new(format!(
                    "SELECT {DESCRIPTOR_COLUMNS} FROM descriptors WHERE uuid IN ("
                ))
            }

            /// One page in list order. The page's uuids come from the list-order index alone
            /// (skipping an offset there reads no records); only they fetch their rows.
            fn list_page<'a>(kind: DescriptorKind, query: &ListQuery) -> QueryBuilder<'a, $db> {
                let mut select = filtered(
                    &format!(
                        "SELECT {DESCRIPTOR_COLUMNS} FROM descriptors WHERE uuid IN (SELECT uuid"
                    ),
                    kind,
                    query,
                );
                select.push(" ORDER BY created_at, uuid");
                limit_offset(&mut select, query.page);
                select.push(") ORDER BY created_at, uuid");
                select
            }

            /// The count and the rows of one page of a list (not `version=last`). Where the
            /// page does not depend on the count, the two run at once, on two connections.
            async fn count_and_page(
                pool: &$pool,
                kind: DescriptorKind,
                query: &ListQuery,
            ) -> Result<(i64, Vec<DbRow>), ApiError> {
                let Some(filter) = indexed_filter(pool, kind, query).await? else {
                    return tokio::try_join!(
                        count_matches(pool, kind, query),
                        fetch_page(pool, list_page(kind, query))
                    );
                };
                if !filter.page_needs_count() && query.field_scan != FieldScan::ListOrder {
                    let mut select = rows_of_page();
                    filter.push_page_from_matches(&mut select, query.page);
                    select.push(") ORDER BY created_at, uuid");
                    return tokio::try_join!(count_indexed(pool, &filter), fetch_page(pool, select));
                }
                let total = count_indexed(pool, &filter).await?;
                let matches = u64::try_from(total).unwrap_or(0);
                if matches <= query.page.offset() {
                    return Ok((total, Vec::new()));
                }
                let records = counted(pool, &format!("descriptors:{}", kind.key())).await?;
                let records = u64::try_from(records).unwrap_or(0);
                let mut select = rows_of_page();
                if filter.walk_list_order(query.field_scan, matches, records, query.page) {
                    filter.push_page_from_list_order(&mut select, query.page);
                } else {
                    filter.push_page_from_matches(&mut select, query.page);
                }
                select.push(") ORDER BY created_at, uuid");
                Ok((total, fetch_page(pool, select).await?))
            }

            /// The rows a page query selects.
            async fn fetch_page(
                pool: &$pool,
                mut select: QueryBuilder<'_, $db>,
            ) -> Result<Vec<DbRow>, ApiError> {
                Ok(select.build().fetch_all(pool).await?)
            }

            /// A list query, run entirely in SQL: count, one page, or the last versions.
            pub async fn list_descriptors(
                pool: &$pool,
                kind: DescriptorKind,
                query: &ListQuery,
            ) -> Result<Listing<DescriptorRow>, ApiError> {
                let (total, rows) = match query.mode {
                    Mode::Count => {
                        let total = count_matches(pool, kind, query).await?;
                        return Ok(Listing::Count(u64::try_from(total).unwrap_or(0)));
                    }
                    Mode::List
                        if query.conditions.is_empty()
                            && i64::try_from(query.page.offset()).unwrap_or(i64::MAX)
                                >= anchor_gap() =>
                    {
                        let name = format!("descriptors:{}", kind.key());
                        tokio::try_join!(counted(pool, &name), anchored_page(pool, kind, query.page))?
                    }
                    Mode::List => count_and_page(pool, kind, query).await?,
                    Mode::LastVersion => tokio::try_join!(
                        count_last_versions(pool, kind, query),
                        fetch_page(pool, last_versions(kind, query))
                    )?,
                };
                Ok(Listing::Items {
                    items: rows.iter().map(descriptor_row).collect::<Result<_, _>>()?,
                    total: u64::try_from(total).unwrap_or(0),
                })
            }
        }
        pub use lists::list_descriptors;
    };
}

pub(crate) use list_ops;
