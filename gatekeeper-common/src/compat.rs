//! Request normalisation the reference gave every route under `/api/v3`: a trailing slash is
//! optional (`/packages/` is `/packages`), and `HEAD` is answered like `GET` (the HTTP codec
//! still sends no body, because it saw the original `HEAD`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, Uri};
use actix_web::middleware::Next;
use actix_web::Error;

use crate::API_PREFIX;

pub async fn normalise(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.path().starts_with(API_PREFIX) {
        if req.method() == Method::HEAD {
            req.head_mut().method = Method::GET;
        }
        if let Some(uri) = without_trailing_slash(req.uri()) {
            req.match_info_mut().get_mut().update(&uri);
            req.head_mut().uri = uri;
        }
    }
    next.call(req).await
}

/// The URI without its path's trailing slashes, when it has any.
fn without_trailing_slash(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || trimmed.is_empty() {
        return None;
    }
    let path_and_query = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slashes_go_and_the_query_stays() {
        let uri: Uri = "/api/v3/packages/?page_size=1".parse().unwrap_or_default();
        assert_eq!(
            without_trailing_slash(&uri).map(|u| u.to_string()),
            Some("/api/v3/packages?page_size=1".to_owned())
        );
        let plain: Uri = "/api/v3/packages".parse().unwrap_or_default();
        assert!(without_trailing_slash(&plain).is_none());
    }
}
