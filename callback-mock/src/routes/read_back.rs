//! Reading callbacks back: list, long-poll, clear.

use std::time::Duration;

use actix_web::{delete, get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use crate::error::MockError;
use crate::store::{Filter, ReceivedCallback, Totals};

/// Filters shared by the list and the wait endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only callbacks received on this exact path (e.g. `/callbacks/a`).
    pub path: Option<String>,
    /// Only callbacks with this `X-Delivery-Id`.
    pub delivery_id: Option<String>,
    /// Also show requests that were answered with an injected error.
    #[serde(default)]
    pub include_rejected: bool,
    /// Only callbacks with a `seq` greater than this.
    pub after: Option<u64>,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            path: self.path.clone(),
            delivery_id: self.delivery_id.clone(),
            include_rejected: self.include_rejected,
            after: self.after,
        }
    }
}

/// The long-poll's parameters on top of the filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct WaitQuery {
    /// Only callbacks received on this exact path.
    pub path: Option<String>,
    /// Only callbacks with this `X-Delivery-Id`.
    pub delivery_id: Option<String>,
    /// Only callbacks with a `seq` greater than this.
    pub after: Option<u64>,
    /// Wait until this many matching callbacks are stored. Without `count` and `after`, the
    /// call waits for the next callback that arrives after it was made.
    pub count: Option<usize>,
    /// Give up after this many milliseconds (default 10000, capped by the configured maximum).
    pub timeout_ms: Option<u64>,
}

/// A read-back answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackList {
    pub totals: Totals,
    pub count: usize,
    pub callbacks: Vec<ReceivedCallback>,
}

/// Every stored callback that matches the filters, oldest first.
#[utoipa::path(tag = "read-back", params(ListQuery), responses((status = 200, body = CallbackList)))]
#[get("/api/v1/received")]
pub async fn list(query: web::Query<ListQuery>, state: State) -> HttpResponse {
    let callbacks = state.store.list(&query.filter());
    HttpResponse::Ok().json(CallbackList {
        totals: state.store.totals(),
        count: callbacks.len(),
        callbacks,
    })
}

/// Long-poll: answers as soon as enough matching callbacks are stored, 408 on timeout.
#[utoipa::path(
    tag = "read-back",
    params(WaitQuery),
    responses(
        (status = 200, body = CallbackList),
        (status = 408, description = "Nothing matching arrived in time", body = shared_models::ErrorBody)
    )
)]
#[get("/api/v1/received/wait")]
pub async fn wait(query: web::Query<WaitQuery>, state: State) -> Result<HttpResponse, MockError> {
    let query = query.into_inner();
    let mut filter = Filter {
        path: query.path,
        delivery_id: query.delivery_id,
        include_rejected: false,
        after: query.after,
    };
    if query.count.is_none() && filter.after.is_none() {
        filter.after = Some(state.store.totals().last_seq);
    }
    let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(10_000)).min(state.max_wait);
    let callbacks = state
        .store
        .wait_for(&filter, query.count.unwrap_or(1), timeout)
        .await
        .ok_or(MockError::WaitTimeout(timeout.as_millis()))?;
    Ok(HttpResponse::Ok().json(CallbackList {
        totals: state.store.totals(),
        count: callbacks.len(),
        callbacks,
    }))
}

/// Forgets every stored callback.
#[utoipa::path(tag = "read-back", responses((status = 204)))]
#[delete("/api/v1/received")]
pub async fn clear(state: State) -> HttpResponse {
    state.store.clear();
    HttpResponse::NoContent().finish()
}
