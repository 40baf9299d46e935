//! The real platform in-process (catalogue on SQLite, packager, gatekeeper, each on port 0)
//! and a runner for the real `sonata` binary.

use std::path::{Path, PathBuf};

use package_format::test_support::{sample_package_files, ZipBuilder};

pub struct Platform {
    /// `http://127.0.0.1:<port>`, the gatekeeper's base URL.
    pub url: String,
    /// Scratch space: the services' state, the packages and the binary's working folder.
    pub dir: tempfile::TempDir,
    gatekeeper: gatekeeper_common::AppStopper,
}

impl Platform {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts the platform with the gatekeeper's configuration adjusted by `configure`.
    pub async fn start_with(configure: impl FnOnce(&mut gatekeeper_common::Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = |name: &str| format!("sqlite://{}/{name}?mode=rwc", dir.path().display());
        let cat = catalogue::build(catalogue::Config::for_testing(
            sqlite("cat.db"),
            dir.path().join("blobs"),
        ))
        .await
        .expect("catalogue starts");
        let catalogue = format!("http://127.0.0.1:{}/api/catalogues/v2", cat.port());
        tokio::spawn(cat.run_until_stopped());
        let packager = packager::service::build(packager::service::Config::for_testing(&catalogue))
            .await
            .expect("packager starts");
        let packager_url = format!("http://127.0.0.1:{}/api/v1/packages", packager.port());
        tokio::spawn(packager.run_until_stopped());
        let mut config =
            gatekeeper_common::Config::for_testing(sqlite("gk.db"), packager_url, catalogue);
        configure(&mut config);
        let gk = gatekeeper_common::build(config)
            .await
            .expect("gatekeeper starts");
        let url = format!("http://127.0.0.1:{}", gk.port());
        let gatekeeper = gk.stopper();
        tokio::spawn(gk.run_until_stopped());
        std::fs::create_dir(dir.path().join("work")).expect("work dir");
        Self {
            url,
            dir,
            gatekeeper,
        }
    }

    /// The binary's working folder (downloads land here).
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Runs `sonata <args>` against this platform.
    pub async fn sonata(&self, args: &[&str]) -> Run {
        sonata(&self.url, &self.work(), args, &[]).await
    }

    /// Runs `sonata <args>` with extra environment variables.
    pub async fn sonata_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        sonata(&self.url, &self.work(), args, env).await
    }

    /// A small valid package `eu.test.<name>.0.1`, written to a file; returns its path and bytes.
    pub fn package(&self, name: &str) -> (String, Vec<u8>) {
        let bytes = ZipBuilder::from_files(&sample_package_files("eu.test", name, "0.1")).build();
        self.write(&format!("eu.test.{name}.0.1.tgo"), bytes)
    }

    pub fn write(&self, file: &str, bytes: Vec<u8>) -> (String, Vec<u8>) {
        let path = self.dir.path().join(file);
        std::fs::write(&path, &bytes).expect("write package");
        (path.display().to_string(), bytes)
    }

    /// Uploads a valid package with the binary; returns the package uuid.
    pub async fn on_board(&self, name: &str) -> String {
        let (path, _) = self.package(name);
        let run = self.sonata(&["upload", &path]).await;
        run.assert_code(0);
        run.stdout.trim().to_owned()
    }

    /// `sonata upload` of a shared fixture package.
    pub async fn upload_fixture(&self, name: &str) -> Run {
        let path = fixture(name);
        self.sonata(&["upload", &path.display().to_string()]).await
    }

    pub async fn stop_gatekeeper(&self) {
        self.gatekeeper.stop().await;
    }
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// stdout as bytes (downloads to `-`).
    pub raw_stdout: Vec<u8>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("code", &self.code)
            .field(
                "stdout",
                &self.stdout.chars().take(2000).collect::<String>(),
            )
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl Run {
    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code, code, "exit code; {self:#?}");
    }

    /// Exit code `exit` and one stderr line `error [<code>]: ...`.
    pub fn assert_error(&self, exit: i32, code: &str) {
        self.assert_code(exit);
        let prefix = format!("error [{code}]: ");
        assert!(self.stderr.starts_with(&prefix), "{prefix}: {self:#?}");
        assert_eq!(self.stderr.lines().count(), 1, "one line: {self:#?}");
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {self:#?}"))
    }
}

/// Runs the binary with `SONATA_URL=url`, `env`, and no other `SONATA_*` settings.
pub async fn sonata(url: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sonata"))
        .args(args)
        .current_dir(cwd)
        .env("SONATA_URL", url)
        .env_remove("SONATA_TOKEN")
        .env_remove("SONATA_TIMEOUT")
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .output()
        .await
        .expect("the sonata binary runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        raw_stdout: out.stdout.clone(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fixture of ../shared/fixtures/packages (never copied into the project).
pub fn fixture(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/packages")
        .join(name);
    assert!(path.is_file(), "fixture missing: {}", path.display());
    path
}

/// A local URL where nothing listens.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
