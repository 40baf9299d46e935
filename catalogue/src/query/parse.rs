//! Query string → `ListQuery`, validating every field path.

use std::collections::HashSet;

use shared_models::DescriptorKind;

use super::{
    Condition, DeepKey, IdentityField, ListQuery, MetaField, Mode, Op, Operand, Page, Target,
};
use crate::error::ApiError;

/// Keys that are not filters.
const PAGE_NUMBER: &str = "page_number";
const PAGE_SIZE: &str = "page_size";
const IGNORED: [&str; 1] = ["captures"];

pub struct PageDefaults {
    pub size: u64,
    pub max_size: u64,
}

pub fn parse_list_query(
    kind: DescriptorKind,
    pairs: &[(String, String)],
    defaults: &PageDefaults,
) -> Result<ListQuery, ApiError> {
    let mut conditions = Vec::new();
    let mut mode = Mode::List;
    let mut page = Page {
        number: 0,
        size: defaults.size,
    };
    let mut plain_keys = HashSet::new();
    let mut operator_keys = HashSet::new();
    for (key, value) in pairs {
        match key.as_str() {
            PAGE_NUMBER => page.number = parse_page_value(key, value, u64::MAX)?,
            PAGE_SIZE => page.size = parse_page_value(key, value, defaults.max_size)?,
            "count" => mode = Mode::Count,
            "version" if value == "last" => {
                if mode == Mode::List {
                    mode = Mode::LastVersion;
                }
            }
            k if IGNORED.contains(&k) => {}
            _ => {
                let condition = parse_condition(kind, key, value)?;
                let base = base_key(key, condition.op);
                if matches!(condition.op, Op::Eq | Op::Missing) {
                    plain_keys.insert(base.to_owned());
                } else {
                    operator_keys.insert(base.to_owned());
                }
                conditions.push(condition);
            }
        }
    }
    if plain_keys.intersection(&operator_keys).next().is_some() {
        return Err(ApiError::bad_request(
            "query-not-feasible",
            "Query is not feasible. For comparison operators in the same field, use only comparison prefixes",
        ));
    }
    Ok(ListQuery {
        field_index: false,
        field_scan: super::scan::FieldScan::Auto,
        conditions,
        mode,
        page,
    })
}

fn parse_page_value(key: &str, value: &str, max: u64) -> Result<u64, ApiError> {
    let n: u64 = value.trim().parse().map_err(|_| {
        ApiError::bad_request(
            "invalid-query",
            format!("{key} must be a non-negative integer"),
        )
    })?;
    if key == PAGE_SIZE && (n == 0 || n > max) {
        return Err(ApiError::bad_request(
            "invalid-query",
            format!("page_size must be between 1 and {max}"),
        ));
    }
    Ok(n)
}

fn base_key(key: &str, op: Op) -> &str {
    match op {
        Op::Missing => key,
        _ => key
            .rsplit_once('.')
            .filter(|(_, suffix)| operator(suffix).is_some())
            .map_or(key, |(base, _)| base),
    }
}

fn operator(suffix: &str) -> Option<Op> {
    Some(match suffix {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "gt" => Op::Gt,
        "gte" => Op::Gte,
        "lt" => Op::Lt,
        "lte" => Op::Lte,
        "in" => Op::In,
        "nin" => Op::Nin,
        _ => return None,
    })
}

/// One `key=value` pair → a condition.
pub fn parse_condition(
    kind: DescriptorKind,
    key: &str,
    value: &str,
) -> Result<Condition, ApiError> {
    let (base, op) = match key.rsplit_once('.') {
        Some((base, suffix)) => match operator(suffix) {
            Some(op) => (base, op),
            None => (key, Op::Eq),
        },
        None => (key, Op::Eq),
    };
    let op = if op == Op::Eq && value.is_empty() {
        Op::Missing
    } else {
        op
    };
    let operands = match op {
        Op::Missing => Vec::new(),
        Op::In | Op::Nin => split_list(value).iter().map(|v| Operand::new(v)).collect(),
        _ => vec![Operand::new(value)],
    };
    let target = target(kind, base, op)?;
    if matches!(
        target,
        Target::Meta(MetaField::CreatedAt | MetaField::UpdatedAt)
    ) {
        if let Some(bad) = operands.iter().find(|o| parse_time(&o.text).is_none()) {
            return Err(ApiError::bad_request(
                "invalid-query",
                format!("{key}: {:?} is not an RFC 3339 timestamp", bad.text),
            ));
        }
    }
    Ok(Condition {
        target,
        op,
        operands,
    })
}

