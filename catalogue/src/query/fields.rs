//! The field index (`descriptor_fields`): every scalar that a dotted path or a deep key of
//! the query language reaches in a descriptor, so that filters look values up in an index
//! instead of evaluating every document (ADR-22).
//!
//! The reach follows the lax semantics the document evaluation implements (query/pg.rs,
//! query/sqlite.rs): a member step on an array takes the member of its object elements (one
//! level); the values found are compared themselves, and an array among them through its
//! elements, two levels deep. Keys that no query segment can name (digits only, or other
//! characters than `[A-Za-z0-9_:-]`) are left out, so a path never stands for two things.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use shared_models::DescriptorKind;

use super::parse::{deep_keys, is_valid_segment};

/// Raise this when the extraction changes: rows indexed by an older version are re-indexed
/// at start-up.
/// 2: rows carry the descriptor's kind and `created_at`, and `sole` (migration 5, ADR-24).
pub const FIELDS_VERSION: i32 = 2;

/// Strings longer than this are indexed as `Long` and compared from the document.
pub const TEXT_LIMIT: usize = 256;

/// Paths longer than this (in bytes) are not indexed: their conditions are evaluated on the
/// documents. It keeps an index row under PostgreSQL's b-tree limit (about 2.7 kB) with a
/// text of [`TEXT_LIMIT`] bytes, so no descriptor's rows can fail to be written.
pub const PATH_LIMIT: usize = 1024;

/// The prefix of the paths of deep keys (`**.memory.size`); `*` is not a segment character.
pub const DEEP_PREFIX: &str = "**.";

/// A value the index holds, with the type code of the `t` column.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Bool(bool),
    Long,
}

impl FieldValue {
    pub const TEXT: i16 = 0;
    pub const NUMBER: i16 = 1;
    pub const BOOL: i16 = 2;
    pub const LONG: i16 = 3;

    pub fn type_code(&self) -> i16 {
        match self {
            Self::Text(_) => Self::TEXT,
            Self::Number(_) => Self::NUMBER,
            Self::Bool(_) => Self::BOOL,
            Self::Long => Self::LONG,
        }
    }

    /// The `text` column: the string, or `true` / `false`.
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Text(s) => Some(s.clone()),
            Self::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The `num` column.
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    fn of(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) if s.len() <= TEXT_LIMIT => Some(Self::Text(s.clone())),
            Value::String(_) => Some(Self::Long),
            Value::Number(n) => n.as_f64().map(Self::Number),
            Value::Bool(b) => Some(Self::Bool(*b)),
            _ => None,
        }
    }
}

/// The index path of a condition's dotted path or deep key, when the index holds it: none
/// for a path with an array index (a segment of digits) or longer than [`PATH_LIMIT`].
pub fn index_path(segments: &[String], deep: bool) -> Option<String> {
    let path = if deep {
        format!("{DEEP_PREFIX}{}", segments.join("."))
    } else if segments
        .iter()
        .any(|s| s.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    } else {
        segments.join(".")
    };
    (path.len() <= PATH_LIMIT).then_some(path)
}

/// One row of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldEntry {
    pub path: String,
    pub value: FieldValue,
    /// Whether this is the descriptor's only row at `path`: then counting matching rows
    /// counts matching descriptors (no de-duplication), see query/scan.rs.
    pub sole: bool,
}

/// The index rows of a descriptor, without duplicates.
pub fn extract(kind: DescriptorKind, body: &Value) -> Vec<FieldEntry> {
    let mut rows = Rows::default();
    if let Value::Object(root) = body {
        visit_members(root, "", &mut rows);
    }
    for (_, segments) in deep_keys(kind) {
        let path = format!("{DEEP_PREFIX}{}", segments.join("."));
        let (first, rest) = segments.split_first().expect("deep keys have segments");
        let mut found = Vec::new();
        members_anywhere(body, first, &mut found);
        for step in rest {
            found = step_members(&found, step);
        }
        for value in found {
            rows.add_compared(&path, value);
        }
    }
    rows.into_entries()
}

/// Rows keyed for de-duplication (`f64` has no `Ord`: its bits stand in).
#[derive(Default)]
struct Rows(BTreeSet<(String, i16, Option<String>, Option<u64>)>);

impl Rows {
    /// The scalars a comparison at `path` sees in `value`: itself, or the elements of an
    /// array, or the elements of an array inside it.
    fn add_compared(&mut self, path: &str, value: &Value) {
        match value {
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Array(inner) => inner.iter().for_each(|v| self.add_scalar(path, v)),
                        scalar => self.add_scalar(path, scalar),
                    }
                }
            }
            scalar => self.add_scalar(path, scalar),
        }
    }

    fn add_scalar(&mut self, path: &str, value: &Value) {
        if let Some(v) = FieldValue::of(value) {
            let bits = v.number().map(f64::to_bits);
            self.0
                .insert((path.to_owned(), v.type_code(), v.text(), bits));
        }
    }

    fn into_entries(self) -> Vec<FieldEntry> {
        let mut per_path = std::collections::HashMap::<&str, usize>::new();
        for (path, ..) in &self.0 {
            *per_path.entry(path.as_str()).or_default() += 1;
        }
        let sole: BTreeSet<String> = per_path
            .into_iter()
            .filter(|(_, n)| *n == 1)
            .map(|(p, _)| p.to_owned())
            .collect();
        self.0
            .into_iter()
            .map(|(path, t, text, bits)| {
                let value = match t {
                    FieldValue::TEXT => FieldValue::Text(text.unwrap_or_default()),
                    FieldValue::NUMBER => FieldValue::Number(f64::from_bits(bits.unwrap_or(0))),
                    FieldValue::BOOL => FieldValue::Bool(text.as_deref() == Some("true")),
                    _ => FieldValue::Long,
                };
                FieldEntry {
                    sole: sole.contains(&path),
                    path,
                    value,
                }
            })
            .collect()
    }
}

