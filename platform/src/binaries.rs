//! Finding the service binaries: next to the running executable (cargo puts every binary of
//! the workspace in `target/<profile>/`; a test runs from `target/<profile>/deps/`).

use std::path::{Path, PathBuf};

use crate::{Service, BUILD_COMMAND};

/// The folder of the current executable, or its parent when that folder is `deps`.
pub fn default_bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "deps") {
        return dir.parent().map(Path::to_path_buf).unwrap_or(dir);
    }
    dir
}

/// The path of a service's binary, or an error that says how to build it.
pub fn binary_path(bin_dir: &Path, service: Service) -> anyhow::Result<PathBuf> {
    let path = bin_dir.join(service.binary());
    anyhow::ensure!(
        path.is_file(),
        "{} not found; build the service binaries first: {BUILD_COMMAND} (or set SONATA_BIN_DIR)",
        path.display()
    );
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_names_the_build_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = binary_path(dir.path(), Service::Gatekeeper).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("gatekeeper-common not found"), "{text}");
        assert!(text.contains(BUILD_COMMAND), "{text}");
    }

    #[test]
    fn a_test_executable_looks_above_deps() {
        let dir = default_bin_dir();
        assert_ne!(dir.file_name().and_then(|n| n.to_str()), Some("deps"));
    }
}
