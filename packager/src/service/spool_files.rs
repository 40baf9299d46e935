//! The files uploads are spooled into, kept for reuse (ADR-35). A finished upload's file is
//! emptied and renamed `free-<n>` instead of deleted, and the next upload renames it to its own
//! name: on ext4 without a journal every new file scans past the inodes deleted in the last
//! minute (five while their inode table block is dirty), which cost 12 % of both cores under
//! P2's load; renaming allocates none.

use std::{
    io,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

/// The name of a spool file kept for reuse starts with this (skipped by `spool::spooled`).
pub const FREE_PREFIX: &str = "free-";

/// How many emptied files are kept for reuse; beyond that a finished upload's file is deleted.
const KEEP: usize = 64;

/// The spool files of one packager's folder.
#[derive(Debug)]
pub struct SpoolFiles {
    dir: PathBuf,
    free: Mutex<Vec<PathBuf>>,
}

impl SpoolFiles {
    pub fn new(dir: &Path) -> Arc<Self> {
        Arc::new(Self {
            dir: dir.to_path_buf(),
            free: Mutex::new(Vec::new()),
        })
    }

    /// A new, empty spool file whose name ends in `-{file_name}` (the archive keeps its
    /// extension): a kept one renamed, or a new one.
    pub fn take(self: &Arc<Self>, file_name: &str) -> io::Result<SpoolFile> {
        let path = self.dir.join(format!(
            "upload-{}-{file_name}",
            uuid::Uuid::new_v4().simple()
        ));
        let kept = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        // A kept file that cannot be renamed (removed from outside) is replaced by a new one.
        let reused = kept.is_some_and(|free| std::fs::rename(free, &path).is_ok());
        if !reused {
            std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&path)?;
        }
        Ok(SpoolFile {
            path,
            files: self.clone(),
        })
    }

    /// Empties `path` and keeps it for reuse, or deletes it when enough are kept or it cannot
    /// be emptied. The file is emptied outside the lock (freeing a big file's blocks takes a
    /// while), so under concurrent returns a few more than [`KEEP`] may be kept.
    fn give_back(&self, path: &Path) {
        let room = self.free.lock().unwrap_or_else(|e| e.into_inner()).len() < KEEP;
        if room {
            let kept = self
                .dir
                .join(format!("{FREE_PREFIX}{}", uuid::Uuid::new_v4().simple()));
            let emptied = std::fs::File::options()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(0))
                .and_then(|()| std::fs::rename(path, &kept));
            if emptied.is_ok() {
                self.free
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(kept);
                return;
            }
        }
        let _ = std::fs::remove_file(path);
    }
}

/// One upload's spool file: emptied and kept for reuse when dropped.
#[derive(Debug)]
pub struct SpoolFile {
    path: PathBuf,
    files: Arc<SpoolFiles>,
}

impl SpoolFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        self.files.give_back(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_file_is_emptied_and_its_inode_reused_by_the_next_upload() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let files = SpoolFiles::new(dir.path());
        let first = files.take("a.tgo").unwrap();
        std::fs::write(first.path(), b"package bytes").unwrap();
        let inode = std::fs::metadata(first.path()).unwrap().ino();
        let first_path = first.path().to_path_buf();
        drop(first);
        assert!(!first_path.exists(), "the finished upload's name is gone");
        let second = files.take("b.tgo").unwrap();
        assert!(second.path().to_str().unwrap().ends_with("-b.tgo"));
        let meta = std::fs::metadata(second.path()).unwrap();
        assert_eq!(meta.ino(), inode, "the same file, renamed");
        assert_eq!(meta.len(), 0, "emptied");
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 1, "only the one in use");
    }

    #[test]
    fn a_kept_file_removed_from_outside_is_replaced_by_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let files = SpoolFiles::new(dir.path());
        drop(files.take("a.tgo").unwrap());
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        let next = files.take("b.tgo").unwrap();
        assert!(next.path().exists());
    }

    #[test]
    fn beyond_the_kept_number_finished_files_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let files = SpoolFiles::new(dir.path());
        let taken: Vec<SpoolFile> = (0..KEEP + 3)
            .map(|i| files.take(&format!("{i}.tgo")).unwrap())
            .collect();
        drop(taken);
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, KEEP);
    }
}
