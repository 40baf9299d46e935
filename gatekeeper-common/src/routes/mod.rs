//! HTTP handlers, one file per group of endpoints.

pub mod descriptors;
pub mod downloads;
pub mod health;
pub mod members;
pub mod on_change;
pub mod packages;
pub mod status;
pub mod upload;

use uuid::Uuid;

use crate::error::ApiError;

/// Parses a path uuid; a malformed one is a 400 `malformed-uuid` naming `what`.
pub fn parse_uuid(what: &'static str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::MalformedUuid {
        what,
        value: raw.to_owned(),
    })
}

/// The incoming query string with `page_number` / `page_size` defaults added when absent.
pub fn with_page_defaults(query: &str, page_size: u32) -> String {
    let has = |key: &str| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(key))
    };
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if !has("page_number") {
        parts.push("page_number=0".to_owned());
    }
    if !has("page_size") {
        parts.push(format!("page_size={page_size}"));
    }
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_defaults_are_added_only_when_missing() {
        assert_eq!(with_page_defaults("", 100), "page_number=0&page_size=100");
        assert_eq!(
            with_page_defaults("foo=bar&page_size=1", 100),
            "foo=bar&page_size=1&page_number=0"
        );
    }
}
