//! The platform as separate processes: the real release binaries of catalogue, packager,
//! gatekeeper and callback-mock, each on a free port, with their state in a temp dir (SQLite)
//! or in fresh PostgreSQL databases that are dropped again.

use std::{
    fs::File,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use sqlx::{Connection, Executor, PgConnection};

/// Where records live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// How to start the platform.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Folder of the release binaries.
    pub bin_dir: PathBuf,
    /// Admin URL of the PostgreSQL server (databases are created under it).
    pub admin_url: String,
    /// `RUST_LOG` of every service.
    pub log: String,
    /// Extra environment for every service (`KEY=VALUE`).
    pub extra_env: Vec<(String, String)>,
}

struct Service {
    name: &'static str,
    child: Child,
}

/// A running platform; [`Platform::stop`] ends every process and removes its state.
pub struct Platform {
    pub backend: Backend,
    pub gatekeeper: String,
    pub catalogue: String,
    pub callback: String,
    services: Vec<Service>,
    databases: Vec<String>,
    admin_url: String,
    dir: tempfile::TempDir,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Platform {
    pub async fn start(backend: Backend, settings: &Settings) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("bench-").tempdir()?;
        let mut platform = Self {
            backend,
            gatekeeper: String::new(),
            catalogue: String::new(),
            callback: String::new(),
            services: Vec::new(),
            databases: Vec::new(),
            admin_url: settings.admin_url.clone(),
            dir,
        };
        let (cat_db, gk_db) = platform.databases(settings).await?;
        let [cat, pkg, gk, cb] = [free_port()?, free_port()?, free_port()?, free_port()?];
        let root = platform.dir.path().to_owned();
        let cat_url = format!("http://127.0.0.1:{cat}/api/catalogues/v2");
        let blobs = root.join("blobs").display().to_string();
        let spool = root.join("spool");
        std::fs::create_dir_all(&spool)?;
        let spool = spool.display().to_string();
        platform.spawn(
            settings,
            "catalogue",
            &[],
            &[
                ("CATALOGUE_BIND", format!("127.0.0.1:{cat}")),
                ("CATALOGUE_DATABASE_URL", cat_db),
                ("CATALOGUE_BLOB_STORE", blobs),
            ],
        )?;
        platform.spawn(
            settings,
            "packager",
            &["serve"],
            &[
                ("PACKAGER_BIND", format!("127.0.0.1:{pkg}")),
                ("CATALOGUE_URL", cat_url.clone()),
                ("PACKAGER_TEMP_DIR", spool),
            ],
        )?;
        platform.spawn(
            settings,
            "gatekeeper-common",
            &[],
            &[
                ("GATEKEEPER_BIND", format!("127.0.0.1:{gk}")),
                ("GATEKEEPER_DATABASE_URL", gk_db),
                (
                    "PACKAGER_URL",
                    format!("http://127.0.0.1:{pkg}/api/v1/packages"),
                ),
                ("CATALOGUE_URL", cat_url.clone()),
                // The default (1 GiB) is below P3's package of a 1 GiB artifact plus
                // descriptors; the packager and the catalogue default to 8 GiB.
                ("GATEKEEPER_MAX_UPLOAD_BYTES", (8u64 << 30).to_string()),
            ],
        )?;
        platform.spawn(
            settings,
            "callback-mock",
            &[],
            &[
                ("CALLBACK_MOCK_BIND", format!("127.0.0.1:{cb}")),
                ("CALLBACK_MOCK_MAX_STORED", "100000".to_owned()),
            ],
        )?;
        platform.gatekeeper = format!("http://127.0.0.1:{gk}");
        platform.catalogue = cat_url;
        platform.callback = format!("http://127.0.0.1:{cb}");
        for port in [cat, pkg, gk, cb] {
            platform.wait_ready(port).await?;
        }
        Ok(platform)
    }

