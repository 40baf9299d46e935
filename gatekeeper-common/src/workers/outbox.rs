//! Delivers the outbox: claims due deliveries, POSTs them, and records the outcome with
//! exponential back-off until a 2xx or the retry budget is spent.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use tokio::sync::watch;

use crate::db::outbox::{self, Delivery};
use crate::db::{millis, now_ms, Db};

/// Header carrying the delivery id; receivers use it to discard duplicates.
pub const DELIVERY_ID_HEADER: &str = "X-Delivery-Id";
/// Header carrying the process id of the event.
pub const PROCESS_ID_HEADER: &str = "X-Package-Process-Uuid";
/// Header carrying the attempt number (1 for the first).
pub const ATTEMPT_HEADER: &str = "X-Delivery-Attempt";

const BATCH: i64 = 16;

/// The deliverer of one replica.
pub struct OutboxWorker {
    pub db: Db,
    pub http: reqwest::Client,
    pub worker_id: String,
    pub poll_interval: Duration,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub backoff: Duration,
    pub backoff_max: Duration,
}

impl OutboxWorker {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let claimed = match self.deliver_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: claiming deliveries failed");
                    0
                }
            };
            if *shutdown.borrow() {
                return;
            }
            if claimed == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll_interval) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }

    /// Claims one batch and attempts every delivery in it; returns how many were claimed.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let lease_until = now_ms() + 2 * millis(self.timeout) + 5_000;
        let batch = outbox::claim(&self.db, &self.worker_id, lease_until, BATCH).await?;
        join_all(batch.iter().map(|d| self.attempt(d))).await;
        Ok(batch.len())
    }

    async fn attempt(&self, delivery: &Delivery) {
        let attempt = delivery.attempts + 1;
        let sent = self
            .http
            .post(&delivery.target_url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .header(DELIVERY_ID_HEADER, &delivery.id)
            .header(PROCESS_ID_HEADER, &delivery.process_id)
            .header(ATTEMPT_HEADER, attempt.to_string())
            .timeout(self.timeout)
            .body(delivery.payload.clone())
            .send()
            .await;
        let failure = match sent {
            Ok(res) if res.status().is_success() => None,
            Ok(res) => Some(format!("HTTP {}", res.status())),
            Err(e) => Some(e.to_string()),
        };
        let recorded = match failure {
            None => {
                tracing::info!(delivery = %delivery.id, target = %delivery.target_url, attempt, "callback delivered");
                outbox::mark_delivered(&self.db, &delivery.id, &self.worker_id).await
            }
            Some(error) => {
                let retry_at = self.retry_at(attempt);
                tracing::warn!(delivery = %delivery.id, target = %delivery.target_url, attempt, %error, gives_up = retry_at.is_none(), "callback failed");
                outbox::mark_failed(&self.db, &delivery.id, &self.worker_id, &error, retry_at).await
            }
        };
        if let Err(e) = recorded {
            tracing::warn!(delivery = %delivery.id, error = %e, "outbox: recording an attempt failed");
        }
    }

    /// When to try again after `attempts` failures, or `None` when the budget is spent.
    fn retry_at(&self, attempts: i64) -> Option<i64> {
        if attempts >= i64::from(self.max_attempts) {
            return None;
        }
        Some(now_ms() + backoff_ms(self.backoff, self.backoff_max, attempts))
    }
}

/// `initial * 2^(failures-1)`, capped at `max`.
pub fn backoff_ms(initial: Duration, max: Duration, failures: i64) -> i64 {
    let exponent = u32::try_from(failures.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    millis(initial)
        .saturating_mul(1_i64 << exponent)
        .min(millis(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let (a, b) = (Duration::from_millis(100), Duration::from_millis(1000));
        let delays: Vec<i64> = (1..=6).map(|n| backoff_ms(a, b, n)).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
    }
}
