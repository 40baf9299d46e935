//! Passing a catalogue answer on to the client: status, the headers that matter, and the body
//! as a stream (never buffered).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};

/// Headers copied from the catalogue's answer.
const PASSED_HEADERS: [&str; 7] = [
    "content-type",
    "etag",
    "last-modified",
    "accept-ranges",
    "content-range",
    "record-count",
    "filename",
];

/// Starts a response with the upstream status and headers (minus `Link`, which the caller
/// rewrites, and hop-by-hop headers).
pub fn response_head(res: &reqwest::Response) -> HttpResponseBuilder {
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = HttpResponse::build(status);
    for name in PASSED_HEADERS {
        if let Some(value) = res.headers().get(name) {
            builder.insert_header((name, value.as_bytes()));
        }
    }
    builder
}

/// Finishes a response with the upstream body, streamed, keeping its `Content-Length`.
pub fn stream_body(mut builder: HttpResponseBuilder, res: reqwest::Response) -> HttpResponse {
    if let Some(len) = res.content_length() {
        builder.no_chunking(len);
    }
    builder.streaming(res.bytes_stream())
}

/// Rewrites the URLs of a catalogue `Link` header to `public_collection` (the same query).
pub fn rewrite_link(link: &str, public_collection: &str) -> String {
    link.split(',')
        .map(|part| {
            let part = part.trim();
            match (part.find('<'), part.find('>')) {
                (Some(open), Some(close)) if open < close => {
                    let url = &part[open + 1..close];
                    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
                    let target = if query.is_empty() {
                        public_collection.to_owned()
                    } else {
                        format!("{public_collection}?{query}")
                    };
                    format!("{}<{target}>{}", &part[..open], &part[close + 1..])
                }
                _ => part.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_urls_point_at_the_gatekeeper_with_the_same_query() {
        let link = "<http://cat:4011/api/catalogues/v2/packages?page_number=1&page_size=2>; rel=\"next\", <http://cat:4011/api/catalogues/v2/packages?page_number=0&page_size=2>; rel=\"prev\"";
        assert_eq!(
            rewrite_link(link, "http://gk/api/v3/packages"),
            "<http://gk/api/v3/packages?page_number=1&page_size=2>; rel=\"next\", <http://gk/api/v3/packages?page_number=0&page_size=2>; rel=\"prev\""
        );
    }
}
