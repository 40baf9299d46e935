//! JSON and YAML in and out: media types, body parsing (with limits) and rendering.

use actix_web::{http::header, HttpRequest, HttpResponse, HttpResponseBuilder};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;

/// A descriptor wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

pub const YAML_MEDIA_TYPE: &str = "application/x-yaml";

impl Format {
    /// The format a media type names (parameters ignored), if it is one we speak.
    pub fn from_media_type(raw: &str) -> Option<Self> {
        let essence = raw
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Self::Json),
            "application/x-yaml" | "application/yaml" | "text/yaml" | "text/x-yaml" => {
                Some(Self::Yaml)
            }
            _ => None,
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Yaml => YAML_MEDIA_TYPE,
        }
    }
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
}

/// The format of the request body: its Content-Type must be JSON or YAML (415 otherwise).
pub fn request_format(req: &HttpRequest) -> Result<Format, ApiError> {
    let content_type = header_str(req, header::CONTENT_TYPE).unwrap_or("");
    Format::from_media_type(content_type).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "Content-Type {content_type:?} not supported: use application/json or {YAML_MEDIA_TYPE}"
        ))
    })
}

/// The format of a request without a body: a Content-Type, when sent, must still be JSON/YAML.
pub fn optional_request_format(req: &HttpRequest) -> Result<Option<Format>, ApiError> {
    match header_str(req, header::CONTENT_TYPE) {
        None => Ok(None),
        Some(_) => request_format(req).map(Some),
    }
}

/// The response format: what `Accept` names, else the request's own format, else JSON.
pub fn response_format(req: &HttpRequest, request: Option<Format>) -> Format {
    if let Some(accept) = header_str(req, header::ACCEPT) {
        let named = accept.split(',').find_map(Format::from_media_type);
        if let Some(format) = named {
            return format;
        }
    }
    request.unwrap_or(Format::Json)
}

/// Reads a whole (small) body, answering 413 past `limit` bytes.
pub async fn read_limited(
    mut payload: actix_web::web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request("bad-request", format!("body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The YAML budget: tight enough that a hostile document cannot exhaust the service.
fn yaml_options(max_bytes: usize) -> serde_saphyr::Options {
    serde_saphyr::options! {
        // As the packager and the reference (PyYAML): a repeated key keeps its last value. The
        // OSM fixture test-ns-nsid1v_cirros_osm repeats one, and the packager accepted it.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(max_bytes),
            max_depth: 64,
            max_events: 500_000,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: 250_000,
            max_documents: 1,
            max_total_scalar_bytes: max_bytes,
        },
    }
}

/// Parses a descriptor body: it must be a mapping (400 otherwise).
pub fn parse_document(bytes: &[u8], format: Format, max_bytes: usize) -> Result<Value, ApiError> {
    let value: Value = match format {
        Format::Json => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request("malformed-json", format!("malformed JSON: {e}")))?,
        Format::Yaml => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                ApiError::bad_request("malformed-yaml", format!("YAML is not UTF-8: {e}"))
            })?;
            if text.trim().is_empty() {
                return Err(ApiError::bad_request(
                    "not-a-mapping",
                    "the descriptor is empty: it must be a mapping",
                ));
            }
            serde_saphyr::from_str_with_options(text, yaml_options(max_bytes)).map_err(|e| {
                ApiError::bad_request("malformed-yaml", format!("malformed YAML: {e}"))
            })?
        }
    };
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::bad_request(
            "not-a-mapping",
            "the descriptor must be a mapping (a JSON object)",
        ))
    }
}

/// Renders `value` in `format` with the given status builder.
pub fn render<T: Serialize>(
    mut builder: HttpResponseBuilder,
    format: Format,
    value: &T,
) -> Result<HttpResponse, ApiError> {
    let body = match format {
        Format::Json => serde_json::to_string(value).map_err(|e| ApiError::Internal(e.into()))?,
        Format::Yaml => {
            let yaml = serde_saphyr::to_string(value).map_err(|e| ApiError::Internal(e.into()))?;
            format!("---\n{yaml}")
        }
    };
    Ok(builder
        .insert_header((header::CONTENT_TYPE, format.media_type()))
        .body(body))
}
