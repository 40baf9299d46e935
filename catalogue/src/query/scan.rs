//! A list whose only filter is one descriptor field condition, answered from the field index
//! alone (ADR-24): its `Record-Count` is an index-only count, its page comes either from the
//! matching index entries (which carry the list-order key) or, for a filter that matches a
//! large share of the records, from the list-order index with a check per record that stops
//! after the page. The two give the same answer as the general path (query/sql.rs); the
//! tests in catalogue/tests/api/field_index.rs compare them with the document evaluation.

use sqlx::QueryBuilder;

use shared_models::DescriptorKind;

use super::{
    fields::{index_path, FieldValue, TEXT_LIMIT},
    sql::{ordering_symbol, push_queued_match, Dialect},
    Condition, ListQuery, Mode, Op, Page, Target,
};

/// How a page of an indexed filter is found. `Auto` chooses by the count of matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldScan {
    #[default]
    Auto,
    /// Sort the matching index entries by the list order (cost grows with the matches).
    Matches,
    /// Walk the list order and check each record (cost grows with the records skipped).
    ListOrder,
}

/// One index term: a string, a number or a boolean compared the way the document
/// evaluation compares (query/sql.rs `push_index_terms`).
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Text(&'static str, String),
    Number(&'static str, f64),
    Bool(bool),
}

/// A single field condition the index answers alone.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedFilter {
    kind: DescriptorKind,
    path: String,
    /// Evaluated on the documents of the descriptors still queued for the indexer (ADR-30).
    condition: Condition,
    terms: Vec<Term>,
    /// An ordering condition could match a string too long for the index: usable only when
    /// the kind has no such string at the path (checked with [`IndexedFilter::push_long_rows`]).
    ordering: bool,
}

impl IndexedFilter {
    /// The filter of a list or count whose only condition is a positive comparison on a
    /// descriptor path without an array index, when the field index is on.
    pub fn of(kind: DescriptorKind, query: &ListQuery) -> Option<Self> {
        if !query.field_index || query.mode == Mode::LastVersion {
            return None;
        }
        let [condition] = &query.conditions[..] else {
            return None;
        };
        let (segments, deep) = target_path(&condition.target)?;
        let path = index_path(segments, deep)?;
        let ordering = matches!(condition.op, Op::Gt | Op::Gte | Op::Lt | Op::Lte);
        let equality = matches!(condition.op, Op::Eq | Op::In);
        if !(ordering || equality) {
            return None;
        }
        // An equality on a string the index only marks is compared from the documents.
        if equality && condition.operands.iter().any(|o| o.text.len() > TEXT_LIMIT) {
            return None;
        }
        Some(Self {
            kind,
            path,
            condition: condition.clone(),
            terms: terms(condition, equality),
            ordering,
        })
    }

    /// Whether [`IndexedFilter::push_long_rows`] must find nothing before this filter is
    /// used.
    pub fn needs_no_long_rows(&self) -> bool {
        self.ordering && !self.terms.is_empty()
    }

