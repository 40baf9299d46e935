//! The HTTP side: one reqwest client, the gatekeeper's base URL and error mapping.

use std::time::Duration;

use reqwest::{header, Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared_models::ErrorBody;

use crate::args::Global;
use crate::error::CliError;

/// A handle on the gatekeeper's public API.
pub struct Gatekeeper {
    http: reqwest::Client,
    api: String,
    token: Option<String>,
    timeout: Duration,
}

impl Gatekeeper {
    pub fn new(global: &Global) -> Result<Self, CliError> {
        let timeout = global.timeout.0;
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .user_agent(concat!("sonata/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Usage(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self {
            http,
            api: global.url.api().to_owned(),
            token: global.token.clone().filter(|t| !t.trim().is_empty()),
            timeout,
        })
    }

    /// The time limit of one bounded request (`--timeout`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `<api>/<path>`, e.g. `url("/packages")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// A request with the token; `bounded` adds the whole-request time limit (not for streams).
    pub fn request(&self, method: Method, path: &str, bounded: bool) -> RequestBuilder {
        let mut req = self.http.request(method, self.url(path));
        if bounded {
            req = req.timeout(self.timeout);
        }
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        req
    }

    /// Sends and turns a non-2xx answer into [`CliError::Server`].
    pub async fn send(&self, req: RequestBuilder) -> Result<Response, CliError> {
        let res = req.send().await.map_err(|e| self.transport(&e))?;
        if res.status().is_success() {
            Ok(res)
        } else {
            Err(self.refusal(res).await)
        }
    }

    /// GET a JSON document; returns it with the response headers.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(T, header::HeaderMap), CliError> {
        let req = self
            .request(Method::GET, path, true)
            .header(header::ACCEPT, "application/json")
            .query(query);
        let res = self.send(req).await?;
        let headers = res.headers().clone();
        Ok((self.json(res).await?, headers))
    }

    /// Reads a 2xx body as JSON of type `T`.
    pub async fn json<T: DeserializeOwned>(&self, res: Response) -> Result<T, CliError> {
        let url = res.url().to_string();
        let bytes = res.bytes().await.map_err(|e| self.transport(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            CliError::BadResponse(format!(
                "unexpected answer from {url}: {e}: {}",
                snippet(&bytes)
            ))
        })
    }

    pub fn transport(&self, e: &reqwest::Error) -> CliError {
        CliError::transport(&self.api, self.timeout, e)
    }

    /// The error of a non-2xx answer: its `{error, code}` body, or a code derived from the status.
    async fn refusal(&self, res: Response) -> CliError {
        let status = res.status();
        let bytes = res.bytes().await.unwrap_or_default();
        let body: Option<ErrorBody> = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| error_body(&v));
        let (code, error) = match body {
            Some(b) => (b.code, b.error),
            None => (
                format!("http-{}", status.as_u16()),
                match snippet(&bytes) {
                    s if s.is_empty() => status.to_string(),
                    s => s,
                },
            ),
        };
        CliError::Server {
            status: status.as_u16(),
            code,
            error,
        }
    }
}

/// `{error, code}`, also when only `error` is there (as older gateways answer).
fn error_body(v: &Value) -> Option<ErrorBody> {
    let error = v.get("error")?.as_str()?.to_owned();
    let code = v
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or("error")
        .to_owned();
    Some(ErrorBody { error, code })
}

/// The start of a body, on one line, for messages.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
