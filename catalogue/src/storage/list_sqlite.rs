//! Descriptor lists on SQLite: rows of the kind stream in, conditions are evaluated in the
//! service (`query::matches`, the same semantics as the PostgreSQL jsonpath predicates).

use std::collections::HashMap;

use futures_util::TryStreamExt;
use shared_models::DescriptorKind;
use sqlx::SqlitePool;

use super::sqlite::{descriptor_row, DESCRIPTOR_COLUMNS};
use crate::{
    error::ApiError,
    model::DescriptorRow,
    query::{matches, ListQuery, Listing, Mode},
};

fn page<T>(items: Vec<T>, query: &ListQuery) -> Listing<T> {
    let total = items.len() as u64;
    let offset = usize::try_from(query.page.offset()).unwrap_or(usize::MAX);
    let size = usize::try_from(query.page.size).unwrap_or(usize::MAX);
    Listing::Items {
        items: items.into_iter().skip(offset).take(size).collect(),
        total,
    }
}

/// Newest version per (name, vendor), ties to the oldest record; newest versions first.
fn last_versions(rows: Vec<DescriptorRow>) -> Vec<DescriptorRow> {
    let mut best: HashMap<(String, String), DescriptorRow> = HashMap::new();
    for row in rows {
        let key = (row.name.clone(), row.vendor.clone());
        match best.get(&key) {
            Some(current) if current.version >= row.version => {}
            _ => {
                best.insert(key, row);
            }
        }
    }
    let mut latest: Vec<DescriptorRow> = best.into_values().collect();
    latest.sort_by(|a, b| {
        b.version
            .cmp(&a.version)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.vendor.cmp(&b.vendor))
    });
    latest
}

pub async fn list_descriptors(
    pool: &SqlitePool,
    kind: DescriptorKind,
    query: &ListQuery,
) -> Result<Listing<DescriptorRow>, ApiError> {
    let sql = format!("SELECT {DESCRIPTOR_COLUMNS} FROM descriptors WHERE kind = $1");
    let mut rows = sqlx::query(&sql).bind(kind.key()).fetch(pool);
    let mut matching = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let row = descriptor_row(&row)?;
        if matches(&row, &query.conditions) {
            matching.push(row);
        }
    }
    matching.sort_by_key(|row| (row.created_at, row.uuid));
    Ok(match query.mode {
        Mode::Count => Listing::Count(matching.len() as u64),
        Mode::List => page(matching, query),
        Mode::LastVersion => page(last_versions(matching), query),
    })
}