    /// `SELECT EXISTS (...)`: whether a descriptor of the kind has a string too long for the
    /// index at the path.
    pub fn push_long_rows<'a, DB: Dialect>(&self, builder: &mut QueryBuilder<'a, DB>) {
        builder.push("SELECT EXISTS (SELECT 1 FROM descriptor_fields WHERE ");
        self.push_key(builder);
        builder.push(format_args!(
            " AND sole IN (false, true) AND t = {})",
            FieldValue::LONG
        ));
    }

    /// Whether the filter matches nothing without looking (no operand has a reading).
    pub fn matches_nothing(&self) -> bool {
        self.terms.is_empty()
    }

    /// `SELECT <count>`: the matching descriptors. The rows of descriptors with one row at the
    /// path are counted per term (the terms are disjoint: different types or values); the
    /// others are de-duplicated; the queued descriptors (no rows yet) are evaluated.
    pub fn push_count<'a, DB: Dialect>(&self, builder: &mut QueryBuilder<'a, DB>) {
        builder.push("SELECT ");
        for term in &self.terms {
            builder.push("(SELECT count(*) FROM descriptor_fields WHERE ");
            self.push_key(builder);
            builder.push(" AND sole = true AND ");
            push_term::<DB>(builder, term);
            builder.push(") + ");
        }
        builder.push("(SELECT count(*) FROM descriptors WHERE ");
        self.push_queued_match(builder);
        builder.push(") + (SELECT count(DISTINCT uuid) FROM descriptor_fields WHERE ");
        self.push_key(builder);
        builder.push(" AND sole = false AND (");
        self.push_any_term(builder);
        builder.push("))");
    }

    /// Whether the page can be found without the count: for an equality the matching index
    /// entries of each term are in list order already, so reading them costs the page's reach
    /// however many match; only an ordering condition's page depends on how many match.
    pub fn page_needs_count(&self) -> bool {
        self.ordering
    }

    /// Which way to find the page. For an equality, reading the matches in index order is
    /// never more work than walking the list order. For an ordering condition, walking the
    /// list order checks about `(offset + size) * records / matches` records, about ten times
    /// the work of reading one index entry each; sorting the matches reads each of them once.
    pub fn walk_list_order(&self, scan: FieldScan, matches: u64, records: u64, page: Page) -> bool {
        match scan {
            FieldScan::Matches => false,
            FieldScan::ListOrder => true,
            FieldScan::Auto if !self.ordering => false,
            FieldScan::Auto => {
                let reach = page.offset().saturating_add(page.size);
                let checks = reach.saturating_mul(records) / matches.max(1);
                checks.saturating_mul(10) < matches
            }
        }
    }

    /// `SELECT uuid ...` of one page in list order, from the matching index entries. Each
    /// source of matches is read in list order up to the page's reach on its own (an equality
    /// term's index entries come in list order, so it reads only those; an ordering term's
    /// are sorted, keeping the first); the entries of descriptors with one row at the path
    /// need no de-duplication.
    pub fn push_page_from_matches<'a, DB: Dialect>(
        &self,
        builder: &mut QueryBuilder<'a, DB>,
        page: Page,
    ) {
        let reach = i64::try_from(page.offset().saturating_add(page.size)).unwrap_or(i64::MAX);
        builder.push(
            "SELECT uuid FROM (SELECT created_at, uuid FROM (SELECT created_at, uuid \
             FROM descriptors WHERE ",
        );
        self.push_queued_match(builder);
        push_branch_end(builder, reach, 0);
        for (n, term) in self.terms.iter().enumerate() {
            builder.push(
                " UNION ALL SELECT created_at, uuid FROM (SELECT created_at, uuid \
                 FROM descriptor_fields WHERE ",
            );
            self.push_key(builder);
            builder.push(" AND sole = true AND ");
            push_term::<DB>(builder, term);
            push_branch_end(builder, reach, n + 1);
        }
        builder.push(
            " UNION ALL SELECT created_at, uuid FROM (SELECT DISTINCT created_at, uuid \
             FROM descriptor_fields WHERE ",
        );
        self.push_key(builder);
        builder.push(" AND sole = false AND (");
        self.push_any_term(builder);
        builder.push(")");
        push_branch_end(builder, reach, self.terms.len() + 1);
        builder.push(") AS matches ORDER BY created_at, uuid");
        push_limit_offset(builder, page);
    }

    /// `SELECT uuid ...` of one page in list order, walking the list-order index and checking
    /// each record's rows at the path; stops once the page is full. The check stays a probe
    /// per record (`Dialect::PER_ROW_EXISTS`): beside the queued match's `OR`, PostgreSQL
    /// would otherwise hash every matching row of the path first (177 against 3.8 ms for a
    /// page of 25,000 matches at 100,000 records).
    pub fn push_page_from_list_order<'a, DB: Dialect>(
        &self,
        builder: &mut QueryBuilder<'a, DB>,
        page: Page,
    ) {
        builder.push("SELECT uuid FROM descriptors WHERE kind = ");
        DB::push_text(builder, self.kind.key().to_owned());
        builder.push(
            " AND (EXISTS (SELECT 1 FROM descriptor_fields AS f WHERE f.uuid = descriptors.uuid \
             AND f.path = ",
        );
        DB::push_text(builder, self.path.clone());
        builder.push(" AND (");
        self.push_any_term(builder);
        builder.push(format_args!("){}) OR ", DB::PER_ROW_EXISTS));
        self.push_queued_match(builder);
        builder.push(") ORDER BY created_at, uuid");
        push_limit_offset(builder, page);
    }

    /// The filter on the documents of the queued descriptors (query/sql.rs).
    fn push_queued_match<DB: Dialect>(&self, builder: &mut QueryBuilder<'_, DB>) {
        let (segments, deep) =
            target_path(&self.condition.target).expect("an indexed filter is on a path");
        push_queued_match(builder, self.kind, segments, deep, &self.condition);
    }

    fn push_key<DB: Dialect>(&self, builder: &mut QueryBuilder<'_, DB>) {
        builder.push("kind = ");
        DB::push_text(builder, self.kind.key().to_owned());
        builder.push(" AND path = ");
        DB::push_text(builder, self.path.clone());
    }

    fn push_any_term<DB: Dialect>(&self, builder: &mut QueryBuilder<'_, DB>) {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                builder.push(" OR ");
            }
            builder.push("(");
            push_term::<DB>(builder, term);
            builder.push(")");
        }
        if self.terms.is_empty() {
            builder.push("false");
        }
    }
}

