//! Reading a `.tgo` zip safely: every rule here guards the machine against a hostile archive.
//!
//! Two passes over the central directory: the first checks every entry (names, kinds,
//! encryption, duplicates, count) before a single byte is written; the second extracts regular
//! files into a fresh directory, counting the bytes really decompressed.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    fs::File,
    io::Read,
    path::{Path, PathBuf},
    sync::Arc,
};

use zip::{read::ZipFile, ZipArchive};

use crate::{
    central_directory,
    error::{PackageError, Result},
    files::{self, resolve},
    limits::Limits,
    member::{FileBytes, Member},
    place::{Place, Placed, Placer, Planned},
};

pub use crate::place::Placement;

/// Folder whose parent is the package root (packager.md §1.1).
pub const TOSCA_DIR: &str = "TOSCA-Metadata";

/// What extraction produced.
#[derive(Debug)]
pub struct Extracted {
    /// The directory everything was written into.
    pub dir: PathBuf,
    /// The package root: `dir` or the folder that holds `TOSCA-Metadata/`.
    pub root: PathBuf,
    /// Regular files written, relative to `root`, `/`-separated, sorted (members included).
    pub files: BTreeSet<String>,
    /// Whether a `TOSCA-Metadata/` folder was found at all.
    pub has_tosca_dir: bool,
    /// Files left in the archive (see [`crate::member`]), by path relative to `root`.
    pub members: BTreeMap<String, Member>,
    /// Small files read into memory instead of being written, by path relative to `root`.
    pub memory: BTreeMap<String, Arc<[u8]>>,
}

impl Extracted {
    pub fn contains(&self, relative: &str) -> bool {
        self.files.contains(relative)
    }

    /// Where the bytes of the file a package names are (refusing a path that could leave the
    /// root).
    pub fn locate(&self, relative: &str) -> Result<FileBytes> {
        let path = resolve(&self.root, relative)?;
        let Some(name) = normalise_entry_name(relative)? else {
            return Ok(FileBytes::Path(path));
        };
        if let Some(bytes) = self.memory.get(&name) {
            return Ok(FileBytes::Memory(bytes.clone()));
        }
        Ok(match self.members.get(&name) {
            Some(member) => FileBytes::Member(member.clone()),
            None => FileBytes::Path(path),
        })
    }

    /// A small text file (meta file, descriptor) the package names, refused as
    /// [`files::read_text`] refuses one on disk when it is bigger than a descriptor may be (a
    /// member always is).
    pub fn read_text(&self, relative: &str, limits: &Limits) -> Result<String> {
        let too_large = || PackageError::DescriptorInvalid {
            path: relative.to_owned(),
            reason: format!("larger than {} bytes", limits.max_descriptor_bytes),
        };
        match self.locate(relative)? {
            FileBytes::Member(_) => Err(too_large()),
            FileBytes::Memory(bytes) if bytes.len() as u64 > limits.max_descriptor_bytes => {
                Err(too_large())
            }
            FileBytes::Memory(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            FileBytes::Path(_) => files::read_text(&self.root, relative, limits),
        }
    }
}

/// Extract `archive` into the (empty, existing) directory `out`, enforcing `limits`.
pub fn extract(archive: &Path, out: &Path, limits: &Limits) -> Result<Extracted> {
    extract_placed(archive, out, limits, Placement::default())
}

/// [`extract`], with entries placed as `placement` says: small ones in memory, big stored ones
/// left in the archive as [`Member`]s, the rest under `out` (created when the first file is
/// written; it need not exist).
pub fn extract_placed(
    archive: &Path,
    out: &Path,
    limits: &Limits,
    placement: Placement,
) -> Result<Extracted> {
    let mut file = File::open(archive).map_err(PackageError::io(archive))?;
    let archive_len = file.metadata().map_err(PackageError::io(archive))?.len();
    let raw_names = central_directory::raw_names(&mut file, limits.max_entries)
        .map_err(|e| PackageError::NotAZip(e.to_string()))?;
    // Security: bound the work before looking at any entry.
    if raw_names.len() > limits.max_entries {
        return Err(PackageError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    check_raw_duplicates(&raw_names)?;
    let mut zip = ZipArchive::new(file).map_err(|e| PackageError::NotAZip(e.to_string()))?;
    let planned = plan_entries(&mut zip)?;
    let mut placer = Placer::new(limits, placement, out, archive, archive_len);
    let mut placed = Placed::default();
    for entry in &planned {
        match placer.place(&mut zip, entry)? {
            Place::Disk => {}
            Place::Memory(bytes) => {
                placed.memory.insert(entry.path.clone(), bytes);
            }
            Place::Member(member) => {
                placed.members.insert(entry.path.clone(), member);
            }
        }
        placed.files.insert(entry.path.clone());
    }
    Ok(locate_root(out, placed))
}

/// Security: the zip reader indexes entries by name, so a repeated name must be caught on the
/// raw central directory, before the reader hides it.
fn check_raw_duplicates(names: &[String]) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        if let Some(path) = normalise_entry_name(name)? {
            if !seen.insert(path.trim_end_matches('/').to_owned()) {
                return Err(PackageError::DuplicateEntry { path });
            }
        }
    }
    Ok(())
}

/// First pass: check every entry, decide which ones to write.
fn plan_entries<R: Read + std::io::Seek>(zip: &mut ZipArchive<R>) -> Result<Vec<Planned>> {
    let mut planned = Vec::new();
    let mut seen = HashSet::new();
    let mut dirs = HashSet::new();
    for index in 0..zip.len() {
        let entry = zip
            .by_index_raw(index)
            .map_err(|e| PackageError::NotAZip(e.to_string()))?;
        let raw_name = entry.name().to_owned();
        let Some(path) = normalise_entry_name(&raw_name)? else {
            continue;
        };
        // Security: an encrypted entry cannot be inspected, so it is never accepted.
        if entry.encrypted() {
            return Err(PackageError::EncryptedEntry { path });
        }
        check_entry_kind(&entry, &path)?;
        // Security: two entries with one name would let the second silently replace the
        // checked first one.
        if !seen.insert(path.clone()) {
            return Err(PackageError::DuplicateEntry { path });
        }
        if entry.is_dir() {
            dirs.insert(path);
            continue;
        }
        planned.push(Planned {
            index,
            path,
            compressed_size: entry.compressed_size(),
        });
    }
    check_file_dir_clashes(&planned, &dirs)?;
    Ok(planned)
}

/// Turn an entry name into a safe relative path; `None` for junk that is skipped.
///
/// Security: rejects absolute paths, drive letters, `..` components and NUL bytes, so nothing
/// can be written outside the extraction directory. Backslashes count as separators.
pub fn normalise_entry_name(name: &str) -> Result<Option<String>> {
    let unsafe_path = |reason| PackageError::UnsafePath {
        path: name.to_owned(),
        reason,
    };
    let name_fwd = name.replace('\\', "/");
    if name_fwd.contains('\0') {
        return Err(unsafe_path("contains a NUL byte"));
    }
    if name_fwd.starts_with('/') {
        return Err(unsafe_path("absolute path"));
    }
    let bytes = name_fwd.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(unsafe_path("drive-letter path"));
    }
    let mut parts = Vec::new();
    for part in name_fwd.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(unsafe_path("parent-directory component")),
            other => parts.push(other),
        }
    }
    let is_junk = parts
        .iter()
        .any(|p| *p == "__MACOSX" || *p == ".DS_Store" || *p == "Thumbs.db");
    if parts.is_empty() || is_junk {
        return Ok(None);
    }
    Ok(Some(parts.join("/")))
}

