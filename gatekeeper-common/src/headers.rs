//! Headers every response carries: CORS (also on errors; pre-flight requests are answered
//! here for any path) and `X-Timing`, the seconds the request took, as the original API gateway
//! sent it.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// The header with the elapsed time in seconds (e.g. `0.001234`).
pub const TIMING_HEADER: &str = "x-timing";

const ALLOW_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const ALLOW_HEADERS: &str =
    "*, Content-Type, Accept, Authorization, Cache-Control, X-Requested-With, X-User-Name";
const EXPOSE_HEADERS: &str = "Cache-Control, Content-Language, Content-Type, Content-Length, \
     Content-Disposition, ETag, Expires, Last-Modified, Link, Pragma, Record-Count, Retry-After, \
     X-Timing";
const MAX_AGE: &str = "1728000";

/// Adds CORS and `X-Timing` to every response; answers CORS pre-flight requests itself.
pub async fn common(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let started = Instant::now();
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut res = if is_preflight(&req) {
        req.into_response(HttpResponse::Ok().finish())
            .map_into_right_body()
    } else {
        // Handler errors are already responses here (the app turns them into JSON bodies).
        next.call(req).await?.map_into_left_body()
    };
    let headers = res.headers_mut();
    add_cors(headers, origin);
    let seconds = format!("{:.6}", started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        headers.insert(HeaderName::from_static(TIMING_HEADER), value);
    }
    Ok(res)
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// With an `Origin` it is echoed (and credentials allowed), as the reference did; else `*`.
fn add_cors(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    let allow_origin = match origin {
        Some(origin) => {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
            origin
        }
        None => HeaderValue::from_static("*"),
    };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
    for (name, value) in [
        (header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS),
        (header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS),
        (header::ACCESS_CONTROL_MAX_AGE, MAX_AGE),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
