//! HTTP handlers, one file per concern.

pub mod failures;
pub mod health;
pub mod read_back;
pub mod receive;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::failures::Failures;
use crate::store::Store;

/// State shared by every handler.
pub struct MockState {
    pub store: Store,
    pub failures: Failures,
    pub alive_since: DateTime<Utc>,
    pub max_body_bytes: usize,
    pub max_wait: Duration,
}

pub type State = actix_web::web::Data<Arc<MockState>>;
