//! A gatekeeper client: upload, then ask the status until the process is terminal: each
//! question waits for the finish (`?wait=`), or, with no wait, is repeated after a pause.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use reqwest::{
    multipart::{Form, Part},
    Body,
};
use serde_json::Value;

#[derive(Clone)]
pub struct Gatekeeper {
    http: reqwest::Client,
    base: String,
    /// Pause between two status polls.
    pub poll: Duration,
    /// How long one status question may wait for the finish; zero polls instead.
    pub wait: Duration,
}

/// A finished on-boarding.
pub struct Outcome {
    pub elapsed: Duration,
    pub event: Value,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.event["package_process_status"] == "success"
    }

    pub fn describe(&self) -> String {
        let meta = &self.event["package_metadata"];
        format!(
            "{} {} {}",
            self.event["package_process_status"], meta["error_code"], meta["error"]
        )
    }
}

impl Gatekeeper {
    pub fn new(base: &str, poll: Duration, wait: Duration) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .expect("reqwest client");
        Self {
            http,
            base: base.to_owned(),
            poll,
            wait,
        }
    }

    async fn post(&self, part: Part, callback: Option<&str>) -> Result<String> {
        let mut form = Form::new();
        if let Some(url) = callback {
            form = form.text("callback_url", url.to_owned());
        }
        let form = form.part("package", part);
        let response = self
            .http
            .post(format!("{}/api/v3/packages", self.base))
            .multipart(form)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.context("upload answer")?;
        if !status.is_success() {
            bail!("upload answered {status}: {body}");
        }
        body["package_process_uuid"]
            .as_str()
            .map(str::to_owned)
            .context("no package_process_uuid in the upload answer")
    }

    /// Upload in-memory bytes and wait for the terminal status.
    pub async fn onboard(
        &self,
        bytes: Vec<u8>,
        file_name: &str,
        callback: Option<&str>,
    ) -> Result<Outcome> {
        let start = Instant::now();
        let part = Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str("application/octet-stream")?;
        let id = self.post(part, callback).await?;
        let event = self.wait_terminal(&id, Duration::from_secs(600)).await?;
        Ok(Outcome {
            elapsed: start.elapsed(),
            event,
        })
    }

    /// Upload a file as a stream and wait for the terminal status.
    pub async fn onboard_file(&self, path: &Path, callback: Option<&str>) -> Result<Outcome> {
        let start = Instant::now();
        let file = tokio::fs::File::open(path).await?;
        let len = file.metadata().await?.len();
        let body = Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
            file,
            256 * 1024,
        ));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let part = Part::stream_with_length(body, len)
            .file_name(name)
            .mime_str("application/octet-stream")?;
        let id = self.post(part, callback).await?;
        let event = self.wait_terminal(&id, Duration::from_secs(3600)).await?;
        Ok(Outcome {
            elapsed: start.elapsed(),
            event,
        })
    }

    pub async fn wait_terminal(&self, id: &str, limit: Duration) -> Result<Value> {
        let mut url = format!("{}/api/v3/packages/status/{id}", self.base);
        if !self.wait.is_zero() {
            url.push_str(&format!("?wait={}", self.wait.as_secs_f64()));
        }
        let start = Instant::now();
        loop {
            let asked = Instant::now();
            let response = self.http.get(&url).send().await?;
            let status = response.status();
            let body: Value = response.json().await.context("status answer")?;
            if !status.is_success() {
                bail!("status of {id} answered {status}: {body}");
            }
            if body.get("package_process_status").is_some() {
                return Ok(body);
            }
            if start.elapsed() > limit {
                bail!("process {id} not terminal after {limit:?}");
            }
            // Polling pauses between questions. Waiting asks again at once after a held answer
            // that ran out of time, and after the pause after an early "running" (a
            // gatekeeper that does not hold, or holds no more requests).
            if self.wait.is_zero() || asked.elapsed() < self.wait {
                tokio::time::sleep(self.poll).await;
            }
        }
    }
}
