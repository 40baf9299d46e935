//! Lists filtered only by `status=` and/or `username=` equality: counted from the kept
//! counts per (kind, status, username) (storage migration `20241202000003`, ADR-28) instead
//! of from the records.

use super::{Condition, MetaField, Op, Target};

/// The status and owner a list is filtered by, each at most once and by equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerFilter {
    pub status: Option<String>,
    pub username: Option<String>,
}

impl OwnerFilter {
    /// The filter when `conditions` are nothing but one `status=` and/or one `username=`.
    pub fn of(conditions: &[Condition]) -> Option<Self> {
        if conditions.is_empty() {
            return None;
        }
        let mut filter = Self {
            status: None,
            username: None,
        };
        for condition in conditions {
            let [operand] = condition.operands.as_slice() else {
                return None;
            };
            if condition.op != Op::Eq {
                return None;
            }
            let slot = match condition.target {
                Target::Meta(MetaField::Status) => &mut filter.status,
                Target::Meta(MetaField::Username) => &mut filter.username,
                _ => return None,
            };
            if slot.replace(operand.text.clone()).is_some() {
                return None;
            }
        }
        Some(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Operand;

    fn eq(field: MetaField, value: &str) -> Condition {
        Condition {
            target: Target::Meta(field),
            op: Op::Eq,
            operands: vec![Operand::new(value)],
        }
    }

    #[test]
    fn status_and_owner_equalities_are_counted_from_the_kept_counts() {
        let both = [
            eq(MetaField::Status, "active"),
            eq(MetaField::Username, "ann"),
        ];
        assert_eq!(
            OwnerFilter::of(&both),
            Some(OwnerFilter {
                status: Some("active".into()),
                username: Some("ann".into()),
            })
        );
        let owner = OwnerFilter::of(&both[1..]).expect("username alone");
        assert_eq!(
            (owner.status, owner.username.as_deref()),
            (None, Some("ann"))
        );
    }

    #[test]
    fn anything_else_is_counted_from_the_records() {
        assert_eq!(OwnerFilter::of(&[]), None);
        let twice = [
            eq(MetaField::Status, "active"),
            eq(MetaField::Status, "inactive"),
        ];
        assert_eq!(OwnerFilter::of(&twice), None);
        let mut not_equal = eq(MetaField::Status, "active");
        not_equal.op = Op::Ne;
        assert_eq!(OwnerFilter::of(&[not_equal]), None);
        let mut many = eq(MetaField::Username, "ann");
        many.op = Op::In;
        many.operands.push(Operand::new("bob"));
        assert_eq!(OwnerFilter::of(&[many]), None);
        let other = [eq(MetaField::Status, "active"), eq(MetaField::Md5, "x")];
        assert_eq!(OwnerFilter::of(&other), None);
    }
}
