//! Conditions → PostgreSQL predicates. Values are always bound; field paths were validated
//! against a strict identifier pattern and are quoted as jsonpath keys.

use serde_json::{json, Map, Value};
use sqlx::{Postgres, QueryBuilder};

use super::{Condition, IdentityField, MetaField, Op, Operand, Target};

/// Appends ` AND <predicate>` for every condition.
pub fn push_conditions(builder: &mut QueryBuilder<'_, Postgres>, conditions: &[Condition]) {
    for condition in conditions {
        builder.push(" AND ");
        push_condition(builder, condition);
    }
}

fn push_condition(builder: &mut QueryBuilder<'_, Postgres>, condition: &Condition) {
    match &condition.target {
        Target::Meta(field) => push_meta(builder, *field, condition),
        Target::Identity(field) => {
            let column = match field {
                IdentityField::Vendor => "vendor",
                IdentityField::Name => "name",
                IdentityField::Version => "version",
            };
            builder.push(format_args!("{column} = "));
            builder.push_bind(condition.operands.first().map(|o| o.text.clone()));
        }
        Target::Field(segments) => push_json_path(builder, &field_path(segments), condition),
        Target::Deep(deep) => push_json_path(
            builder,
            &format!("$.**{}", member_path(&deep.segments)),
            condition,
        ),
    }
}

/// `$."a"."b"[0]` from validated segments.
fn field_path(segments: &[String]) -> String {
    format!("${}", member_path(segments))
}

fn member_path(segments: &[String]) -> String {
    segments
        .iter()
        .map(|s| {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                format!("[{s}]")
            } else {
                format!(".\"{s}\"")
            }
        })
        .collect()
}

/// `jsonb_path_exists(descriptor, 'lax <path> ? (<filter>)', <vars>)`, negated for ne/nin/missing.
fn push_json_path(builder: &mut QueryBuilder<'_, Postgres>, path: &str, condition: &Condition) {
    let mut vars = Map::new();
    let (negate, filter) = match condition.op {
        Op::Missing => (true, "@ != null".to_owned()),
        Op::Eq | Op::In => (false, equality_filter(&condition.operands, &mut vars)),
        Op::Ne | Op::Nin => (true, equality_filter(&condition.operands, &mut vars)),
        op => (
            false,
            ordering_filter(op, condition.operands.first(), &mut vars),
        ),
    };
    if negate {
        builder.push("NOT ");
    }
    builder.push("jsonb_path_exists(descriptor, ");
    builder.push_bind(format!("lax {path} ? ({filter})"));
    builder.push("::jsonpath, ");
    builder.push_bind(sqlx::types::Json(Value::Object(vars)));
    builder.push(")");
}

fn equality_filter(operands: &[Operand], vars: &mut Map<String, Value>) -> String {
    let mut terms = Vec::new();
    for (i, operand) in operands.iter().enumerate() {
        terms.extend(operand_terms("==", i, operand, vars));
    }
    if terms.is_empty() {
        "false".to_owned()
    } else {
        terms.join(" || ")
    }
}

fn ordering_filter(op: Op, operand: Option<&Operand>, vars: &mut Map<String, Value>) -> String {
    let symbol = match op {
        Op::Gt => ">",
        Op::Gte => ">=",
        Op::Lt => "<",
        _ => "<=",
    };
    let terms: Vec<String> = operand
        .map(|o| {
            let mut o = o.clone();
            o.boolean = None;
            operand_terms(symbol, 0, &o, vars)
        })
        .unwrap_or_default();
    if terms.is_empty() {
        "false".to_owned()
    } else {
        terms.join(" || ")
    }
}

/// `@ <op> $s0 || @ <op> $n0 || @ <op> $b0`, registering the variables.
fn operand_terms(
    symbol: &str,
    i: usize,
    operand: &Operand,
    vars: &mut Map<String, Value>,
) -> Vec<String> {
    let mut terms = vec![format!("@ {symbol} $s{i}")];
    vars.insert(format!("s{i}"), json!(operand.text));
    if let Some(n) = operand.number {
        terms.push(format!("@ {symbol} $n{i}"));
        vars.insert(format!("n{i}"), json!(n));
    }
    if let Some(b) = operand.boolean {
        terms.push(format!("@ {symbol} $b{i}"));
        vars.insert(format!("b{i}"), json!(b));
    }
    terms
}

fn push_meta(builder: &mut QueryBuilder<'_, Postgres>, field: MetaField, condition: &Condition) {
    let column = match field {
        MetaField::Uuid => "CAST(uuid AS TEXT)",
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
        op => {
            let symbol = match op {
                Op::Gt => ">",
                Op::Gte => ">=",
                Op::Lt => "<",
                _ => "<=",
            };
            match condition.operands.first() {
                Some(operand) => push_meta_compare(builder, field, column, symbol, operand),
                None => {
                    builder.push("false");
                }
            }
        }
    }
}

fn push_any_equal(
    builder: &mut QueryBuilder<'_, Postgres>,
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

fn push_meta_compare(
    builder: &mut QueryBuilder<'_, Postgres>,
    field: MetaField,
    column: &str,
    symbol: &str,
    operand: &Operand,
) {
    match field {
        MetaField::PkgRef => match operand.text.trim().parse::<i64>() {
            Ok(n) => {
                builder.push(format_args!("{column} {symbol} "));
                builder.push_bind(n);
            }
            Err(_) => {
                builder.push("false");
            }
        },
        MetaField::CreatedAt | MetaField::UpdatedAt => {
            match super::parse::parse_time(&operand.text) {
                Some(t) => {
                    builder.push(format_args!("{column} {symbol} "));
                    builder.push_bind(t);
                }
                None => {
                    builder.push("false");
                }
            }
        }
        _ => {
            builder.push(format_args!("{column} COLLATE \"C\" {symbol} "));
            builder.push_bind(operand.text.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_every_key_and_index_digits() {
        let segments = vec!["a".to_owned(), "0".to_owned(), "b-c".to_owned()];
        assert_eq!(field_path(&segments), "$.\"a\"[0].\"b-c\"");
    }
}