    /// Database URLs for the catalogue and the gatekeeper.
    async fn databases(&mut self, settings: &Settings) -> Result<(String, String)> {
        let root = self.dir.path();
        match self.backend {
            Backend::Sqlite => Ok((
                format!("sqlite://{}", root.join("catalogue.db").display()),
                format!("sqlite://{}", root.join("gatekeeper.db").display()),
            )),
            Backend::Postgres => {
                let tag = uuid::Uuid::new_v4().simple().to_string();
                let mut conn = PgConnection::connect(&settings.admin_url)
                    .await
                    .with_context(|| format!("PostgreSQL at {}", settings.admin_url))?;
                let mut urls = Vec::new();
                for which in ["cat", "gk"] {
                    let name = format!("bench_{which}_{}", &tag[..12]);
                    conn.execute(format!("CREATE DATABASE {name}").as_str())
                        .await?;
                    urls.push(replace_database(&settings.admin_url, &name));
                    self.databases.push(name);
                }
                Ok((urls[0].clone(), urls[1].clone()))
            }
        }
    }

    fn spawn(
        &mut self,
        settings: &Settings,
        name: &'static str,
        args: &[&str],
        env: &[(&str, String)],
    ) -> Result<()> {
        let binary = settings.bin_dir.join(name);
        let log = File::create(self.dir.path().join(format!("{name}.log")))?;
        let mut command = Command::new(&binary);
        command
            .args(args)
            .env("RUST_LOG", &settings.log)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (key, value) in env {
            command.env(key, value);
        }
        for (key, value) in &settings.extra_env {
            command.env(key, value);
        }
        let child = command.spawn().with_context(|| {
            format!(
                "starting {} (build it with cargo build --release)",
                binary.display()
            )
        })?;
        self.services.push(Service { name, child });
        Ok(())
    }

    async fn wait_ready(&mut self, port: u16) -> Result<()> {
        let http = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/health/ready");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Ok(r) = http.get(&url).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            for service in &mut self.services {
                if let Some(status) = service.child.try_wait()? {
                    let log = self.dir.path().join(format!("{}.log", service.name));
                    bail!(
                        "{} exited with {status}; see {}",
                        service.name,
                        log.display()
                    );
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("port {port} not ready within 60 s")
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Scratch space beside the services' state.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// CPU seconds (user + system) every service has used since it started.
    pub fn cpu_seconds(&self) -> Vec<(&'static str, f64)> {
        self.services
            .iter()
            .map(|s| (s.name, cpu_seconds(s.child.id()).unwrap_or(0.0)))
            .collect()
    }

    /// Peak resident memory (`VmHWM`, KiB) of every service since it started.
    pub fn peak_rss_kib(&self) -> Vec<(&'static str, u64)> {
        self.services
            .iter()
            .map(|s| (s.name, vm_hwm_kib(s.child.id()).unwrap_or(0)))
            .collect()
    }

    fn kill_all(&mut self) {
        for service in &mut self.services {
            let _ = service.child.kill();
            let _ = service.child.wait();
        }
    }

    /// Stop every service and drop the databases, but keep the temp dir (service logs) for a
    /// look; returns its path.
    pub async fn abandon(mut self) -> PathBuf {
        self.kill_all();
        let _ = self.drop_databases().await;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        dir.keep()
    }

    /// Stop every service (SIGKILL: state is thrown away) and drop the databases.
    pub async fn stop(mut self) -> Result<()> {
        self.kill_all();
        self.drop_databases().await
    }

    async fn drop_databases(&mut self) -> Result<()> {
        let databases = std::mem::take(&mut self.databases);
        if !databases.is_empty() {
            let mut conn = PgConnection::connect(&self.admin_url).await?;
            for name in &databases {
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
            }
        }
        Ok(())
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// User + system CPU seconds of a process so far (`/proc/<pid>/stat`, 100 ticks a second).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `postgres://u@h:p/db?x` with its database replaced.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://h:1?sslmode=disable", "x"),
            "postgres://h:1/x?sslmode=disable"
        );
    }
}
