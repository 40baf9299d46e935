//! What to run: ports, storage, data directory, binaries, logs, and the environment each
//! service gets.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::{binaries, database, Ports, Service};

/// Where the catalogue and the gatekeeper keep their records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// SQLite files in the data directory (`catalogue.db`, `gatekeeper.db`).
    Embedded,
    /// One database URL per service (each keeps its own migration history, so they must
    /// differ).
    Postgres {
        catalogue_url: String,
        gatekeeper_url: String,
    },
}

/// Where the services' output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logs {
    /// Each line on the launcher's stdout, prefixed with the service name.
    Prefixed,
    /// One file per service, `<dir>/<service>.log` (stdout and stderr together).
    Files(PathBuf),
}

/// Everything needed to start the platform.
#[derive(Debug, Clone)]
pub struct PlatformSpec {
    pub ports: Ports,
    /// SQLite files, catalogue blobs and the packager's spool live here.
    pub data_dir: PathBuf,
    /// Folder holding the four service binaries.
    pub bin_dir: PathBuf,
    pub storage: Storage,
    pub logs: Logs,
    /// When true (the launcher), a variable already set in this process's environment wins
    /// over the value the spec would give the service. When false (tests), the spec wins.
    pub ambient_env_wins: bool,
    /// More variables for one service, applied after the spec's own.
    pub extra_env: Vec<(Service, String, String)>,
    /// How long each service may take to answer its readiness probe.
    pub ready_timeout: std::time::Duration,
}

impl PlatformSpec {
    /// Embedded storage under `data_dir`, on the given ports, binaries from the default place.
    pub fn embedded(data_dir: impl Into<PathBuf>, ports: Ports) -> Self {
        Self {
            ports,
            data_dir: data_dir.into(),
            bin_dir: binaries::default_bin_dir(),
            storage: Storage::Embedded,
            logs: Logs::Prefixed,
            ambient_env_wins: false,
            extra_env: Vec::new(),
            ready_timeout: std::time::Duration::from_secs(60),
        }
    }

    /// The launcher's spec: see docs/configuration.md (`sonata-platform`).
    pub fn from_env() -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(crate::env_text("SONATA_DATA_DIR").unwrap_or("data".into()));
        let mut spec = Self::embedded(data_dir, Ports::from_env()?);
        spec.ambient_env_wins = true;
        spec.storage = storage_from_env()?;
        if let Some(dir) = crate::env_text("SONATA_BIN_DIR") {
            spec.bin_dir = dir.into();
        }
        if let Some(secs) = crate::env_text("SONATA_READY_TIMEOUT_SECS") {
            let secs: u64 = secs
                .parse()
                .context("SONATA_READY_TIMEOUT_SECS must be a number of seconds")?;
            spec.ready_timeout = std::time::Duration::from_secs(secs);
        }
        Ok(spec)
    }

    /// `http://127.0.0.1:<port>` of a service.
    pub fn base_url(&self, service: Service) -> String {
        format!("http://127.0.0.1:{}", self.ports.of(service))
    }

    /// The gatekeeper's public API, `http://127.0.0.1:<port>/api/v3`.
    pub fn gatekeeper_api(&self) -> String {
        format!("{}/api/v3", self.base_url(Service::Gatekeeper))
    }

    /// Folder of the catalogue's blobs.
    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    /// Folder where the packager spools uploads.
    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join("packager-spool")
    }

    /// The variables the spec gives a service (before `extra_env`).
    pub fn env_for(&self, service: Service) -> Vec<(String, String)> {
        let bind = format!("127.0.0.1:{}", self.ports.of(service));
        let catalogue_api = format!("{}/api/catalogues/v2", self.base_url(Service::Catalogue));
        let mut env = vec![(service.bind_var().to_owned(), bind)];
        let mut set = |k: &str, v: String| env.push((k.to_owned(), v));
        match service {
            Service::Catalogue => {
                set("CATALOGUE_DATABASE_URL", self.database_url(service));
                set("CATALOGUE_BLOB_STORE", path_text(&self.blob_dir()));
            }
            Service::CallbackMock => {}
            Service::Packager => {
                set("CATALOGUE_URL", catalogue_api);
                set("PACKAGER_TEMP_DIR", path_text(&self.spool_dir()));
            }
            Service::Gatekeeper => {
                set("GATEKEEPER_DATABASE_URL", self.database_url(service));
                set("CATALOGUE_URL", catalogue_api);
                set(
                    "PACKAGER_URL",
                    format!("{}/api/v1/packages", self.base_url(Service::Packager)),
                );
                set("GATEKEEPER_PUBLIC_URL", self.base_url(Service::Gatekeeper));
            }
        }
        env
    }

    fn database_url(&self, service: Service) -> String {
        match (&self.storage, service) {
            (Storage::Postgres { catalogue_url, .. }, Service::Catalogue) => catalogue_url.clone(),
            (Storage::Postgres { gatekeeper_url, .. }, _) => gatekeeper_url.clone(),
            (Storage::Embedded, _) => {
                let file = format!("{}.db", service.name());
                format!("sqlite://{}", path_text(&self.data_dir.join(file)))
            }
        }
    }
}

/// PostgreSQL when `DATABASE_URL` names a server and base database (`<db>_catalogue` and
/// `<db>_gatekeeper` are used), or when both service variables name PostgreSQL; otherwise
/// embedded. A service variable set on its own is still passed through to that service.
fn storage_from_env() -> anyhow::Result<Storage> {
    let catalogue = crate::env_text("CATALOGUE_DATABASE_URL");
    let gatekeeper = crate::env_text("GATEKEEPER_DATABASE_URL");
    if let Some(base) = crate::env_text("DATABASE_URL") {
        anyhow::ensure!(
            database::is_postgres(&base),
            "DATABASE_URL must be a postgres:// URL (the embedded default needs no variable)"
        );
        return Ok(Storage::Postgres {
            catalogue_url: catalogue.unwrap_or(database::with_suffix(&base, "catalogue")?),
            gatekeeper_url: gatekeeper.unwrap_or(database::with_suffix(&base, "gatekeeper")?),
        });
    }
    match (catalogue, gatekeeper) {
        (Some(c), Some(g)) if database::is_postgres(&c) && database::is_postgres(&g) => {
            Ok(Storage::Postgres {
                catalogue_url: c,
                gatekeeper_url: g,
            })
        }
        _ => Ok(Storage::Embedded),
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
