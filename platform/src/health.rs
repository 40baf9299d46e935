//! Waiting for a service to answer its readiness probe.

use std::time::{Duration, Instant};

use crate::{process::RunningService, PlatformSpec};

/// Polls `GET <base>/health/ready` until it answers 200, the process exits, or `timeout`
/// passes. The error says which, with the end of the service's log when there is one.
pub async fn wait_ready(
    spec: &PlatformSpec,
    running: &mut RunningService,
    timeout: Duration,
) -> anyhow::Result<()> {
    let service = running.service;
    let url = format!("{}{}", spec.base_url(service), service.ready_path());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let started = Instant::now();
    loop {
        if let Some(status) = running.try_exited()? {
            anyhow::bail!(
                "{service} exited during start-up ({status}){}",
                tail(running)
            );
        }
        let last = match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => format!("{url} answered {}", response.status()),
            Err(e) => format!("{url}: {e}"),
        };
        if started.elapsed() > timeout {
            anyhow::bail!(
                "{service} not ready after {timeout:?} ({last}){}",
                tail(running)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn tail(running: &RunningService) -> String {
    let text = running.log_tail(30);
    if text.is_empty() {
        String::new()
    } else {
        format!("; last lines of its log:\n{text}")
    }
}
