//! Optional write protection (decision 13): HS256 JWTs in `Authorization: Bearer <token>`.

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::error::ApiError;

/// The configured secret and the roles allowed to write.
#[derive(Clone)]
pub struct JwtAuth {
    secret: Vec<u8>,
    roles: Vec<String>,
}

impl JwtAuth {
    pub fn new(secret: &str, roles: Vec<String>) -> Self {
        Self {
            secret: secret.as_bytes().to_vec(),
            roles,
        }
    }

    /// Checks the bearer token of `header` and returns its `username` claim (if any).
    pub fn verify(&self, header: Option<&str>) -> Result<Option<String>, ApiError> {
        let header = header.ok_or_else(|| unauthorized("a Bearer token is required"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?
            .trim();
        let claims = self.claims(token)?;
        check_expiry(&claims)?;
        self.check_roles(&claims)?;
        Ok(claims
            .get("username")
            .and_then(Value::as_str)
            .map(str::to_owned))
    }

    fn claims(&self, token: &str) -> Result<serde_json::Map<String, Value>, ApiError> {
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unauthorized("the token is not a JWT"));
        };
        let header: Value = decode_json(head)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(unauthorized("only HS256 tokens are accepted"));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| unauthorized("the token signature is not base64url"))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        mac.update(head.as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| unauthorized("the token signature is invalid"))?;
        match decode_json(body)? {
            Value::Object(map) => Ok(map),
            _ => Err(unauthorized("the token payload is not an object")),
        }
    }

    fn check_roles(&self, claims: &serde_json::Map<String, Value>) -> Result<(), ApiError> {
        if self.roles.is_empty() {
            return Ok(());
        }
        let held: Vec<&str> = match (claims.get("role"), claims.get("roles")) {
            (Some(Value::String(role)), _) => vec![role.as_str()],
            (_, Some(Value::Array(roles))) => roles.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if held
            .iter()
            .any(|r| self.roles.iter().any(|allowed| allowed == r))
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this operation needs one of the roles {:?}",
                self.roles
            )))
        }
    }
}

/// `exp` (seconds) or tng's `expiration_time` (seconds or RFC 3339) must be in the future.
fn check_expiry(claims: &serde_json::Map<String, Value>) -> Result<(), ApiError> {
    let now = chrono::Utc::now().timestamp();
    let expiry = match claims.get("exp").or_else(|| claims.get("expiration_time")) {
        None => return Ok(()),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp())
            .ok()
            .or_else(|| s.parse().ok()),
        Some(_) => None,
    };
    match expiry {
        Some(at) if at > now => Ok(()),
        Some(_) => Err(unauthorized("the token has expired")),
        None => Err(unauthorized("the token expiry is unreadable")),
    }
}

fn decode_json(part: &str) -> Result<Value, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| unauthorized("the token is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| unauthorized("the token is not JSON"))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Unauthorized(message.to_owned())
}

/// The user behind a write: the token's `username` when auth is on, else `X-User-Name` (as the
/// original API gateway set it). Fails with 401/403 when auth is on and the token is bad.
pub fn writer(req: &HttpRequest, auth: Option<&JwtAuth>) -> Result<Option<String>, ApiError> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    match auth {
        Some(auth) => auth.verify(header("authorization").as_deref()),
        None => Ok(header("x-user-name").filter(|u| !u.is_empty())),
    }
}

/// Signs claims with `secret` (HS256). Used by tests and tools that need a token.
pub fn sign(secret: &str, claims: &Value) -> Result<String, ApiError> {
    let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    mac.update(format!("{head}.{body}").as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{head}.{body}.{sig}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_signed_token_gives_its_username_and_tampering_is_refused() {
        let auth = JwtAuth::new("s3cret", vec![]);
        let future = chrono::Utc::now().timestamp() + 60;
        let token = sign("s3cret", &json!({"username": "bob", "exp": future})).unwrap();
        let name = auth.verify(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(name.as_deref(), Some("bob"));

        let other = sign("other", &json!({"username": "bob"})).unwrap();
        assert!(auth.verify(Some(&format!("Bearer {other}"))).is_err());
        let expired = sign("s3cret", &json!({"username": "bob", "exp": 1})).unwrap();
        assert!(auth.verify(Some(&format!("Bearer {expired}"))).is_err());
        assert!(auth.verify(None).is_err());
        assert!(auth.verify(Some("Basic abc")).is_err());
    }

    #[test]
    fn roles_are_checked_when_configured() {
        let auth = JwtAuth::new("k", vec!["developer".into()]);
        let guest = sign("k", &json!({"username": "g", "role": "customer"})).unwrap();
        assert!(matches!(
            auth.verify(Some(&format!("Bearer {guest}"))),
            Err(ApiError::Forbidden(_))
        ));
        let dev = sign("k", &json!({"username": "d", "roles": ["developer"]})).unwrap();
        assert!(auth.verify(Some(&format!("Bearer {dev}"))).is_ok());
    }
}
