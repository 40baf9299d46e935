//! The optional shared token between the internal services (decision 13, docs/decisions.md):
//! when `SONATA_SERVICE_TOKEN` is set, each service requires it in `X-Service-Token` on its
//! internal endpoints and sends it on its own calls to the others.

/// The platform-wide variable holding the token (unset or empty = off).
pub const SERVICE_TOKEN_ENV: &str = "SONATA_SERVICE_TOKEN";
/// The request header carrying the token.
pub const SERVICE_TOKEN_HEADER: &str = "x-service-token";

/// Why a request's token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ServiceTokenError {
    #[error("this internal endpoint needs the service token in the X-Service-Token header")]
    Missing,
    #[error("the X-Service-Token header does not hold the service token")]
    Invalid,
}

impl ServiceTokenError {
    /// `service-token-required` or `service-token-invalid`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "service-token-required",
            Self::Invalid => "service-token-invalid",
        }
    }

    /// 401 when missing, 403 when wrong.
    pub fn status(self) -> u16 {
        match self {
            Self::Missing => 401,
            Self::Invalid => 403,
        }
    }
}

/// A token that cannot be sent as an HTTP header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("SONATA_SERVICE_TOKEN must be visible ASCII")]
pub struct NotAHeaderValue;

/// A configured (non-empty) service token.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceToken(String);

impl std::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceToken(<redacted>)")
    }
}

impl ServiceToken {
    /// `None` for an unset or blank value (the check is off).
    pub fn new(raw: Option<&str>) -> Option<Self> {
        raw.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Self(t.to_owned()))
    }

    /// Reads [`SERVICE_TOKEN_ENV`].
    pub fn from_env() -> Option<Self> {
        Self::new(std::env::var(SERVICE_TOKEN_ENV).ok().as_deref())
    }

    /// The value to send in [`SERVICE_TOKEN_HEADER`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The default headers of a service's outgoing HTTP client: [`SERVICE_TOKEN_HEADER`]
    /// (marked sensitive, so it is never logged) when a token is configured, else none.
    pub fn outgoing_headers(token: Option<&Self>) -> Result<http::HeaderMap, NotAHeaderValue> {
        let mut headers = http::HeaderMap::new();
        if let Some(token) = token {
            let mut value =
                http::HeaderValue::from_str(token.as_str()).map_err(|_| NotAHeaderValue)?;
            value.set_sensitive(true);
            headers.insert(SERVICE_TOKEN_HEADER, value);
        }
        Ok(headers)
    }

    /// Checks a request's header value in constant time (for a given length).
    pub fn check(&self, presented: Option<&[u8]>) -> Result<(), ServiceTokenError> {
        let presented = presented.ok_or(ServiceTokenError::Missing)?;
        let expected = self.0.as_bytes();
        let differs = expected.iter().zip(presented).fold(
            u8::from(expected.len() != presented.len()),
            |acc, (a, b)| acc | (a ^ b),
        );
        if differs == 0 {
            Ok(())
        } else {
            Err(ServiceTokenError::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_passes() {
        let token = ServiceToken::new(Some(" s3cret ")).unwrap();
        assert_eq!(token.check(Some(b"s3cret")), Ok(()));
        assert_eq!(token.check(None), Err(ServiceTokenError::Missing));
        assert_eq!(
            token.check(Some(b"s3cres")),
            Err(ServiceTokenError::Invalid)
        );
        assert_eq!(token.check(Some(b"s3cre")), Err(ServiceTokenError::Invalid));
        assert_eq!(
            token.check(Some(b"s3crets")),
            Err(ServiceTokenError::Invalid)
        );
        assert_eq!(token.check(Some(b"")), Err(ServiceTokenError::Invalid));
        assert_eq!(ServiceTokenError::Missing.status(), 401);
        assert_eq!(ServiceTokenError::Invalid.code(), "service-token-invalid");
    }

    #[test]
    fn blank_means_off_and_debug_hides_the_value() {
        assert!(ServiceToken::new(None).is_none());
        assert!(ServiceToken::new(Some("  ")).is_none());
        let token = ServiceToken::new(Some("abc")).unwrap();
        assert!(!format!("{token:?}").contains("abc"));
    }

    #[test]
    fn outgoing_headers_carry_the_token_marked_sensitive_or_nothing() {
        assert!(ServiceToken::outgoing_headers(None).unwrap().is_empty());
        let token = ServiceToken::new(Some("abc")).unwrap();
        let headers = ServiceToken::outgoing_headers(Some(&token)).unwrap();
        let value = &headers[SERVICE_TOKEN_HEADER];
        assert_eq!(value, "abc");
        assert!(value.is_sensitive());
        let unsendable = ServiceToken::new(Some("a\nb")).unwrap();
        assert_eq!(
            ServiceToken::outgoing_headers(Some(&unsendable)),
            Err(NotAHeaderValue)
        );
    }
}
