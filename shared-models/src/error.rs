//! The one JSON error body every service answers with (decision 7).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `{"error": "<message>", "code": "<kebab-code>"}`.
///
/// `code` is stable and machine-readable; `error` is for people and may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A readable message, naming the offending file or field where there is one.
    pub error: String,
    /// A stable kebab-case code, e.g. `checksum-mismatch` or `not-found`.
    pub code: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            code: code.into(),
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.error, self.code)
    }
}