/// Every member of `object` under `prefix`, and what member steps reach below it.
fn visit_members(object: &Map<String, Value>, prefix: &str, rows: &mut Rows) {
    for (key, value) in object {
        if !is_valid_segment(key) || key.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if path.len() > PATH_LIMIT {
            continue;
        }
        rows.add_compared(&path, value);
        for inner in step_targets(value) {
            visit_members(inner, &path, rows);
        }
    }
}

/// The objects a member step looks into: the value itself, or an array's object elements.
fn step_targets(value: &Value) -> Vec<&Map<String, Value>> {
    match value {
        Value::Object(map) => vec![map],
        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

/// One member step from each value.
fn step_members<'a>(values: &[&'a Value], key: &str) -> Vec<&'a Value> {
    values
        .iter()
        .flat_map(|v| step_targets(v))
        .filter_map(|map| map.get(key))
        .collect()
}

/// The values of every member named `key`, at any depth (`.**.<key>`).
fn members_anywhere<'a>(value: &'a Value, key: &str, found: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key {
                    found.push(v);
                }
                members_anywhere(v, key, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| members_anywhere(v, key, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rows(kind: DescriptorKind, body: &Value) -> Vec<(String, FieldValue)> {
        extract(kind, body)
            .into_iter()
            .map(|e| (e.path, e.value))
            .collect()
    }

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(s.to_owned())
    }

    #[test]
    fn member_steps_unwrap_one_array_level_and_comparisons_two() {
        let got = rows(
            DescriptorKind::Nsd,
            &json!({
                "a": [{"b": 1}, {"b": [2, [3, [4]]]}, [{"b": 5}]],
                "c": {"d": true, "e": null, "f": "x"},
            }),
        );
        assert_eq!(
            got,
            vec![
                ("a.b".into(), FieldValue::Number(1.0)),
                ("a.b".into(), FieldValue::Number(2.0)),
                ("a.b".into(), FieldValue::Number(3.0)),
                ("c.d".into(), FieldValue::Bool(true)),
                ("c.f".into(), text("x")),
            ]
        );
    }

    #[test]
    fn sole_marks_the_only_row_of_a_path() {
        let entries = extract(
            DescriptorKind::Nsd,
            &json!({"a": [1, 2], "b": "x", "c": ["y", "y"], "d": [1, "1"]}),
        );
        let sole: Vec<(&str, bool)> = entries.iter().map(|e| (e.path.as_str(), e.sole)).collect();
        assert_eq!(
            sole,
            [
                ("a", false),
                ("a", false),
                ("b", true),
                ("c", true),
                ("d", false),
                ("d", false)
            ]
        );
    }

    #[test]
    fn long_strings_and_unnameable_keys() {
        let long = "y".repeat(TEXT_LIMIT + 1);
        let got = rows(
            DescriptorKind::Nsd,
            &json!({"s": long, "0": "digits", "a.b": "dot", "ok": "y".repeat(TEXT_LIMIT)}),
        );
        assert_eq!(
            got,
            vec![
                ("ok".into(), text(&"y".repeat(TEXT_LIMIT))),
                ("s".into(), FieldValue::Long),
            ]
        );
    }

    #[test]
    fn paths_longer_than_the_limit_are_left_out() {
        let key = "k".repeat(128);
        let mut body = json!({"end": 1});
        for _ in 0..8 {
            body = json!({ key.clone(): body });
        }
        let got = rows(DescriptorKind::Nsd, &json!({"deep": body, "short": 1}));
        assert_eq!(got, vec![("short".into(), FieldValue::Number(1.0))]);
        let segments = vec![key; 8];
        assert_eq!(
            index_path(&segments[..7], false).map(|p| p.len()),
            Some(902)
        );
        assert_eq!(index_path(&segments, false), None);
        assert_eq!(index_path(&["vdu".into(), "0".into()], false), None);
    }

    #[test]
    fn deep_keys_are_found_at_any_depth_once() {
        let got = rows(
            DescriptorKind::Vnfd,
            &json!({"vdus": [{"r": {"memory": {"size": 2}}}, [{"memory": [{"size": 4}]}]],
                   "memory": {"size": 2}}),
        );
        let deep: Vec<_> = got
            .iter()
            .filter(|(p, _)| p.starts_with(DEEP_PREFIX))
            .collect();
        assert_eq!(
            deep,
            vec![
                &("**.memory.size".to_owned(), FieldValue::Number(2.0)),
                &("**.memory.size".to_owned(), FieldValue::Number(4.0)),
            ]
        );
    }
}
