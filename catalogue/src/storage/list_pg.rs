//! Descriptor lists on PostgreSQL: the whole query runs in SQL, with bound values.

use shared_models::DescriptorKind;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::pg::{descriptor_row, DESCRIPTOR_COLUMNS};
use crate::{
    error::ApiError,
    model::DescriptorRow,
    query::{pg::push_conditions, ListQuery, Listing, Mode},
};

fn filtered<'a>(
    select: &str,
    kind: DescriptorKind,
    query: &ListQuery,
) -> QueryBuilder<'a, Postgres> {
    let mut builder = QueryBuilder::new(format!("{select} FROM descriptors WHERE kind = "));
    builder.push_bind(kind.key());
    push_conditions(&mut builder, &query.conditions);
    builder
}

/// Newest version per (name, vendor), ties to the oldest record.
fn last_versions<'a>(kind: DescriptorKind, query: &ListQuery) -> QueryBuilder<'a, Postgres> {
    let mut builder = QueryBuilder::new("SELECT * FROM (");
    builder.push(format_args!(
        "SELECT DISTINCT ON (name, vendor) {DESCRIPTOR_COLUMNS} FROM descriptors WHERE kind = "
    ));
    builder.push_bind(kind.key());
    push_conditions(&mut builder, &query.conditions);
    builder.push(" ORDER BY name, vendor, version COLLATE \"C\" DESC, created_at, uuid) AS latest");
    builder
}

fn limit_offset(builder: &mut QueryBuilder<'_, Postgres>, query: &ListQuery) {
    builder.push(" LIMIT ");
    builder.push_bind(i64::try_from(query.page.size).unwrap_or(i64::MAX));
    builder.push(" OFFSET ");
    builder.push_bind(i64::try_from(query.page.offset()).unwrap_or(i64::MAX));
}

pub async fn list_descriptors(
    pool: &PgPool,
    kind: DescriptorKind,
    query: &ListQuery,
) -> Result<Listing<DescriptorRow>, ApiError> {
    let (total, mut select) = match query.mode {
        Mode::Count | Mode::List => {
            let total: i64 = filtered("SELECT count(*)", kind, query)
                .build_query_scalar()
                .fetch_one(pool)
                .await?;
            if query.mode == Mode::Count {
                return Ok(Listing::Count(u64::try_from(total).unwrap_or(0)));
            }
            let mut select = filtered(&format!("SELECT {DESCRIPTOR_COLUMNS}"), kind, query);
            select.push(" ORDER BY created_at, uuid");
            (total, select)
        }
        Mode::LastVersion => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM (");
            count.push("SELECT DISTINCT name, vendor FROM descriptors WHERE kind = ");
            count.push_bind(kind.key());
            push_conditions(&mut count, &query.conditions);
            count.push(") AS groups");
            let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
            let mut select = last_versions(kind, query);
            select.push(
                " ORDER BY version COLLATE \"C\" DESC, name COLLATE \"C\", vendor COLLATE \"C\"",
            );
            (total, select)
        }
    };
    limit_offset(&mut select, query);
    let rows = select.build().fetch_all(pool).await?;
    Ok(Listing::Items {
        items: rows.iter().map(descriptor_row).collect::<Result<_, _>>()?,
        total: u64::try_from(total).unwrap_or(0),
    })
}
