//! The packager's own folder in `PACKAGER_TEMP_DIR`, where uploads are spooled and packages
//! unpacked. Each running packager holds a lock on the `.lock` file of its folder
//! (`packager-<uuid>`); at start-up a packager removes the folders of packagers that hold no
//! lock any more (killed ones), so a crash leaves nothing behind past the next start, even
//! when several packagers share one temp dir (the default is the system's).

use std::{
    fs::File,
    io,
    path::{Path, PathBuf},
};

/// The name of every packager's folder starts with this.
const PREFIX: &str = "packager-";
const LOCK: &str = ".lock";

/// This process's folder; removed when dropped (a clean stop).
#[derive(Debug)]
pub struct SpoolDir {
    path: PathBuf,
    /// Held for the life of the process: the lock says the folder is in use.
    _lock: File,
}

impl SpoolDir {
    /// Removes the folders that killed packagers left in `temp_dir`, then makes and locks
    /// this one's. How many folders were removed is logged.
    pub fn claim(temp_dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(temp_dir)?;
        let removed = remove_abandoned(temp_dir)?;
        if removed > 0 {
            tracing::info!(removed, dir = %temp_dir.display(), "removed spools of stopped packagers");
        }
        let path = temp_dir.join(format!("{PREFIX}{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&path)?;
        let lock = File::create(path.join(LOCK))?;
        lock.try_lock().map_err(io::Error::other)?;
        Ok(Self { path, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SpoolDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What `temp_dir` holds besides the packagers' folders, their lock files and their emptied
/// spool files kept for reuse: the entries in those folders, and anything else (for tests
/// and checks: a finished job leaves nothing).
pub fn spooled(temp_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(temp_dir)? {
        let entry = entry?;
        if !is_packager_folder(&entry)? {
            found.push(entry.path());
            continue;
        }
        for inner in std::fs::read_dir(entry.path())? {
            let inner = inner?;
            let name = inner.file_name();
            let kept = name
                .to_str()
                .is_some_and(|n| n.starts_with(super::spool_files::FREE_PREFIX));
            if name != LOCK && !kept {
                found.push(inner.path());
            }
        }
    }
    Ok(found)
}

/// Whether an entry of the temp dir is a packager's folder (`packager-*`, a directory).
fn is_packager_folder(entry: &std::fs::DirEntry) -> io::Result<bool> {
    let named = entry
        .file_name()
        .to_str()
        .is_some_and(|name| name.starts_with(PREFIX));
    Ok(named && entry.file_type()?.is_dir())
}

/// Removes every `packager-*` folder whose lock nobody holds; how many.
fn remove_abandoned(temp_dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(temp_dir)? {
        let entry = entry?;
        if !is_packager_folder(&entry)? {
            continue;
        }
        let Ok(lock) = File::options().write(true).open(entry.path().join(LOCK)) else {
            // No lock file: a folder being made right now, or not one of ours; left alone.
            continue;
        };
        if lock.try_lock().is_ok() {
            std::fs::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_spool_is_kept_and_an_abandoned_one_removed() {
        let temp = tempfile::tempdir().unwrap();
        let live = SpoolDir::claim(temp.path()).unwrap();
        std::fs::write(live.path().join("upload"), b"x").unwrap();
        // A killed packager's folder: its lock file is there, nobody holds it.
        let dead = temp.path().join("packager-dead");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(LOCK), b"").unwrap();
        std::fs::write(dead.join("unpack-1"), b"left").unwrap();
        // Not ours: never touched.
        std::fs::create_dir(temp.path().join("other")).unwrap();

        let second = SpoolDir::claim(temp.path()).unwrap();
        assert!(!dead.exists(), "the abandoned spool is removed");
        assert!(live.path().join("upload").exists(), "the live one is kept");
        assert!(temp.path().join("other").exists());
        assert_ne!(live.path(), second.path());

        let path = second.path().to_path_buf();
        drop(second);
        assert!(!path.exists(), "a clean stop removes its folder");
    }
}
