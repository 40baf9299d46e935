//! The bounded in-memory record of received callbacks, with a way to wait for new ones.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;
use utoipa::ToSchema;

/// One request the mock received on a callback path.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceivedCallback {
    /// Position in arrival order, starting at 1; never reused, also not after a clear.
    pub seq: u64,
    pub received_at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub query: String,
    /// Request headers, names lower-cased.
    #[schema(value_type = Object)]
    pub headers: BTreeMap<String, String>,
    /// The `X-Delivery-Id` header, when the sender set one.
    pub delivery_id: Option<String>,
    /// The body: parsed JSON, a string when it was not JSON, null when empty.
    /// (Any JSON value: `serde_json::Value` gives the schema `{}`.)
    pub body: Value,
    /// The status the mock answered with (an injected failure, or 200).
    pub answered_status: u16,
}

impl ReceivedCallback {
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.answered_status)
    }
}

/// Which stored callbacks a read-back is about.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exact request path, e.g. `/callbacks/client-1`.
    pub path: Option<String>,
    /// Only callbacks with this `X-Delivery-Id`.
    pub delivery_id: Option<String>,
    /// Also list requests answered with an injected error.
    pub include_rejected: bool,
    /// Only callbacks with `seq` greater than this.
    pub after: Option<u64>,
}

impl Filter {
    fn matches(&self, cb: &ReceivedCallback) -> bool {
        (self.include_rejected || cb.accepted())
            && self.path.as_deref().is_none_or(|p| p == cb.path)
            && self
                .delivery_id
                .as_deref()
                .is_none_or(|d| cb.delivery_id.as_deref() == Some(d))
            && self.after.is_none_or(|after| cb.seq > after)
    }
}

/// Counters since start (not reset by a clear of the list).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Totals {
    pub accepted: u64,
    pub rejected: u64,
    /// `seq` of the latest request received (0 before the first).
    pub last_seq: u64,
}

struct Inner {
    items: VecDeque<ReceivedCallback>,
    totals: Totals,
}

/// Shared by every worker; cheap operations under one mutex.
pub struct Store {
    inner: Mutex<Inner>,
    capacity: usize,
    changed: watch::Sender<u64>,
}

impl Store {
    pub fn new(capacity: usize) -> Self {
        let (changed, _) = watch::channel(0);
        Self {
            inner: Mutex::new(Inner {
                items: VecDeque::new(),
                totals: Totals::default(),
            }),
            capacity: capacity.max(1),
            changed,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere; the data is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a request; `seq` is assigned here. Returns the stored copy.
    pub fn record(&self, mut cb: ReceivedCallback) -> ReceivedCallback {
        let seq = {
            let mut inner = self.lock();
            inner.totals.last_seq += 1;
            cb.seq = inner.totals.last_seq;
            if cb.accepted() {
                inner.totals.accepted += 1;
            } else {
                inner.totals.rejected += 1;
            }
            if inner.items.len() >= self.capacity {
                inner.items.pop_front();
            }
            inner.items.push_back(cb.clone());
            cb.seq
        };
        self.changed.send_replace(seq);
        cb
    }

    pub fn list(&self, filter: &Filter) -> Vec<ReceivedCallback> {
        self.lock()
            .items
            .iter()
            .filter(|cb| filter.matches(cb))
            .cloned()
            .collect()
    }

    pub fn totals(&self) -> Totals {
        self.lock().totals
    }

    /// Forgets every stored callback (the counters and `seq` go on).
    pub fn clear(&self) {
        self.lock().items.clear();
        self.changed.send_replace(self.totals().last_seq);
    }

    /// Waits until at least `count` stored callbacks match `filter`, at most `timeout`.
    /// Returns the matching callbacks, or `None` on timeout.
    pub async fn wait_for(
        &self,
        filter: &Filter,
        count: usize,
        timeout: Duration,
    ) -> Option<Vec<ReceivedCallback>> {
        let mut changes = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.mark_unchanged();
            let found = self.list(filter);
            if found.len() >= count.max(1) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }
}
