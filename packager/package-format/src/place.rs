//! The second pass of extraction: where each checked entry goes. A file under the extraction
//! directory (the default), memory (small entries, within [`Placement::memory_budget`]), or
//! nowhere (a big stored entry read in place, see [`crate::member`]). Every byte is really
//! decompressed and counted; declared sizes are never trusted.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs::{self, File},
    io::{Read, Seek, Write},
    path::{Path, PathBuf},
    sync::Arc,
};

use zip::ZipArchive;

use crate::{
    error::{PackageError, Result},
    limits::Limits,
    member::{member_of, Member},
};

/// How extraction places entries; the default writes every one to disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement {
    /// Leave stored entries bigger than this in the archive ([`crate::member`]).
    pub keep_in_archive_above: Option<u64>,
    /// Bytes of small entries read into memory instead of being written (all entries of a
    /// package together). An entry that does not fit, or turns out bigger than declared while
    /// it is read, goes to disk.
    pub memory_budget: u64,
}

/// One entry that passed the checks and will be placed.
pub(crate) struct Planned {
    pub index: usize,
    pub path: String,
    pub compressed_size: u64,
}

/// Where one entry went.
pub(crate) enum Place {
    Disk,
    Memory(Arc<[u8]>),
    Member(Member),
}

/// Every placed entry, by path (relative to the extraction directory until re-rooted).
#[derive(Default)]
pub(crate) struct Placed {
    pub files: BTreeSet<String>,
    pub members: BTreeMap<String, Member>,
    pub memory: BTreeMap<String, Arc<[u8]>>,
}

impl Placed {
    /// The entries under `prefix` (which ends in `/`), re-rooted there.
    pub fn under(self, prefix: &str) -> Self {
        fn strip<T>(map: BTreeMap<String, T>, prefix: &str) -> BTreeMap<String, T> {
            map.into_iter()
                .filter_map(|(p, v)| p.strip_prefix(prefix).map(|p| (p.to_owned(), v)))
                .collect()
        }
        Self {
            files: self
                .files
                .into_iter()
                .filter_map(|p| p.strip_prefix(prefix).map(str::to_owned))
                .collect(),
            members: strip(self.members, prefix),
            memory: strip(self.memory, prefix),
        }
    }
}

/// Places the entries of one archive.
pub(crate) struct Placer<'a> {
    budget: ByteBudget<'a>,
    placement: Placement,
    memory_left: u64,
    out: &'a Path,
    archive: &'a Path,
    archive_len: u64,
}

impl<'a> Placer<'a> {
    pub fn new(
        limits: &'a Limits,
        placement: Placement,
        out: &'a Path,
        archive: &'a Path,
        archive_len: u64,
    ) -> Self {
        Self {
            budget: ByteBudget { limits, total: 0 },
            placement,
            memory_left: placement.memory_budget,
            out,
            archive,
            archive_len,
        }
    }

    pub fn place<R: Read + Seek>(
        &mut self,
        zip: &mut ZipArchive<R>,
        entry: &Planned,
    ) -> Result<Place> {
        let keep = self.placement.keep_in_archive_above;
        if let Some(member) = member_of(zip, entry.index, self.archive, self.archive_len, keep)? {
            self.budget.charge(entry, member.len, member.len)?;
            return Ok(Place::Member(member));
        }
        self.decompress(zip, entry)
    }

    /// Decompresses one entry into memory when it fits, else into a file under `out`.
    fn decompress<R: Read + Seek>(
        &mut self,
        zip: &mut ZipArchive<R>,
        entry: &Planned,
    ) -> Result<Place> {
        let corrupt = |reason: String| PackageError::CorruptArchive {
            path: entry.path.clone(),
            reason,
        };
        let mut reader = zip
            .by_index(entry.index)
            .map_err(|e| corrupt(e.to_string()))?;
        let cap = self.memory_left;
        let mut sink = if self.placement.memory_budget > 0 && reader.size() <= cap {
            Sink::Memory(Vec::with_capacity(
                usize::try_from(reader.size()).unwrap_or(0),
            ))
        } else {
            Sink::Disk(self.create(entry)?)
        };
        let mut buf = vec![0u8; 64 * 1024];
        let mut entry_bytes = 0u64;
        loop {
            let n = reader.read(&mut buf).map_err(|e| corrupt(e.to_string()))?;
            if n == 0 {
                break;
            }
            entry_bytes += n as u64;
            self.budget.charge(entry, entry_bytes, n as u64)?;
            if matches!(&sink, Sink::Memory(bytes) if (bytes.len() + n) as u64 > cap) {
                sink = sink.spill(self.create(entry)?)?;
            }
            sink.write(&buf[..n])?;
        }
        Ok(match sink {
            Sink::Memory(bytes) => {
                self.memory_left -= bytes.len() as u64;
                Place::Memory(bytes.into())
            }
            Sink::Disk(_) => Place::Disk,
        })
    }

    fn create(&self, entry: &Planned) -> Result<DiskFile> {
        let target = self.out.join(&entry.path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(PackageError::io(parent))?;
        }
        let file = File::create_new(&target).map_err(PackageError::io(&target))?;
        Ok(DiskFile { file, path: target })
    }
}

struct DiskFile {
    file: File,
    path: PathBuf,
}

enum Sink {
    Memory(Vec<u8>),
    Disk(DiskFile),
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Self::Memory(held) => {
                held.extend_from_slice(bytes);
                Ok(())
            }
            Self::Disk(disk) => disk
                .file
                .write_all(bytes)
                .map_err(PackageError::io(&disk.path)),
        }
    }

    /// What memory held so far, moved to `disk`.
    fn spill(self, mut disk: DiskFile) -> Result<Self> {
        if let Self::Memory(held) = self {
            disk.file
                .write_all(&held)
                .map_err(PackageError::io(&disk.path))?;
        }
        Ok(Self::Disk(disk))
    }
}

/// Counts real decompressed bytes against the archive-wide and per-entry limits.
struct ByteBudget<'a> {
    limits: &'a Limits,
    total: u64,
}

impl ByteBudget<'_> {
    fn charge(&mut self, entry: &Planned, entry_bytes: u64, chunk: u64) -> Result<()> {
        self.total += chunk;
        if self.total > self.limits.max_total_bytes {
            return Err(PackageError::ArchiveTooLarge {
                path: entry.path.clone(),
                limit: self.limits.max_total_bytes,
            });
        }
        let ratio_cap = entry.compressed_size.saturating_mul(self.limits.max_ratio);
        if entry_bytes > self.limits.ratio_exempt_bytes && entry_bytes > ratio_cap {
            return Err(PackageError::CompressionRatio {
                path: entry.path.clone(),
                limit: self.limits.max_ratio,
            });
        }
        Ok(())
    }
}
