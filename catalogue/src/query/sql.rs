//! Conditions → SQL predicates, written once for both backends. Values are always bound;
//! field paths were validated against a strict identifier pattern. What differs per
//! backend (text collation, the text form of a uuid, descriptor paths) is in `Dialect`.

use chrono::{DateTime, Utc};
use shared_models::DescriptorKind;
use sqlx::{Database, QueryBuilder};

use super::{
    fields::{index_path, FieldValue, TEXT_LIMIT},
    Condition, IdentityField, MetaField, Op, Operand, Target,
};

/// What a backend does its own way.
pub trait Dialect: Database + Sized {
    /// Appended to a text column so strings compare by code point.
    const CODEPOINT_ORDER: &'static str;
    /// The uuid column as hyphenated lower-case text.
    const UUID_TEXT: &'static str;
    /// Ends a correlated `EXISTS (...)` that must be evaluated per row, never turned into a
    /// hashed set of every row it could match.
    const PER_ROW_EXISTS: &'static str;

    fn push_text(builder: &mut QueryBuilder<'_, Self>, value: String);
    fn push_int(builder: &mut QueryBuilder<'_, Self>, value: i64);
    fn push_time(builder: &mut QueryBuilder<'_, Self>, value: DateTime<Utc>);
    fn push_float(builder: &mut QueryBuilder<'_, Self>, value: f64);

    /// A predicate on the descriptor: a dotted path, or a deep key (`deep`: anywhere).
    fn push_descriptor(
        builder: &mut QueryBuilder<'_, Self>,
        segments: &[String],
        deep: bool,
        condition: &Condition,
    );
}

/// The `push_text` / `push_int` / `push_time` of a backend whose driver binds those types.
macro_rules! plain_binds {
    () => {
        fn push_text(builder: &mut sqlx::QueryBuilder<'_, Self>, value: String) {
            builder.push_bind(value);
        }

        fn push_int(builder: &mut sqlx::QueryBuilder<'_, Self>, value: i64) {
            builder.push_bind(value);
        }

        fn push_time(
            builder: &mut sqlx::QueryBuilder<'_, Self>,
            value: chrono::DateTime<chrono::Utc>,
        ) {
            builder.push_bind(value);
        }

        fn push_float(builder: &mut sqlx::QueryBuilder<'_, Self>, value: f64) {
            builder.push_bind(value);
        }
    };
}
pub(crate) use plain_binds;

/// Appends ` AND <predicate>` for every condition; descriptor paths from the field index
/// rows of `index` (the kind of the descriptors filtered; query/fields.rs) when given, else
/// evaluated on the documents.
pub fn push_conditions<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    conditions: &[Condition],
    index: Option<DescriptorKind>,
) {
    for condition in conditions {
        builder.push(" AND ");
        push_condition(builder, condition, index);
    }
}

fn push_condition<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    condition: &Condition,
    index: Option<DescriptorKind>,
) {
    match &condition.target {
        Target::Meta(field) => push_meta(builder, *field, condition),
        Target::Identity(field) => {
            let column = match field {
                IdentityField::Vendor => "vendor",
                IdentityField::Name => "name",
                IdentityField::Version => "version",
            };
            builder.push(format_args!("{column} = "));
            let value = condition.operands.first().map(|o| o.text.clone());
            DB::push_text(builder, value.unwrap_or_default());
        }
        Target::Field(segments) => match index {
            Some(kind) => push_path(builder, kind, segments, false, condition),
            None => DB::push_descriptor(builder, segments, false, condition),
        },
        Target::Deep(deep) => match index {
            Some(kind) => push_path(builder, kind, &deep.segments, true, condition),
            None => DB::push_descriptor(builder, &deep.segments, true, condition),
        },
    }
}

/// A descriptor path condition: from the field index (query/fields.rs) when it can answer
/// it, else evaluated on the documents. `Missing` and the paths the index does not hold
/// (`index_path`) are evaluated; so are the long strings the index only marks, and the
/// documents of the descriptors still queued for the indexer (ADR-30).
fn push_path<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    kind: DescriptorKind,
    segments: &[String],
    deep: bool,
    condition: &Condition,
) {
    let path = index_path(segments, deep).filter(|_| condition.op != Op::Missing);
    let Some(path) = path else {
        return DB::push_descriptor(builder, segments, deep, condition);
    };
    let positive = Condition {
        op: match condition.op {
            Op::Ne => Op::Eq,
            Op::Nin => Op::In,
            op => op,
        },
        ..condition.clone()
    };
    let negate = positive.op != condition.op;
    builder.push(if negate { "NOT (" } else { "(" });
    push_indexed_uuids(builder, kind, &path);
    builder.push(" AND (");
    push_index_terms(builder, &positive);
    builder.push("))");
    if may_match_long_text(&positive) {
        builder.push(" OR (");
        push_indexed_uuids(builder, kind, &path);
        builder.push(format_args!(" AND t = {}) AND ", FieldValue::LONG));
        DB::push_descriptor(builder, segments, deep, &positive);
        builder.push(")");
    }
    builder.push(" OR ");
    push_queued_match(builder, kind, segments, deep, &positive);
    builder.push(")");
}

/// `(<descriptor queued for the field indexer> AND <condition on its document>)`: the
/// descriptors the index has no rows for yet (ADR-30), never NULL.
pub fn push_queued_match<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    kind: DescriptorKind,
    segments: &[String],
    deep: bool,
    condition: &Condition,
) {
    builder.push("(descriptors.uuid IN (SELECT uuid FROM descriptor_fields_pending WHERE kind = ");
    DB::push_text(builder, kind.key().to_owned());
    builder.push(") AND COALESCE(");
    DB::push_descriptor(builder, segments, deep, condition);
    builder.push(", false))");
}

