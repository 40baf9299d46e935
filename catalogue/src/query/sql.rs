//! Conditions → SQL predicates, written once for both backends. Values are always bound;
//! field paths were validated against a strict identifier pattern. What differs per
//! backend (text collation, the text form of a uuid, descriptor paths) is in `Dialect`.

use chrono::{DateTime, Utc};
use sqlx::{Database, QueryBuilder};

use super::{Condition, IdentityField, MetaField, Op, Operand, Target};

/// What a backend does its own way.
pub trait Dialect: Database + Sized {
    /// Appended to a text column so strings compare by code point.
    const CODEPOINT_ORDER: &'static str;
    /// The uuid column as hyphenated lower-case text.
    const UUID_TEXT: &'static str;

    fn push_text(builder: &mut QueryBuilder<'_, Self>, value: String);
    fn push_int(builder: &mut QueryBuilder<'_, Self>, value: i64);
    fn push_time(builder: &mut QueryBuilder<'_, Self>, value: DateTime<Utc>);

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
    };
}
pub(crate) use plain_binds;

/// Appends ` AND <predicate>` for every condition.
pub fn push_conditions<DB: Dialect>(builder: &mut QueryBuilder<'_, DB>, conditions: &[Condition]) {
    for condition in conditions {
        builder.push(" AND ");
        push_condition(builder, condition);
    }
}

fn push_condition<DB: Dialect>(builder: &mut QueryBuilder<'_, DB>, condition: &Condition) {
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
        Target::Field(segments) => DB::push_descriptor(builder, segments, false, condition),
        Target::Deep(deep) => DB::push_descriptor(builder, &deep.segments, true, condition),
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
    builder.push("(false");
    for operand in operands {
        builder.push(" OR ");
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
