//! The PostgreSQL dialect: descriptor paths as lax jsonpath predicates (`@?`), keys quoted,
//! operands as JSON literals inside the bound jsonpath (never spliced into the SQL).

use serde_json::Value;
use sqlx::{Postgres, QueryBuilder};

use super::{
    sql::{ordering_symbol, Dialect},
    Condition, Op, Operand,
};

impl Dialect for Postgres {
    const CODEPOINT_ORDER: &'static str = " COLLATE \"C\"";
    const UUID_TEXT: &'static str = "CAST(uuid AS TEXT)";
    /// An `OFFSET` keeps the planner from turning the `EXISTS` into a hashed subplan.
    const PER_ROW_EXISTS: &'static str = " OFFSET 0";

    crate::query::sql::plain_binds!();

    fn push_descriptor(
        builder: &mut QueryBuilder<'_, Self>,
        segments: &[String],
        deep: bool,
        condition: &Condition,
    ) {
        let path = if deep {
            format!("$.**{}", member_path(segments))
        } else {
            format!("${}", member_path(segments))
        };
        push_json_path(builder, &path, condition);
    }
}

/// `."a"."b"[0]` from validated segments.
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

/// `descriptor @? 'lax <path> ? (<filter>)'`, negated for ne/nin/missing. The whole jsonpath
/// is one bound parameter; the operands inside it are JSON literals (strings escaped as JSON
/// strings), which lets the GIN `jsonb_path_ops` index serve equality filters.
fn push_json_path(builder: &mut QueryBuilder<'_, Postgres>, path: &str, condition: &Condition) {
    let (negate, filter) = match condition.op {
        Op::Missing => (true, "@ != null".to_owned()),
        Op::Eq | Op::In => (false, terms("==", &condition.operands, true)),
        Op::Ne | Op::Nin => (true, terms("==", &condition.operands, true)),
        op => (
            false,
            terms(
                ordering_symbol(op),
                condition.operands.get(..1).unwrap_or_default(),
                false,
            ),
        ),
    };
    if negate {
        builder.push("NOT ");
    }
    builder.push("descriptor @? ");
    builder.push_bind(format!("lax {path} ? ({filter})"));
    builder.push("::jsonpath");
}

/// `@ <op> "text" || @ <op> <number> [|| @ <op> <boolean>]` over the operands; `false` for none.
fn terms(symbol: &str, operands: &[Operand], booleans: bool) -> String {
    let mut terms = Vec::new();
    for operand in operands {
        terms.push(format!(
            "@ {symbol} {}",
            Value::String(operand.text.clone())
        ));
        if let Some(n) = operand.number.and_then(serde_json::Number::from_f64) {
            terms.push(format!("@ {symbol} {n}"));
        }
        if let Some(b) = operand.boolean.filter(|_| booleans) {
            terms.push(format!("@ {symbol} {b}"));
        }
    }
    if terms.is_empty() {
        "false".to_owned()
    } else {
        terms.join(" || ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_become_escaped_json_literals() {
        let operands = [
            Operand::new("a\"b\\"),
            Operand::new("-2.5"),
            Operand::new("true"),
        ];
        assert_eq!(
            terms("==", &operands, true),
            r#"@ == "a\"b\\" || @ == "-2.5" || @ == -2.5 || @ == "true" || @ == true"#
        );
        assert_eq!(terms(">", &operands[2..], false), r#"@ > "true""#);
        assert_eq!(terms("==", &[], true), "false");
    }

    #[test]
    fn paths_quote_every_key_and_index_digits() {
        let segments = vec!["a".to_owned(), "0".to_owned(), "b-c".to_owned()];
        assert_eq!(member_path(&segments), ".\"a\"[0].\"b-c\"");
    }
}
