//! Streaming a blob: headers, `Range` (206/416) and `If-None-Match` (304).

use actix_web::{
    body::SizedStream,
    http::header::{self, ContentDisposition, DispositionParam, DispositionType},
    HttpRequest, HttpResponse,
};

use futures_util::StreamExt;

use crate::{
    blobstore::{ByteRange, ByteStream},
    error::ApiError,
    model::BlobRow,
    startup::AppState,
};

/// The bytes of `record`, or the requested range of them.
pub async fn blob_response(
    req: &HttpRequest,
    state: &AppState,
    record: &BlobRow,
    content_type: &str,
) -> Result<HttpResponse, ApiError> {
    let size = u64::try_from(record.size).unwrap_or(0);
    let etag = format!("\"{}\"", record.sha256);
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let range = requested_range(req, size)?;
    let stream = if size == 0 {
        futures_util::stream::empty().boxed()
    } else {
        open_blob(state, record, range, size).await?
    };
    let mut builder = match range {
        Some(r) => {
            let mut b = HttpResponse::PartialContent();
            b.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end),
            ));
            b
        }
        None => HttpResponse::Ok(),
    };
    let length = range.map_or(size, |r| r.length());
    builder
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header(("Filename", record.file_name.as_str()))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(record.file_name.clone())],
        });
    Ok(builder.body(SizedStream::new(length, stream)))
}

/// The bytes of `range` of a blob of `size` (> 0) bytes, wherever they are (ADR-31).
async fn open_blob(
    state: &AppState,
    record: &BlobRow,
    range: Option<ByteRange>,
    size: u64,
) -> Result<ByteStream, ApiError> {
    let place = state.repo.blob_place(&record.sha256).await?;
    let stored = match &place {
        Some(place) if place.sha256 != record.sha256 => Some(in_place(range, place.offset, size)),
        _ => range,
    };
    let sha256 = place.as_ref().map_or(&record.sha256, |p| &p.sha256);
    Ok(state.store.open(sha256, stored).await?)
}

/// The range of the blob that holds, at `offset`, a slice of `size` (> 0) bytes, with
/// `range` of the slice (all of it when `None`).
fn in_place(range: Option<ByteRange>, offset: u64, size: u64) -> ByteRange {
    let range = range.unwrap_or(ByteRange {
        start: 0,
        end: size - 1,
    });
    ByteRange {
        start: offset + range.start,
        end: offset + range.end,
    }
}

/// A single `bytes=` range; syntax we do not serve (several ranges, junk) is ignored, as
/// RFC 9110 allows; a range outside the blob is 416.
fn requested_range(req: &HttpRequest, size: u64) -> Result<Option<ByteRange>, ApiError> {
    let Some(raw) = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some(spec) = raw.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(s), Ok(e)) if s <= e => (s, e.min(size.saturating_sub(1))),
        (Ok(s), Err(_)) if end.is_empty() => (s, size.saturating_sub(1)),
        (Err(_), Ok(n)) if start.is_empty() && n > 0 => {
            (size.saturating_sub(n), size.saturating_sub(1))
        }
        _ => return Ok(None),
    };
    if size == 0 || range.0 >= size {
        return Err(ApiError::RangeNotSatisfiable(size));
    }
    Ok(Some(ByteRange {
        start: range.0,
        end: range.1,
    }))
}
