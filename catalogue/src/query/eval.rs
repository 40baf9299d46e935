//! Evaluates conditions on a stored descriptor in Rust (the embedded backend). The semantics
//! mirror `pg.rs`: lax paths that unwrap arrays, text-or-number equality, codepoint order.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Condition, IdentityField, MetaField, Op, Operand, Target};
use crate::model::DescriptorRow;

pub fn matches(row: &DescriptorRow, conditions: &[Condition]) -> bool {
    conditions.iter().all(|c| condition_holds(row, c))
}

fn condition_holds(row: &DescriptorRow, condition: &Condition) -> bool {
    match &condition.target {
        Target::Meta(field) => meta_holds(row, *field, condition),
        Target::Identity(field) => {
            let stored = match field {
                IdentityField::Vendor => &row.vendor,
                IdentityField::Name => &row.name,
                IdentityField::Version => &row.version,
            };
            condition.operands.iter().any(|o| &o.text == stored)
        }
        Target::Field(segments) => {
            let values = lax_path(std::iter::once(&row.body), segments);
            values_hold(&values, condition)
        }
        Target::Deep(deep) => {
            let mut nodes = Vec::new();
            descendants(&row.body, &mut nodes);
            let values = lax_path(nodes.into_iter(), &deep.segments);
            values_hold(&values, condition)
        }
    }
}

/// All nodes of a document, the root included (jsonpath `.**`).
fn descendants<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(value);
    match value {
        Value::Object(map) => map.values().for_each(|v| descendants(v, out)),
        Value::Array(items) => items.iter().for_each(|v| descendants(v, out)),
        _ => {}
    }
}

/// Follows `segments` in lax mode: member access unwraps arrays, digits index them; the
/// final values are unwrapped one level, as a jsonpath filter does.
fn lax_path<'a>(start: impl Iterator<Item = &'a Value>, segments: &[String]) -> Vec<&'a Value> {
    let mut current: Vec<&Value> = start.collect();
    for segment in segments {
        let index = segment
            .parse::<usize>()
            .ok()
            .filter(|_| segment.bytes().all(|b| b.is_ascii_digit()));
        current = current
            .into_iter()
            .flat_map(|value| step(value, segment, index))
            .collect();
    }
    current
        .into_iter()
        .flat_map(|value| match value {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

fn step<'a>(value: &'a Value, segment: &str, index: Option<usize>) -> Vec<&'a Value> {
    match (index, value) {
        (Some(i), Value::Array(items)) => items.get(i).into_iter().collect(),
        (Some(0), other) => vec![other],
        (Some(_), _) => Vec::new(),
        (None, Value::Object(map)) => map.get(segment).into_iter().collect(),
        (None, Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_object().and_then(|m| m.get(segment)))
            .collect(),
        (None, _) => Vec::new(),
    }
}

fn values_hold(values: &[&Value], condition: &Condition) -> bool {
    let any_equal = || {
        values
            .iter()
            .any(|v| condition.operands.iter().any(|o| json_equals(v, o)))
    };
    match condition.op {
        Op::Eq | Op::In => any_equal(),
        Op::Ne | Op::Nin => !any_equal(),
        Op::Missing => values.iter().all(|v| v.is_null()),
        op => values.iter().any(|v| {
            condition
                .operands
                .first()
                .is_some_and(|o| json_compare(v, o).is_some_and(|ord| ordering_holds(op, ord)))
        }),
    }
}

fn json_equals(value: &Value, operand: &Operand) -> bool {
    match value {
        Value::String(s) => s == &operand.text,
        Value::Number(n) => operand.number.is_some() && n.as_f64() == operand.number,
        Value::Bool(b) => operand.boolean == Some(*b),
        _ => false,
    }
}

fn json_compare(value: &Value, operand: &Operand) -> Option<Ordering> {
    match value {
        Value::String(s) => Some(s.as_str().cmp(operand.text.as_str())),
        Value::Number(n) => n.as_f64()?.partial_cmp(&operand.number?),
        _ => None,
    }
}

fn ordering_holds(op: Op, ordering: Ordering) -> bool {
    match op {
        Op::Gt => ordering == Ordering::Greater,
        Op::Gte => ordering != Ordering::Less,
        Op::Lt => ordering == Ordering::Less,
        Op::Lte => ordering != Ordering::Greater,
        _ => false,
    }
}

enum MetaValue {
    Text(Option<String>),
    Int(i64),
    Time(DateTime<Utc>),
}

fn meta_value(row: &DescriptorRow, field: MetaField) -> MetaValue {
    match field {
        MetaField::Uuid => MetaValue::Text(Some(row.uuid.hyphenated().to_string())),
        MetaField::Status => MetaValue::Text(Some(row.status.clone())),
        MetaField::Signature => MetaValue::Text(row.signature.clone()),
        MetaField::Username => MetaValue::Text(row.username.clone()),
        MetaField::Md5 => MetaValue::Text(Some(row.md5.clone())),
        MetaField::Platform => {
            MetaValue::Text(Some(row.platform.clone()).filter(|p| !p.is_empty()))
        }
        MetaField::PkgRef => MetaValue::Int(row.pkg_ref),
        MetaField::CreatedAt => MetaValue::Time(row.created_at),
        MetaField::UpdatedAt => MetaValue::Time(row.updated_at),
    }
}

fn meta_compare(value: &MetaValue, operand: &Operand) -> Option<Ordering> {
    match value {
        MetaValue::Text(Some(s)) => Some(s.as_str().cmp(operand.text.as_str())),
        MetaValue::Text(None) => None,
        MetaValue::Int(n) => operand.text.trim().parse::<i64>().ok().map(|o| n.cmp(&o)),
        MetaValue::Time(t) => super::parse::parse_time(&operand.text).map(|o| t.cmp(&o)),
    }
}

fn meta_holds(row: &DescriptorRow, field: MetaField, condition: &Condition) -> bool {
    let value = meta_value(row, field);
    let any_equal = || {
        condition
            .operands
            .iter()
            .any(|o| meta_compare(&value, o) == Some(Ordering::Equal))
    };
    match condition.op {
        Op::Eq | Op::In => any_equal(),
        Op::Ne | Op::Nin => !any_equal(),
        Op::Missing => matches!(value, MetaValue::Text(None)),
        op => condition
            .operands
            .first()
            .is_some_and(|o| meta_compare(&value, o).is_some_and(|ord| ordering_holds(op, ord))),
    }
}