/// An RFC 3339 timestamp, or a bare date (midnight UTC).
pub fn parse_time(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let raw = raw.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// `[a,b]`, `(a,b)`, `{a,b}` or `a,b` → the trimmed items, quotes removed.
fn split_list(value: &str) -> Vec<String> {
    let inner = value.trim();
    let inner = inner
        .strip_prefix(['[', '(', '{'])
        .and_then(|s| s.strip_suffix([']', ')', '}']))
        .unwrap_or(inner);
    inner
        .split(',')
        .map(|item| item.trim().trim_matches(['"', '\'']).to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

fn meta_field(key: &str) -> Option<MetaField> {
    Some(match key {
        "uuid" | "_id" => MetaField::Uuid,
        "status" | "state" => MetaField::Status,
        "signature" => MetaField::Signature,
        "username" => MetaField::Username,
        "md5" => MetaField::Md5,
        "platform" => MetaField::Platform,
        "pkg_ref" => MetaField::PkgRef,
        "created_at" => MetaField::CreatedAt,
        "updated_at" => MetaField::UpdatedAt,
        _ => return None,
    })
}

/// The deep keys of each kind (catalogue.md §3.4): query key and the path searched anywhere.
pub fn deep_keys(kind: DescriptorKind) -> &'static [(&'static str, &'static [&'static str])] {
    match kind {
        DescriptorKind::Vnfd => &[
            ("memory_size", &["memory", "size"]),
            ("storage_size", &["storage", "size"]),
        ],
        DescriptorKind::Testd => &[("test_tag", &["test_tag"])],
        DescriptorKind::Nsd => &[("testing_tags", &["testing_tags"])],
        _ => &[],
    }
}

fn deep_key(kind: DescriptorKind, key: &str) -> Option<DeepKey> {
    let (_, path) = deep_keys(kind).iter().find(|(k, _)| *k == key)?;
    Some(DeepKey {
        segments: path.iter().map(|s| (*s).to_owned()).collect(),
    })
}

fn target(kind: DescriptorKind, key: &str, op: Op) -> Result<Target, ApiError> {
    if let Some(field) = meta_field(key) {
        return Ok(Target::Meta(field));
    }
    if let Some(deep) = deep_key(kind, key) {
        return Ok(Target::Deep(deep));
    }
    if op == Op::Eq {
        let identity = match key {
            "vendor" => Some(IdentityField::Vendor),
            "name" => Some(IdentityField::Name),
            "version" => Some(IdentityField::Version),
            _ => None,
        };
        if let Some(field) = identity {
            return Ok(Target::Identity(field));
        }
    }
    let segments: Vec<String> = key.split('.').map(str::to_owned).collect();
    if let Some(bad) = segments.iter().find(|s| !is_valid_segment(s)) {
        return Err(ApiError::bad_request(
            "invalid-query-field",
            format!("query field {key:?}: segment {bad:?} is not a valid field name"),
        ));
    }
    Ok(Target::Field(segments))
}

/// A path segment: an identifier of letters, digits, `_`, `-` and `:` (at most 128 bytes).
pub fn is_valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 128
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const DEFAULTS: PageDefaults = PageDefaults {
        size: 10,
        max_size: 100,
    };

    #[test]
    fn rejects_field_paths_that_could_escape_a_json_path() {
        for bad in ["a\"b", "a b", "a..b", "$", "a[0]", "x')||true"] {
            let err = parse_list_query(DescriptorKind::Nsd, &pairs(&[(bad, "1")]), &DEFAULTS);
            assert!(err.is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn mixing_equality_and_operator_on_one_field_is_refused() {
        let q = pairs(&[("version", "1"), ("version.gt", "0")]);
        assert!(parse_list_query(DescriptorKind::Nsd, &q, &DEFAULTS).is_err());
    }

    #[test]
    fn in_lists_are_split_on_commas() {
        assert_eq!(split_list("[0.1, '0.2']"), vec!["0.1", "0.2"]);
    }
}
