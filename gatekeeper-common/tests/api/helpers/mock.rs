//! The callback mock, in-process.

use std::time::Duration;

use serde_json::{json, Value};

pub struct CallbackMock {
    pub base: String,
    client: reqwest::Client,
}

impl CallbackMock {
    pub async fn spawn() -> Self {
        let app = callback_mock::build(callback_mock::Config::for_testing())
            .await
            .expect("callback mock builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    /// A receiver URL on the mock.
    pub fn callback_url(&self, name: &str) -> String {
        format!("{}/callbacks/{name}", self.base)
    }

    /// Every request on `/callbacks/{name}`, failed ones included.
    pub async fn attempts(&self, name: &str) -> Vec<Value> {
        self.received(&[
            ("path", format!("/callbacks/{name}")),
            ("include_rejected", "true".to_owned()),
        ])
        .await
    }

    /// Every request the mock received on any path, failed ones included.
    pub async fn everything(&self) -> Vec<Value> {
        self.received(&[("include_rejected", "true".to_owned())])
            .await
    }

    async fn received(&self, query: &[(&str, String)]) -> Vec<Value> {
        let body: Value = self
            .client
            .get(format!("{}/api/v1/received", self.base))
            .query(query)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        body["callbacks"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until `count` accepted callbacks are stored on `/callbacks/{name}`.
    pub async fn wait_for(&self, name: &str, count: usize, timeout: Duration) -> Vec<Value> {
        let res = self
            .client
            .get(format!("{}/api/v1/received/wait", self.base))
            .query(&[
                ("path", format!("/callbacks/{name}")),
                ("count", count.to_string()),
                ("timeout_ms", timeout.as_millis().to_string()),
            ])
            .send()
            .await
            .expect("wait");
        assert_eq!(
            res.status(),
            200,
            "no {count} callbacks on {name} within {timeout:?}"
        );
        let body: Value = res.json().await.expect("json");
        body["callbacks"].as_array().cloned().unwrap_or_default()
    }

    /// Makes the next `count` callbacks fail with 500.
    pub async fn fail_next(&self, count: u32) {
        self.set_failures(json!({"status": 500, "count": count}))
            .await;
    }

    /// Makes every callback fail for `ms` milliseconds.
    pub async fn fail_for(&self, ms: u64) {
        self.set_failures(json!({"status": 503, "duration_ms": ms}))
            .await;
    }

    pub async fn stop_failing(&self) {
        self.client
            .delete(format!("{}/api/v1/failures", self.base))
            .send()
            .await
            .expect("clear failures");
    }

    async fn set_failures(&self, plan: Value) {
        let res = self
            .client
            .put(format!("{}/api/v1/failures", self.base))
            .json(&plan)
            .send()
            .await
            .expect("set failures");
        assert_eq!(res.status(), 200);
    }
}
