//! The SQLite dialect: descriptor paths followed with `json_each` in SQL, with the lax
//! semantics of the PostgreSQL jsonpath predicates: member access unwraps an array (its
//! object elements), a digit segment indexes an array (`0` on a non-array is the value
//! itself), the values found are unwrapped one level, and a value that is still an array is
//! compared through its elements (lax comparison).
//! Strings compare by code point (SQLite's BINARY collation on UTF-8), a value that reads as
//! a number or boolean also matches numbers or booleans.

use sqlx::{QueryBuilder, Sqlite};

use super::{
    sql::{ordering_symbol, Dialect},
    Condition, Op, Operand,
};

/// `uuid` is stored as 16 bytes; this is its hyphenated lower-case text.
const UUID_TEXT: &str = "lower(substr(hex(uuid), 1, 8) || '-' || substr(hex(uuid), 9, 4) || '-' \
    || substr(hex(uuid), 13, 4) || '-' || substr(hex(uuid), 17, 4) || '-' || substr(hex(uuid), 21))";

impl Dialect for Sqlite {
    const CODEPOINT_ORDER: &'static str = "";
    const UUID_TEXT: &'static str = UUID_TEXT;
    /// SQLite runs a correlated `EXISTS` per row.
    const PER_ROW_EXISTS: &'static str = "";

    crate::query::sql::plain_binds!();

    fn push_descriptor(
        builder: &mut QueryBuilder<'_, Self>,
        segments: &[String],
        deep: bool,
        condition: &Condition,
    ) {
        let negate = matches!(condition.op, Op::Ne | Op::Nin | Op::Missing);
        builder.push(if negate { "NOT (" } else { "(" });
        push_text_prefilter(builder, condition);
        builder.push("EXISTS (SELECT 1 FROM ");
        let (first, tail) = segments
            .split_first()
            .map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
        let (mut value, rest) = if deep {
            // `.**.<first>`: every member named <first>, anywhere (array elements have
            // numeric keys, so only object members match).
            builder.push("json_tree(descriptors.body) AS n, ");
            ("(descriptors.body -> n.fullkey)".to_owned(), tail)
        } else if first.bytes().all(|b| b.is_ascii_digit()) {
            // An index on the root (the root itself for 0).
            ("descriptors.body".to_owned(), segments)
        } else {
            // The root is an object: its member, no unwrapping needed.
            (format!("(descriptors.body -> '{}')", member(first)), tail)
        };
        for (i, segment) in rest.iter().enumerate() {
            value = push_step(builder, &value, segment, i);
        }
        // A value that is still an array is compared through its elements (lax comparison).
        builder.push(format_args!("json_each({}) AS f WHERE ", as_array(&value)));
        if deep {
            builder.push("n.key = ");
            builder.push_bind(first.to_owned());
            builder.push(" AND ");
        }
        builder.push("((f.type <> 'array' AND ");
        push_found_filter(builder, condition, "f");
        builder.push(
            ") OR (f.type = 'array' AND EXISTS (SELECT 1 FROM json_each(f.value) AS g WHERE ",
        );
        push_found_filter(builder, condition, "g");
        builder.push(")))))");
    }
}

/// The jsonpath of an object member (segments are identifiers of [A-Za-z0-9_:-], see
/// parse.rs, so they are safe inside the quoted key and the SQL literal).
fn member(segment: &str) -> String {
    format!("$.\"{segment}\"")
}

/// For an equality on text operands only: `(instr(body, '"<text>"') > 0 OR ...) AND `. The
/// stored body is serde_json's serialisation, so a string value equal to an operand appears
/// in it as the operand's JSON literal; this cheap test skips most rows before any JSON is
/// parsed.
fn push_text_prefilter(builder: &mut QueryBuilder<'_, Sqlite>, condition: &Condition) {
    let equality = matches!(condition.op, Op::Eq | Op::In | Op::Ne | Op::Nin);
    let text_only = condition
        .operands
        .iter()
        .all(|o| o.number.is_none() && o.boolean.is_none());
    if !equality || !text_only || condition.operands.is_empty() {
        return;
    }
    builder.push("(false");
    for operand in &condition.operands {
        builder.push(" OR instr(descriptors.body, ");
        builder.push_bind(serde_json::Value::String(operand.text.clone()).to_string());
        builder.push(") > 0");
    }
    builder.push(") AND ");
}

/// A JSON value as an array to iterate: itself when it is one, else wrapped.
fn as_array(value: &str) -> String {
    format!(
        "CASE WHEN json_type({value}) = 'array' THEN {value} ELSE json_array(json({value})) END"
    )
}

/// One path step from `value` (JSON text or NULL); returns the expression of the result.
fn push_step(
    builder: &mut QueryBuilder<'_, Sqlite>,
    value: &str,
    segment: &str,
    i: usize,
) -> String {
    if segment.bytes().all(|b| b.is_ascii_digit()) {
        let otherwise = if segment.trim_start_matches('0').is_empty() {
            value
        } else {
            "NULL"
        };
        return format!(
            "(CASE WHEN json_type({value}) = 'array' THEN {value} -> '$[{segment}]' ELSE {otherwise} END)"
        );
    }
    builder.push(format_args!("json_each({}) AS u{i}, ", as_array(value)));
    format!(
        "(CASE WHEN u{i}.type = 'object' THEN u{i}.value -> '{}' END)",
        member(segment)
    )
}

/// The filter on a value found (`v`): any equal, any in order, or not null (for missing).
fn push_found_filter(builder: &mut QueryBuilder<'_, Sqlite>, condition: &Condition, v: &str) {
    let (symbol, operands) = match condition.op {
        Op::Missing => {
            builder.push(format_args!("{v}.type <> 'null'"));
            return;
        }
        Op::Eq | Op::In | Op::Ne | Op::Nin => ("=", &condition.operands[..]),
        op => (
            ordering_symbol(op),
            condition.operands.get(..1).unwrap_or_default(),
        ),
    };
    builder.push("(false");
    for operand in operands {
        push_operand_terms(builder, symbol, operand, v);
    }
    builder.push(")");
}

/// ` OR <text term> [OR <number term>] [OR <boolean term>]`.
fn push_operand_terms(
    builder: &mut QueryBuilder<'_, Sqlite>,
    symbol: &str,
    operand: &Operand,
    v: &str,
) {
    builder.push(format_args!(
        " OR ({v}.type = 'text' AND {v}.atom {symbol} "
    ));
    builder.push_bind(operand.text.clone());
    builder.push(")");
    if let Some(n) = operand.number {
        builder.push(format_args!(
            " OR ({v}.type IN ('integer', 'real') AND {v}.atom {symbol} "
        ));
        builder.push_bind(n);
        builder.push(")");
    }
    if let (Some(b), "=") = (operand.boolean, symbol) {
        builder.push(if b {
            " OR f.type = 'true'"
        } else {
            " OR f.type = 'false'"
        });
    }
}
