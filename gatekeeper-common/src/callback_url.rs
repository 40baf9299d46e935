//! Checking a caller's `callback_url`: an http(s) URL whose host is allowed.

use crate::error::ApiError;

/// Validates `raw` against `allowlist` (`host` or `host:port` entries; empty = any host).
pub fn check(raw: &str, allowlist: &[String]) -> Result<String, ApiError> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|_| ApiError::InvalidCallbackUrl(raw.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::InvalidCallbackUrl(raw.to_owned()));
    }
    let host = url
        .host_str()
        .ok_or_else(|| ApiError::InvalidCallbackUrl(raw.to_owned()))?
        .to_ascii_lowercase();
    if !allowlist.is_empty() {
        let with_port = url
            .port_or_known_default()
            .map(|p| format!("{host}:{p}"))
            .unwrap_or_else(|| host.clone());
        let allowed = allowlist.iter().any(|entry| {
            let entry = entry.to_ascii_lowercase();
            entry == host || entry == with_port
        });
        if !allowed {
            return Err(ApiError::CallbackNotAllowed(host));
        }
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_on_allowed_hosts_pass() {
        assert!(check("http://a.example/cb", &[]).is_ok());
        assert!(check("ftp://a.example/cb", &[]).is_err());
        assert!(check("not a url", &[]).is_err());
        let list = vec!["a.example".to_owned(), "127.0.0.1:8000".to_owned()];
        assert!(check("https://A.example/x", &list).is_ok());
        assert!(check("http://127.0.0.1:8000/x", &list).is_ok());
        assert!(matches!(
            check("http://127.0.0.1:9/x", &list),
            Err(ApiError::CallbackNotAllowed(_))
        ));
    }
}
