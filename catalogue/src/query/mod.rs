//! The list query language (catalogue.md §3): filters on metadata and descriptor fields,
//! operators, `count`, `version=last`, deep keys, pagination.

pub mod fields;
pub mod owner;
pub mod parse;
mod pg;
pub mod scan;
pub mod sql;
mod sqlite;

pub use parse::parse_list_query;
pub use sql::push_conditions;

/// A comparison operator (`field.gt=...`); `Missing` is a key sent without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Missing,
}

/// The wrapper-level fields a filter can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaField {
    Uuid,
    Status,
    Signature,
    Username,
    Md5,
    Platform,
    PkgRef,
    CreatedAt,
    UpdatedAt,
}

/// A recursive search anywhere in the descriptor (`memory_size` → `$..memory.size`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeepKey {
    pub segments: Vec<String>,
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Meta(MetaField),
    /// `vendor`, `name` or `version` compared by equality on the stored identity (indexed).
    Identity(IdentityField),
    /// A dotted path into the descriptor; every segment matched `SEGMENT_PATTERN`.
    Field(Vec<String>),
    Deep(DeepKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityField {
    Vendor,
    Name,
    Version,
}

/// A filter value as text, with its number and boolean readings when it has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    pub text: String,
    pub number: Option<f64>,
    pub boolean: Option<bool>,
}

impl Operand {
    pub fn new(text: &str) -> Self {
        let trimmed = text.trim();
        Self {
            text: text.to_owned(),
            number: trimmed.parse::<f64>().ok().filter(|n| {
                n.is_finite() && !trimmed.is_empty() && !trimmed.starts_with(['+', '.'])
            }),
            boolean: match trimmed {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub target: Target,
    pub op: Op,
    /// One operand, or the list of `in` / `nin`, or none for `Missing`.
    pub operands: Vec<Operand>,
}

/// How many items, from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u64,
    pub size: u64,
}

impl Page {
    pub fn offset(&self) -> u64 {
        self.number.saturating_mul(self.size)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Matching records, stable-ordered, one page.
    List,
    /// `{"count": "<n>"}`.
    Count,
    /// The highest version per (name, vendor): `version=last`.
    LastVersion,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub conditions: Vec<Condition>,
    /// Whether descriptor path filters may use the field index (`CATALOGUE_FIELD_INDEX`).
    pub field_index: bool,
    /// How a page of a single indexed field filter is found (query/scan.rs; tests force one).
    pub field_scan: scan::FieldScan,
    pub mode: Mode,
    pub page: Page,
}

/// The result of a list query.
#[derive(Debug)]
pub enum Listing<T> {
    Count(u64),
    Items { items: Vec<T>, total: u64 },
}
