//! How deeply descriptors are checked. Archive hygiene, NAPD rules and checksums always run.

use std::{fmt, str::FromStr};

/// `skip` < `syntax` < `integrity` < `topology` (the default); each includes the ones before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum ValidationLevel {
    Skip,
    Syntax,
    Integrity,
    #[default]
    Topology,
}

impl FromStr for ValidationLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "skip" => Ok(Self::Skip),
            "s" | "syntax" => Ok(Self::Syntax),
            "i" | "integrity" => Ok(Self::Integrity),
            "t" | "topology" => Ok(Self::Topology),
            other => Err(format!(
                "unknown validation level {other:?} (skip, syntax, integrity or topology)"
            )),
        }
    }
}

impl fmt::Display for ValidationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Skip => "skip",
            Self::Syntax => "syntax",
            Self::Integrity => "integrity",
            Self::Topology => "topology",
        })
    }
}
