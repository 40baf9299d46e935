//! Reading the upload's multipart form: text fields before the `package` part, the part itself
//! pumped into a channel that feeds the packager request, and text fields after it.

use actix_multipart::{Field, Multipart};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::error::ApiError;

/// Fields passed on to the packager as they are.
pub const FORWARDED_FIELDS: [&str; 5] = [
    "layer",
    "format",
    "skip_store",
    "skip_validation",
    "validation_level",
];

const MAX_TEXT_FIELD: usize = 64 * 1024;

/// The text fields the gatekeeper reads.
#[derive(Debug, Default)]
pub struct UploadFields {
    pub callback_url: Option<String>,
    pub forwarded: Vec<(String, String)>,
}

impl UploadFields {
    /// Starts from the query string (the reference merged query and form parameters).
    pub fn from_query(query: &str) -> Self {
        let mut fields = Self::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            fields.set(name, value);
        }
        fields
    }

    /// Records one field; unknown names are ignored.
    pub fn set(&mut self, name: &str, value: String) {
        if name == "callback_url" {
            self.callback_url = Some(value).filter(|v| !v.trim().is_empty());
        } else if FORWARDED_FIELDS.contains(&name) {
            self.forwarded.retain(|(n, _)| n != name);
            self.forwarded.push((name.to_owned(), value));
        }
    }
}

/// Reads a small text field.
pub async fn read_text(field: &mut Field) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut value = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("reading field {name}: {e}")))?;
        if value.len() + chunk.len() > MAX_TEXT_FIELD {
            return Err(ApiError::InvalidField(format!(
                "field {name} is longer than {MAX_TEXT_FIELD} bytes"
            )));
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value)
        .map_err(|_| ApiError::InvalidField(format!("field {name} is not UTF-8")))
}

/// Why pumping the package part stopped early.
#[derive(Debug)]
pub enum PumpError {
    TooLarge(u64),
    Client(String),
}

/// Copies the package part into `tx` chunk by chunk, at most `limit` bytes. The caller ends
/// the outgoing request: dropping `tx` completes it, [`abort`] aborts it.
pub async fn pump(
    field: &mut Field,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    limit: u64,
) -> Result<u64, PumpError> {
    let mut total: u64 = 0;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| PumpError::Client(e.to_string()))?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(PumpError::TooLarge(limit));
        }
        if tx.send(Ok(chunk)).await.is_err() {
            // The packager stopped reading: its answer tells what happened.
            return Ok(total);
        }
    }
    Ok(total)
}

/// Makes the outgoing request fail instead of completing, so the packager keeps nothing.
pub async fn abort(tx: mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let _ = tx.send(Err(std::io::Error::other("upload aborted"))).await;
}

/// The request body stream fed by [`pump`].
pub fn channel_body(rx: mpsc::Receiver<Result<Bytes, std::io::Error>>) -> reqwest::Body {
    reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Reads the text fields that follow the package part.
pub async fn trailing_fields(multipart: &mut Multipart) -> Result<UploadFields, ApiError> {
    let mut fields = UploadFields::default();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest(format!("bad multipart: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let value = read_text(&mut field).await?;
        fields.set(&name, value);
    }
    Ok(fields)
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_fields_are_decoded_and_filtered() {
        let f = UploadFields::from_query("callback_url=http%3A%2F%2Fa%2Fb&layer=x&evil=1");
        assert_eq!(f.callback_url.as_deref(), Some("http://a/b"));
        assert_eq!(f.forwarded, vec![("layer".to_owned(), "x".to_owned())]);
    }
}