/// Security: only regular files and folders; a symlink could point anywhere on the host.
fn check_entry_kind<R: Read>(entry: &ZipFile<'_, R>, path: &str) -> Result<()> {
    const TYPE_MASK: u32 = 0o170_000;
    let kind = match entry.unix_mode().map(|m| m & TYPE_MASK) {
        None | Some(0) | Some(0o100_000) | Some(0o040_000) => return Ok(()),
        Some(0o120_000) => "symbolic link",
        Some(0o020_000) => "character device",
        Some(0o060_000) => "block device",
        Some(0o010_000) => "named pipe",
        Some(0o140_000) => "socket",
        Some(_) => "unknown file type",
    };
    Err(PackageError::NotRegularFile {
        path: path.to_owned(),
        kind,
    })
}

/// Security: a file that is also a folder of another entry (`a` and `a/b`) would make the
/// result depend on entry order.
fn check_file_dir_clashes(planned: &[Planned], dirs: &HashSet<String>) -> Result<()> {
    let files: HashSet<&str> = planned.iter().map(|p| p.path.as_str()).collect();
    for entry in planned {
        if dirs.contains(&entry.path) {
            return Err(PackageError::DuplicateEntry {
                path: entry.path.clone(),
            });
        }
        let mut prefix = entry.path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if files.contains(parent) {
                return Err(PackageError::DuplicateEntry {
                    path: parent.to_owned(),
                });
            }
            prefix = parent;
        }
    }
    Ok(())
}

/// The package root is the parent of the shallowest `TOSCA-Metadata/` folder (Q-25: the
/// shallowest match, deterministic), or the extraction directory when there is none.
fn locate_root(out: &Path, placed: Placed) -> Extracted {
    let prefix = placed
        .files
        .iter()
        .filter_map(|path| {
            let parts: Vec<&str> = path.split('/').collect();
            let pos = parts[..parts.len() - 1]
                .iter()
                .position(|p| *p == TOSCA_DIR)?;
            Some(parts[..pos].join("/"))
        })
        .min_by_key(|prefix| {
            (
                prefix.matches('/').count() + usize::from(!prefix.is_empty()),
                prefix.clone(),
            )
        });
    let has_tosca_dir = prefix.is_some();
    let prefix = prefix.unwrap_or_default();
    let (root, placed) = if prefix.is_empty() {
        (out.to_path_buf(), placed)
    } else {
        let strip = format!("{prefix}/");
        (out.join(&prefix), placed.under(&strip))
    };
    Extracted {
        dir: out.to_path_buf(),
        root,
        files: placed.files,
        has_tosca_dir,
        members: placed.members,
        memory: placed.memory,
    }
}
