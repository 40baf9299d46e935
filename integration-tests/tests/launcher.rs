//! `sonata-platform`, the one command of README.md: it starts the four services on their
//! ports with state under ./data, prefixes their logs, stops them all on Ctrl-C (SIGINT) or
//! SIGTERM, stops the rest when one dies, and runs on PostgreSQL when DATABASE_URL is set.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use integration_tests::{
    binaries,
    session::{self, DatabaseGuard},
};
use platform::{database, Ports, Service};
use rustix::process::{kill_process, Pid, Signal};

struct Launcher {
    child: Child,
    output: PathBuf,
    ports: Ports,
    dir: tempfile::TempDir,
}

impl Launcher {
    /// Starts the launcher in a fresh working directory, each service on a free port.
    fn start(extra: &[(&str, String)]) -> Self {
        let bin_dir = binaries::ensure_built();
        let dir = tempfile::tempdir().unwrap();
        let ports = Ports::free().unwrap();
        let output = dir.path().join("out.log");
        let log = std::fs::File::create(&output).unwrap();
        let mut command = Command::new(bin_dir.join("sonata-platform"));
        command
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for var in [
            "DATABASE_URL",
            "CATALOGUE_DATABASE_URL",
            "GATEKEEPER_DATABASE_URL",
        ] {
            command.env_remove(var);
        }
        for service in Service::START_ORDER {
            command.env(
                service.bind_var(),
                format!("127.0.0.1:{}", ports.of(service)),
            );
        }
        command.envs(extra.iter().map(|(k, v)| (k, v)));
        let child = command.spawn().unwrap();
        Self {
            child,
            output,
            ports,
            dir,
        }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// Waits for the launcher's "all services ready" line.
    fn wait_ready(&mut self) {
        let started = Instant::now();
        while !self.text().contains("all services ready") {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the launcher exited ({status}):\n{}", self.text());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not ready:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn signal(&self, signal: Signal) {
        kill_process(pid(self.child.id()), signal).unwrap();
    }

    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                panic!(
                    "the launcher did not exit within {limit:?}:\n{}",
                    self.text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pid the summary line prints for a service.
    fn pid_of(&self, service: Service) -> u32 {
        let text = self.text();
        let line = text
            .lines()
            .find(|l| l.contains(&format!("  {:<13} http://", service.name())))
            .unwrap_or_else(|| panic!("no summary line for {service}:\n{text}"));
        let start = line.find("(pid ").unwrap() + 5;
        line[start..].trim_end_matches(')').parse().unwrap()
    }

    fn data(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pid(raw: u32) -> Pid {
    Pid::from_raw(i32::try_from(raw).unwrap()).unwrap()
}

fn answers(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn ctrl_c_stops_every_service_cleanly() {
    let mut launcher = Launcher::start(&[]);
    launcher.wait_ready();
    for service in Service::START_ORDER {
        assert!(
            answers(launcher.ports.of(service)),
            "{service} is not listening"
        );
    }
    let data = launcher.data().join("data");
    for file in ["catalogue.db", "gatekeeper.db", "blobs"] {
        assert!(data.join(file).exists(), "data/{file} missing");
    }

    launcher.signal(Signal::INT);
    let status = launcher.wait_exit(Duration::from_secs(30));
    let text = launcher.text();
    assert!(status.success(), "exit {status}:\n{text}");
    for service in Service::START_ORDER {
        let prefix = format!("{:<13} | ", service.name());
        assert!(
            text.lines().any(|l| l.starts_with(&prefix)),
            "no {service} log lines"
        );
    }
    assert!(
        text.contains("SIGTERM received"),
        "children got SIGTERM:\n{text}"
    );
    assert_stopped(&launcher, &Service::START_ORDER);
}

/// Each service exited 0 after the launcher's SIGTERM and no longer listens.
fn assert_stopped(launcher: &Launcher, services: &[Service]) {
    let text = launcher.text();
    for service in services {
        let stopped = format!("{service} stopped (exit status: 0)");
        assert!(text.contains(&stopped), "missing '{stopped}':\n{text}");
        let port = launcher.ports.of(*service);
        assert!(!answers(port), "{service} still listening");
    }
}

#[test]
fn a_service_that_dies_stops_the_others() {
    let mut launcher = Launcher::start(&[]);
    launcher.wait_ready();
    let catalogue = launcher.pid_of(Service::Catalogue);
    kill_process(pid(catalogue), Signal::KILL).unwrap();
    let status = launcher.wait_exit(Duration::from_secs(30));
    let text = launcher.text();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("catalogue exited (signal: 9"), "{text}");
    let others = [
        Service::Gatekeeper,
        Service::Packager,
        Service::CallbackMock,
    ];
    assert_stopped(&launcher, &others);
}

#[test]
fn a_port_in_use_fails_the_start_with_the_services_own_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut launcher = Launcher::start(&[("PACKAGER_BIND", format!("127.0.0.1:{port}"))]);
    let status = launcher.wait_exit(Duration::from_secs(60));
    let text = launcher.text();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("packager exited during start-up"), "{text}");
    // The packager's own message, prefixed, and the services started before it stopped.
    assert!(
        text.lines().any(|l| l.starts_with("packager      | ")),
        "{text}"
    );
    assert!(
        !answers(launcher.ports.catalogue),
        "catalogue still listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_url_runs_the_platform_on_postgres() {
    let base = format!("itest_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let url = database::with_database(&session::test_database_url(), &base).unwrap();
    // Dropped at the end, also when the test fails.
    let guard = |suffix| DatabaseGuard {
        url: database::with_suffix(&url, suffix).unwrap(),
    };
    let (catalogue, gatekeeper) = (guard("catalogue"), guard("gatekeeper"));
    let mut launcher = Launcher::start(&[("DATABASE_URL", url.clone())]);
    tokio::task::block_in_place(|| launcher.wait_ready());
    let text = launcher.text();
    assert!(text.contains(&format!("{base}_catalogue")), "{text}");
    for created in [&catalogue, &gatekeeper] {
        // Created by the launcher: creating it again reports that it exists.
        let url = &created.url;
        assert!(!database::ensure_database(url).await.unwrap(), "{url}");
    }
    let data = launcher.data().join("data");
    assert!(!data.join("catalogue.db").exists() && !data.join("gatekeeper.db").exists());
    launcher.signal(Signal::TERM);
    let status = tokio::task::block_in_place(|| launcher.wait_exit(Duration::from_secs(30)));
    assert!(status.success(), "{}", launcher.text());
}
