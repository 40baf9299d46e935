//! Files left inside the archive instead of being extracted.
//!
//! A big entry that is *stored* (not compressed) is a plain byte range of the archive file.
//! Extracting it would only copy those bytes to disk, once more per gigabyte of VM image, so
//! when [`crate::UnpackOptions::keep_in_archive_above`] asks for it, such an entry stays in the
//! archive as a [`Member`]: its checksum is computed from the range, its CRC-32 checked on the
//! same pass, and a service streams it from there.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    sync::Arc,
};

use crate::error::{PackageError, Result};

/// Bytes read at a time from a member.
const READ_CHUNK: usize = 1024 * 1024;

/// A regular file whose bytes are `len` bytes at `offset` of `archive`, with the CRC-32 the
/// archive declares for them (checked whenever the member is read through [`Member::scan`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    pub archive: PathBuf,
    pub offset: u64,
    pub len: u64,
    pub crc32: u32,
}

/// Where the bytes of a package file are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileBytes {
    /// Extracted to this path (which may not exist: the package names a missing file).
    Path(PathBuf),
    /// Left in the archive.
    Member(Member),
    /// Read into memory (a small file).
    Memory(Arc<[u8]>),
}

impl FileBytes {
    pub fn exists(&self) -> bool {
        match self {
            Self::Path(path) => path.is_file(),
            Self::Member(_) | Self::Memory(_) => true,
        }
    }
}

impl Member {
    /// A reader over the member's bytes (not checked: see [`Member::scan`]).
    pub fn open(&self) -> std::io::Result<std::io::Take<File>> {
        let mut file = File::open(&self.archive)?;
        file.seek(SeekFrom::Start(self.offset))?;
        Ok(file.take(self.len))
    }

    /// Feeds every byte to `each`, then checks that all `len` bytes were there and that their
    /// CRC-32 is the declared one. `name` is the entry's path, for the error.
    pub fn scan(&self, name: &str, mut each: impl FnMut(&[u8])) -> Result<()> {
        let corrupt = |reason: String| PackageError::CorruptArchive {
            path: name.to_owned(),
            reason,
        };
        let mut reader = self.open().map_err(PackageError::io(&self.archive))?;
        let mut crc = crc32fast::Hasher::new();
        let mut buf = vec![0u8; READ_CHUNK];
        let mut seen = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(PackageError::io(&self.archive))?;
            if n == 0 {
                break;
            }
            seen += n as u64;
            crc.update(&buf[..n]);
            each(&buf[..n]);
        }
        if seen != self.len {
            return Err(corrupt(format!("truncated: {seen} of {} bytes", self.len)));
        }
        if crc.finalize() != self.crc32 {
            return Err(corrupt("CRC-32 mismatch".into()));
        }
        Ok(())
    }
}

/// The stored entry `index` as a member, when it is stored and bigger than `keep_above`.
/// Security: the range must lie inside the archive, so its length is a real byte count.
pub(crate) fn member_of<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    archive: &Path,
    archive_len: u64,
    keep_above: Option<u64>,
) -> Result<Option<Member>> {
    let Some(keep_above) = keep_above else {
        return Ok(None);
    };
    let entry = zip
        .by_index_raw(index)
        .map_err(|e| PackageError::NotAZip(e.to_string()))?;
    let stored = entry.compression() == zip::CompressionMethod::Stored
        && entry.size() == entry.compressed_size();
    if !stored || entry.size() <= keep_above {
        return Ok(None);
    }
    let (offset, len) = (entry.data_start(), entry.size());
    if offset.checked_add(len).is_none_or(|end| end > archive_len) {
        return Err(PackageError::CorruptArchive {
            path: entry.name().to_owned(),
            reason: "data beyond the end of the archive".into(),
        });
    }
    Ok(Some(Member {
        archive: archive.to_path_buf(),
        offset,
        len,
        crc32: entry.crc32(),
    }))
}
