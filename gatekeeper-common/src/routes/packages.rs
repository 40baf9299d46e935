//! Package reads and deletes, answered by the catalogue.

use actix_web::{delete, get, options, web, HttpRequest, HttpResponse};
use shared_models::ErrorBody;

use super::{parse_uuid, with_page_defaults};
use crate::auth;
use crate::error::ApiError;
use crate::state::State;
use crate::upstream::{error_from, proxy};

/// Lists a catalogue collection, passing filters and pagination through and rewriting `Link`.
pub async fn list_collection(
    req: &HttpRequest,
    state: &State,
    catalogue_collection: &str,
    public_collection: &str,
) -> Result<HttpResponse, ApiError> {
    let query = with_page_defaults(req.query_string(), state.settings.default_page_size);
    let res = state
        .catalogue
        .get(
            &format!("{catalogue_collection}?{query}"),
            "application/json",
            None,
        )
        .await?;
    if !res.status().is_success() {
        return Err(error_from("catalogue", res).await);
    }
    let mut head = proxy::response_head(&res);
    if let Some(link) = res.headers().get("link").and_then(|v| v.to_str().ok()) {
        let public = state.settings.public_collection(public_collection);
        head.insert_header(("Link", proxy::rewrite_link(link, &public)));
    }
    Ok(proxy::stream_body(head, res))
}

/// Fetches one catalogue record, streamed through; 404 becomes `not_found`.
pub async fn get_record(
    state: &State,
    path: &str,
    not_found: ApiError,
) -> Result<HttpResponse, ApiError> {
    let res = state.catalogue.get(path, "application/json", None).await?;
    if res.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(not_found);
    }
    if !res.status().is_success() {
        return Err(error_from("catalogue", res).await);
    }
    Ok(proxy::stream_body(proxy::response_head(&res), res))
}

/// The on-boarded packages (catalogue filters such as `vendor`, `name`, `version` pass
/// through; `page_size`/`page_number` default to 100/0; `Record-Count` and `Link` headers).
#[utoipa::path(
    tag = "packages",
    params(
        ("page_size" = Option<u32>, Query, description = "default 100"),
        ("page_number" = Option<u32>, Query, description = "from 0")
    ),
    responses((status = 200, description = "Package records", body = [Object]),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody))
)]
#[get("/packages")]
pub async fn list(req: HttpRequest, state: State) -> Result<HttpResponse, ApiError> {
    list_collection(&req, &state, "packages", "packages").await
}

/// One package record.
#[utoipa::path(
    tag = "packages",
    params(("uuid" = String, Path)),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody))
)]
#[get("/packages/{uuid}")]
pub async fn get_one(path: web::Path<String>, state: State) -> Result<HttpResponse, ApiError> {
    let uuid = parse_uuid("Package UUID", &path)?;
    let missing = ApiError::not_found(
        "package-not-found",
        format!("No package with UUID '{uuid}' was found"),
    );
    get_record(&state, &format!("packages/{uuid}"), missing).await
}

/// Deletes a package and what only it uses (the catalogue's reference-counted cascade).
#[utoipa::path(
    tag = "packages",
    params(("uuid" = String, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[delete("/packages/{uuid}")]
pub async fn remove(
    req: HttpRequest,
    path: web::Path<String>,
    state: State,
) -> Result<HttpResponse, ApiError> {
    auth::writer(&req, state.settings.auth.as_ref())?;
    let uuid = parse_uuid("Package UUID", &path)?;
    let res = state.catalogue.delete(&format!("packages/{uuid}")).await?;
    if res.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(ApiError::not_found(
            "package-not-found",
            format!("No package file for package UUID '{uuid}' was found"),
        ));
    }
    if !res.status().is_success() {
        return Err(error_from("catalogue", res).await);
    }
    tracing::info!(package = %uuid, "package deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// The answer to `OPTIONS` on a collection: empty; the CORS headers are added to every
/// response by [`crate::headers::common`].
pub fn preflight() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// CORS pre-flight.
#[utoipa::path(tag = "packages", responses((status = 200)))]
#[options("/packages")]
pub async fn options_packages() -> HttpResponse {
    preflight()
}
