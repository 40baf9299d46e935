//! Kept list positions (ADR-24, migration 6): every `anchor_gap()`-th descriptor of a kind in
//! list order, with the number of records before it, so a deep page starts from the nearest
//! anchor instead of skipping every record before it. Between folds a position is the
//! anchor's `n_before` plus the count deltas (which carry the record's list-order key) before
//! it; the fold (counts.rs) moves the anchors by the deltas it folds, appends anchors as the
//! kind grows and rebuilds them when deletes or out-of-order inserts made the gaps uneven.

use std::sync::atomic::{AtomicI64, Ordering};

/// Records between anchors.
static ANCHOR_GAP: AtomicI64 = AtomicI64::new(1000);

pub fn anchor_gap() -> i64 {
    ANCHOR_GAP.load(Ordering::Relaxed)
}

/// Sets the gap (for tests, which need anchors among a few records); process-wide.
pub fn set_anchor_gap(gap: i64) {
    ANCHOR_GAP.store(gap.max(1), Ordering::Relaxed);
}

/// Whether a fold has nothing to do: no deltas (of either kept count), and every kind big
/// enough has anchors (`$1`: the gap).
pub const NOTHING_TO_FOLD: &str = "SELECT NOT EXISTS (SELECT 1 FROM row_count_deltas) \
    AND NOT EXISTS (SELECT 1 FROM owner_count_deltas) \
    AND NOT EXISTS (SELECT 1 FROM row_counts WHERE name LIKE 'descriptors:%' AND n >= 2 * $1 \
    AND NOT EXISTS (SELECT 1 FROM list_anchors WHERE kind = substr(name, 13)))";

/// What the fold does with a kind's anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upkeep {
    Keep,
    /// Anchors for the records after the last one.
    Extend,
    /// All anchors again.
    Rebuild,
}

/// The upkeep for `records` records and anchors at `positions` (ascending).
pub fn upkeep(records: i64, positions: &[i64], gap: i64) -> Upkeep {
    let Some(&last) = positions.last() else {
        return if records >= 2 * gap {
            Upkeep::Rebuild
        } else {
            Upkeep::Keep
        };
    };
    let mut before = 0;
    for &position in positions {
        let step = position - before;
        if step > 2 * gap || step < gap / 2 {
            return Upkeep::Rebuild;
        }
        before = position;
    }
    if records - last > 2 * gap {
        Upkeep::Extend
    } else {
        Upkeep::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_added_extended_and_rebuilt() {
        assert_eq!(upkeep(10, &[], 10), Upkeep::Keep);
        assert_eq!(upkeep(20, &[], 10), Upkeep::Rebuild);
        assert_eq!(upkeep(25, &[10, 20], 10), Upkeep::Keep);
        assert_eq!(upkeep(41, &[10, 20], 10), Upkeep::Extend);
        assert_eq!(upkeep(41, &[10, 14, 20], 10), Upkeep::Rebuild);
        assert_eq!(upkeep(60, &[10, 35], 10), Upkeep::Rebuild);
    }
}
