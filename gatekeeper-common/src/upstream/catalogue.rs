//! Reading from and deleting in the catalogue.

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, RANGE};
use serde_json::Value;

use super::{error_from, unreachable};
use crate::error::ApiError;

/// The catalogue's base URL (`.../api/catalogues/v2`) and a client.
#[derive(Clone)]
pub struct Catalogue {
    http: reqwest::Client,
    base: String,
    answer_timeout: Duration,
}

impl Catalogue {
    /// `answer_timeout` bounds the wait for an answer's head (bodies stream without a limit).
    pub fn new(http: reqwest::Client, base: &str, answer_timeout: Duration) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            answer_timeout,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiError> {
        match tokio::time::timeout(self.answer_timeout, request.send()).await {
            Ok(sent) => sent.map_err(|e| unreachable("catalogue", &e)),
            Err(_) => Err(ApiError::Unavailable {
                service: "catalogue",
                message: format!("no answer within {:?}", self.answer_timeout),
            }),
        }
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}/{}", self.base, path_and_query.trim_start_matches('/'))
    }

    /// A GET whose answer is passed on as it is (any status). JSON is asked for unless
    /// `accept` says otherwise; a client's `Range` is forwarded.
    pub async fn get(
        &self,
        path_and_query: &str,
        accept: &str,
        range: Option<&[u8]>,
    ) -> Result<reqwest::Response, ApiError> {
        let mut request = self
            .http
            .get(self.url(path_and_query))
            .header(ACCEPT, accept);
        if accept == "application/json" {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        if let Some(range) = range {
            request = request.header(RANGE, range);
        }
        self.send(request).await
    }

    /// A GET of a JSON document: `None` when the catalogue answers 404.
    pub async fn get_json(&self, path: &str) -> Result<Option<Value>, ApiError> {
        let res = self.get(path, "application/json", None).await?;
        if res.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(error_from("catalogue", res).await);
        }
        res.json()
            .await
            .map(Some)
            .map_err(|e| ApiError::BadGateway {
                service: "catalogue",
                message: format!("unreadable JSON from {path}: {e}"),
            })
    }

    pub async fn delete(&self, path: &str) -> Result<reqwest::Response, ApiError> {
        let request = self
            .http
            .delete(self.url(path))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json");
        self.send(request).await
    }
}
