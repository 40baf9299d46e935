//! Identifier newtypes that parse at the edge, so handlers only see valid values.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of one on-boarding process (`package_process_uuid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProcessId(Uuid);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed process id {0:?}: expected a UUID")]
pub struct ProcessIdError(pub String);

impl ProcessId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for ProcessId {
    fn from(value: Uuid) -> Self {
        Self(value)
    }
}

impl FromStr for ProcessId {
    type Err = ProcessIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(Self)
            .map_err(|_| ProcessIdError(s.to_owned()))
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_uuid_and_prints_it_hyphenated() {
        let id: ProcessId = "3B1C9E4A-0C6B-4C8E-9E0F-6E2C1F5B7A10".parse().unwrap();
        assert_eq!(id.to_string(), "3b1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a10");
    }

    #[test]
    fn rejects_what_is_not_a_uuid() {
        for bad in ["", "foo-bar", "123", "3b1c9e4a-0c6b-4c8e-9e0f-6e2c1f5b7a1"] {
            assert_eq!(
                bad.parse::<ProcessId>(),
                Err(ProcessIdError(bad.to_owned()))
            );
        }
    }
}