/// The segments of a descriptor path condition, and whether they name a deep key.
fn target_path(target: &Target) -> Option<(&[String], bool)> {
    match target {
        Target::Field(segments) => Some((segments, false)),
        Target::Deep(deep) => Some((&deep.segments, true)),
        _ => None,
    }
}

/// The distinct terms of a condition, as query/sql.rs `push_index_terms` writes them.
fn terms(condition: &Condition, equality: bool) -> Vec<Term> {
    let (symbol, operands) = if equality {
        ("=", &condition.operands[..])
    } else {
        (
            ordering_symbol(condition.op),
            condition.operands.get(..1).unwrap_or_default(),
        )
    };
    let mut terms = Vec::new();
    let mut add = |term: Term| {
        if !terms.contains(&term) {
            terms.push(term);
        }
    };
    for operand in operands {
        add(Term::Text(symbol, operand.text.clone()));
        if let Some(n) = operand.number {
            add(Term::Number(symbol, n));
        }
        if let (Some(b), true) = (operand.boolean, equality) {
            add(Term::Bool(b));
        }
    }
    terms
}

fn push_term<DB: Dialect>(builder: &mut QueryBuilder<'_, DB>, term: &Term) {
    match term {
        Term::Text(symbol, text) => {
            builder.push(format_args!("t = {} AND text {symbol} ", FieldValue::TEXT));
            DB::push_text(builder, text.clone());
        }
        Term::Number(symbol, n) => {
            builder.push(format_args!("num {symbol} "));
            DB::push_float(builder, *n);
        }
        Term::Bool(b) => {
            builder.push(format_args!("t = {} AND text = '{b}'", FieldValue::BOOL));
        }
    }
}

/// The end of one source of matches: its first `reach` in list order.
fn push_branch_end<DB: Dialect>(builder: &mut QueryBuilder<'_, DB>, reach: i64, n: usize) {
    builder.push(" ORDER BY created_at, uuid LIMIT ");
    DB::push_int(builder, reach);
    builder.push(format_args!(") AS m{n}"));
}

fn push_limit_offset<DB: Dialect>(builder: &mut QueryBuilder<'_, DB>, page: Page) {
    builder.push(" LIMIT ");
    DB::push_int(builder, i64::try_from(page.size).unwrap_or(i64::MAX));
    builder.push(" OFFSET ");
    DB::push_int(builder, i64::try_from(page.offset()).unwrap_or(i64::MAX));
}