/// `descriptors.uuid IN (SELECT uuid FROM descriptor_fields WHERE kind = <kind> AND path =
/// <path> AND sole IN (false, true)` (open; `sole` named so both index prefixes apply).
fn push_indexed_uuids<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    kind: DescriptorKind,
    path: &str,
) {
    builder.push("descriptors.uuid IN (SELECT uuid FROM descriptor_fields WHERE kind = ");
    DB::push_text(builder, kind.key().to_owned());
    builder.push(" AND path = ");
    DB::push_text(builder, path.to_owned());
    builder.push(" AND sole IN (false, true)");
}

/// `<term> OR <term> ...` per operand reading, as the document evaluation compares: a string
/// with the text, a number with the number, a boolean (equality only) with the boolean;
/// `false` for none. No constant leads the terms: SQLite would not use the index for them.
fn push_index_terms<DB: Dialect>(builder: &mut QueryBuilder<'_, DB>, condition: &Condition) {
    let equality = matches!(condition.op, Op::Eq | Op::In);
    let (symbol, operands) = if equality {
        ("=", &condition.operands[..])
    } else {
        (
            ordering_symbol(condition.op),
            condition.operands.get(..1).unwrap_or_default(),
        )
    };
    let mut first = true;
    let mut separate = |builder: &mut QueryBuilder<'_, DB>| {
        if !std::mem::take(&mut first) {
            builder.push(" OR ");
        }
    };
    for operand in operands {
        if !equality || operand.text.len() <= TEXT_LIMIT {
            separate(builder);
            builder.push(format_args!("(t = {} AND text {symbol} ", FieldValue::TEXT));
            DB::push_text(builder, operand.text.clone());
            builder.push(")");
        }
        if let Some(n) = operand.number {
            separate(builder);
            builder.push(format_args!("num {symbol} "));
            DB::push_float(builder, n);
        }
        if let (Some(b), true) = (operand.boolean, equality) {
            separate(builder);
            builder.push(format_args!("(t = {} AND text = '{b}')", FieldValue::BOOL));
        }
    }
    if first {
        builder.push("false");
    }
}

/// Whether a string too long for the index could satisfy the condition.
fn may_match_long_text(condition: &Condition) -> bool {
    match condition.op {
        Op::Eq | Op::In => condition.operands.iter().any(|o| o.text.len() > TEXT_LIMIT),
        _ => true,
    }
}

/// The comparison operator of an ordering condition.
pub fn ordering_symbol(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Gte => ">=",
        Op::Lt => "<",
        _ => "<=",
    }
}

fn push_meta<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    field: MetaField,
    condition: &Condition,
) {
    let column = match field {
        MetaField::Uuid => DB::UUID_TEXT,
        MetaField::Status => "status",
        MetaField::Signature => "signature",
        MetaField::Username => "username",
        MetaField::Md5 => "md5",
        MetaField::Platform => "NULLIF(platform, '')",
        MetaField::PkgRef => "pkg_ref",
        MetaField::CreatedAt => "created_at",
        MetaField::UpdatedAt => "updated_at",
    };
    match condition.op {
        Op::Missing => {
            builder.push(format_args!("{column} IS NULL"));
        }
        Op::Eq | Op::In => push_any_equal(builder, field, column, &condition.operands),
        Op::Ne | Op::Nin => {
            builder.push("NOT COALESCE(");
            push_any_equal(builder, field, column, &condition.operands);
            builder.push(", false)");
        }
        op => match condition.operands.first() {
            Some(operand) => {
                push_meta_compare(builder, field, column, ordering_symbol(op), operand)
            }
            None => {
                builder.push("false");
            }
        },
    }
}

fn push_any_equal<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    field: MetaField,
    column: &str,
    operands: &[Operand],
) {
    if operands.is_empty() {
        builder.push("false");
        return;
    }
    builder.push("(");
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            builder.push(" OR ");
        }
        push_meta_compare(builder, field, column, "=", operand);
    }
    builder.push(")");
}

fn push_meta_compare<DB: Dialect>(
    builder: &mut QueryBuilder<'_, DB>,
    field: MetaField,
    column: &str,
    symbol: &str,
    operand: &Operand,
) {
    match field {
        MetaField::PkgRef => match operand.text.trim().parse::<i64>() {
            Ok(n) => {
                builder.push(format_args!("{column} {symbol} "));
                DB::push_int(builder, n);
            }
            Err(_) => {
                builder.push("false");
            }
        },
        MetaField::CreatedAt | MetaField::UpdatedAt => {
            match super::parse::parse_time(&operand.text) {
                Some(t) => {
                    builder.push(format_args!("{column} {symbol} "));
                    DB::push_time(builder, t);
                }
                None => {
                    builder.push("false");
                }
            }
        }
        _ => {
            builder.push(format_args!("{column}{} {symbol} ", DB::CODEPOINT_ORDER));
            DB::push_text(builder, operand.text.clone());
        }
    }
}
