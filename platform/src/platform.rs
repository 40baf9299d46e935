//! The four services together: start in order (each ready before the next), stop in reverse.

use std::{process::ExitStatus, time::Duration};

use anyhow::Context;
use futures_util::future::select_all;

use crate::{
    binaries, database, health,
    process::{effective_var, RunningService},
    Logs, PlatformSpec, Service,
};

/// How long a service may take to stop after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(15);

/// A running platform. Dropping it kills whatever still runs; [`Platform::stop`] is the clean
/// way.
#[derive(Debug)]
pub struct Platform {
    spec: PlatformSpec,
    running: Vec<RunningService>,
}

impl Platform {
    /// Prepares the data directory and any PostgreSQL database that is missing, then starts
    /// every service and waits for each to be ready. On failure, what was started is stopped.
    pub async fn start(spec: PlatformSpec) -> anyhow::Result<Self> {
        for service in Service::START_ORDER {
            binaries::binary_path(&spec.bin_dir, service)?;
        }
        prepare(&spec).await?;
        let mut platform = Self {
            spec,
            running: Vec::new(),
        };
        for service in Service::START_ORDER {
            if let Err(e) = platform.start_one(service).await {
                platform.stop().await;
                return Err(e);
            }
        }
        Ok(platform)
    }

    async fn start_one(&mut self, service: Service) -> anyhow::Result<()> {
        let mut running = RunningService::spawn(&self.spec, service)?;
        let ready = health::wait_ready(&self.spec, &mut running, self.spec.ready_timeout).await;
        self.running.push(running);
        ready
    }

    pub fn spec(&self) -> &PlatformSpec {
        &self.spec
    }

    pub fn base_url(&self, service: Service) -> String {
        self.spec.base_url(service)
    }

    pub fn service(&self, service: Service) -> Option<&RunningService> {
        self.running.iter().find(|r| r.service == service)
    }

    /// Resolves when the first service exits by itself (a crash, or a stop from outside).
    pub async fn wait_any_exit(&mut self) -> (Service, anyhow::Result<ExitStatus>) {
        if self.running.is_empty() {
            return futures_util::future::pending().await;
        }
        let waits = self.running.iter_mut().map(|r| {
            Box::pin(async move {
                let service = r.service;
                (service, r.wait().await)
            })
        });
        select_all(waits).await.0
    }

    /// Kills one service with SIGKILL, as a crash would, and waits until it is gone. It stays
    /// in the platform, exited, until [`Platform::restart`].
    pub async fn kill(&mut self, service: Service) -> anyhow::Result<ExitStatus> {
        self.running_mut(service)?.kill().await
    }

    /// Stops one service with SIGTERM (SIGKILL after [`STOP_GRACE`]) and returns its status.
    pub async fn stop_service(&mut self, service: Service) -> anyhow::Result<ExitStatus> {
        self.running_mut(service)?.stop(STOP_GRACE).await
    }

    /// Starts one service again, on the same port with the same environment (so with the same
    /// database and data folder), and waits until it is ready. One still running is stopped
    /// first (SIGTERM). Its log file, if any, goes on below a line saying so.
    pub async fn restart(&mut self, service: Service) -> anyhow::Result<()> {
        let index = self.index_of(service)?;
        self.running[index].stop(STOP_GRACE).await?;
        if let Some(path) = self.running[index].log_file() {
            use std::io::Write;
            let mut log = std::fs::OpenOptions::new().append(true).open(path)?;
            writeln!(log, "----- restarted by the platform -----")?;
        }
        let mut fresh = RunningService::spawn(&self.spec, service)?;
        let ready = health::wait_ready(&self.spec, &mut fresh, self.spec.ready_timeout).await;
        self.running[index] = fresh;
        ready
    }

    fn index_of(&self, service: Service) -> anyhow::Result<usize> {
        self.running
            .iter()
            .position(|r| r.service == service)
            .with_context(|| format!("{service} is not part of this platform"))
    }

    fn running_mut(&mut self, service: Service) -> anyhow::Result<&mut RunningService> {
        let index = self.index_of(service)?;
        Ok(&mut self.running[index])
    }

    /// SIGTERM to each service, newest first, waiting for each (SIGKILL after
    /// [`STOP_GRACE`]). Returns each service's exit status.
    pub async fn stop(&mut self) -> Vec<(Service, anyhow::Result<ExitStatus>)> {
        let mut outcomes = Vec::new();
        while let Some(mut running) = self.running.pop() {
            let status = running.stop(STOP_GRACE).await;
            outcomes.push((running.service, status));
        }
        outcomes
    }

    /// The end of every service's log file (for test failure messages).
    pub fn log_tails(&self, lines: usize) -> String {
        self.running
            .iter()
            .map(|r| format!("--- {} ---\n{}", r.service, r.log_tail(lines)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn prepare(spec: &PlatformSpec) -> anyhow::Result<()> {
    for dir in [spec.data_dir.clone(), spec.blob_dir(), spec.spool_dir()] {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if let Logs::Files(dir) = &spec.logs {
        std::fs::create_dir_all(dir)?;
    }
    for (service, key) in [
        (Service::Catalogue, "CATALOGUE_DATABASE_URL"),
        (Service::Gatekeeper, "GATEKEEPER_DATABASE_URL"),
    ] {
        let Some(url) = effective_var(spec, service, key) else {
            continue;
        };
        if database::is_postgres(&url) {
            database::ensure_database(&url)
                .await
                .with_context(|| format!("{key}={}", database::redact(&url)))?;
        }
    }
    Ok(())
}
