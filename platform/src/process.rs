//! One service as a child process: spawn with its environment, forward or record its output,
//! stop it with SIGTERM (then SIGKILL after a grace period).

use std::{
    io::{IsTerminal, Write},
    path::PathBuf,
    process::{ExitStatus, Stdio},
    time::Duration,
};

use anyhow::Context;
use rustix::process::{kill_process, Pid, Signal};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
};

use crate::{binaries, Logs, PlatformSpec, Service};

/// Width of the log prefix: the longest service name (`callback-mock`).
pub const PREFIX_WIDTH: usize = 13;

/// A started service.
#[derive(Debug)]
pub struct RunningService {
    pub service: Service,
    child: Child,
    log_file: Option<PathBuf>,
    exit: Option<ExitStatus>,
}

impl RunningService {
    /// Starts the service's binary with the spec's environment. The child gets its own process
    /// group, so a Ctrl-C in the terminal reaches only the launcher, which then stops the
    /// children in order.
    pub fn spawn(spec: &PlatformSpec, service: Service) -> anyhow::Result<Self> {
        let binary = binaries::binary_path(&spec.bin_dir, service)?;
        let mut command = Command::new(&binary);
        command
            .args(service.args())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        for (key, value) in effective_env(spec, service) {
            command.env(key, value);
        }
        let log_file = match &spec.logs {
            Logs::Prefixed => {
                if !std::io::stdout().is_terminal() {
                    command.env("NO_COLOR", "1");
                }
                command.stdout(Stdio::piped()).stderr(Stdio::piped());
                None
            }
            Logs::Files(dir) => {
                std::fs::create_dir_all(dir)?;
                let path = dir.join(format!("{}.log", service.name()));
                // Appended to: a service restarted by [`crate::Platform::restart`] keeps the
                // log of its earlier run above the new one.
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                command.env("NO_COLOR", "1");
                command.stdout(file.try_clone()?).stderr(file);
                Some(path)
            }
        };
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        if log_file.is_none() {
            forward(service, child.stdout.take());
            forward(service, child.stderr.take());
        }
        Ok(Self {
            service,
            child,
            log_file,
            exit: None,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The exit status if the process has ended (without waiting).
    pub fn try_exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait()?;
        }
        Ok(self.exit)
    }

    /// Waits until the process ends by itself.
    pub async fn wait(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.exit {
            return Ok(status);
        }
        let status = self.child.wait().await?;
        self.exit = Some(status);
        Ok(status)
    }

    /// SIGTERM, then wait up to `grace`; SIGKILL if it is still running. Returns the status.
    pub async fn stop(&mut self, grace: Duration) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.try_exited()? {
            return Ok(status);
        }
        if let Some(pid) = self
            .pid()
            .and_then(|p| i32::try_from(p).ok())
            .and_then(Pid::from_raw)
        {
            // ESRCH (already gone) is fine: the wait below collects it.
            let _ = kill_process(pid, Signal::TERM);
        }
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => {
                let status = status?;
                self.exit = Some(status);
                Ok(status)
            }
            Err(_) => {
                self.child.start_kill()?;
                self.wait().await
            }
        }
    }

    /// SIGKILL (the process gets no chance to clean up, as in a crash) and wait for it.
    pub async fn kill(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.try_exited()? {
            return Ok(status);
        }
        self.child.start_kill()?;
        self.wait().await
    }

    /// The last `lines` lines of the service's log file (empty when logs are forwarded).
    pub fn log_tail(&self, lines: usize) -> String {
        let Some(path) = &self.log_file else {
            return String::new();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    pub fn log_file(&self) -> Option<&PathBuf> {
        self.log_file.as_ref()
    }
}

/// The variables a service is started with: the spec's, then `extra_env`; with
/// `ambient_env_wins`, a variable already set in the launcher's environment is left to it
/// (the child inherits it).
pub fn effective_env(spec: &PlatformSpec, service: Service) -> Vec<(String, String)> {
    let extra = spec
        .extra_env
        .iter()
        .filter(|(s, _, _)| *s == service)
        .map(|(_, k, v)| (k.clone(), v.clone()));
    spec.env_for(service)
        .into_iter()
        .chain(extra)
        .filter(|(k, _)| !(spec.ambient_env_wins && std::env::var_os(k).is_some()))
        .collect()
}

/// The value a service will see for `key`: the launcher's own when it wins, else the spec's.
pub fn effective_var(spec: &PlatformSpec, service: Service, key: &str) -> Option<String> {
    if spec.ambient_env_wins {
        if let Some(value) = crate::env_text(key) {
            return Some(value);
        }
    }
    effective_env(spec, service)
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Copies each line of a child's output to stdout, prefixed with the service name.
fn forward(service: Service, stream: Option<impl AsyncRead + Unpin + Send + 'static>) {
    let Some(stream) = stream else { return };
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => print_prefixed(service.name(), &String::from_utf8_lossy(&line)),
            }
        }
    });
}

/// `name          | text`, one line, on stdout.
pub fn print_prefixed(name: &str, text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{name:<PREFIX_WIDTH$} | {}",
        text.trim_end_matches(['\r', '\n'])
    );
}
