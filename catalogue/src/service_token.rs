//! The shared service token (`SONATA_SERVICE_TOKEN`, ADR-21): writes need it, reads do not.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web,
};
use shared_models::SERVICE_TOKEN_HEADER;

use crate::{error::ApiError, startup::AppState};

/// Whether a request with `method` changes something (and so needs the token).
pub fn is_write(method: &Method) -> bool {
    ![Method::GET, Method::HEAD, Method::OPTIONS].contains(method)
}

/// Middleware: refuses a write without the configured token (401) or with another one (403)
/// before any handler reads its body.
pub async fn require(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let token = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.config.service_token.clone());
    if let Some(token) = token.filter(|_| is_write(req.method())) {
        let presented = req.headers().get(SERVICE_TOKEN_HEADER);
        token
            .check(presented.map(|v| v.as_bytes()))
            .map_err(ApiError::from)?;
    }
    next.call(req).await
}
