//! Injected failures: make the next N callbacks, or all callbacks for a while, get an error.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a client asks for with `PUT /api/v1/failures`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FailureRequest {
    /// Status to answer with (default 500). Must be 400..=599.
    #[serde(default = "default_status")]
    pub status: u16,
    /// Fail this many of the next callbacks.
    #[serde(default)]
    pub count: Option<u32>,
    /// Fail every callback for this many milliseconds.
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

fn default_status() -> u16 {
    500
}

/// The failure plan in force, as `GET /api/v1/failures` shows it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct FailureView {
    pub status: Option<u16>,
    pub remaining_count: Option<u32>,
    pub remaining_ms: Option<u64>,
}

#[derive(Debug, Default)]
struct Plan {
    status: u16,
    remaining: Option<u32>,
    until: Option<Instant>,
}

/// The failure plan, shared by every worker.
#[derive(Debug, Default)]
pub struct Failures {
    plan: Mutex<Option<Plan>>,
}

impl Failures {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Plan>> {
        self.plan.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Installs a plan, replacing any previous one.
    pub fn set(&self, request: &FailureRequest) {
        *self.lock() = Some(Plan {
            status: request.status,
            remaining: request.count,
            until: request
                .duration_ms
                .map(|ms| Instant::now() + Duration::from_millis(ms)),
        });
    }

    pub fn clear(&self) {
        *self.lock() = None;
    }

    /// Decides the fate of one incoming callback: `Some(status)` to fail it.
    pub fn next_failure(&self) -> Option<u16> {
        let mut guard = self.lock();
        let plan = guard.as_mut()?;
        if let Some(until) = plan.until {
            if Instant::now() < until {
                return Some(plan.status);
            }
            if plan.remaining.is_none() {
                *guard = None;
                return None;
            }
        }
        match plan.remaining {
            Some(0) => {
                *guard = None;
                None
            }
            Some(n) => {
                plan.remaining = Some(n - 1);
                Some(plan.status)
            }
            None => None,
        }
    }

    pub fn view(&self) -> FailureView {
        let guard = self.lock();
        match guard.as_ref() {
            None => FailureView::default(),
            Some(plan) => FailureView {
                status: Some(plan.status),
                remaining_count: plan.remaining,
                remaining_ms: plan.until.map(|u| {
                    let left = u.saturating_duration_since(Instant::now());
                    u64::try_from(left.as_millis()).unwrap_or(u64::MAX)
                }),
            },
        }
    }
}
