//! Resolving and reading files named by a package, safely and within limits.

use std::{
    fs::File,
    io::Read,
    path::{Path, PathBuf},
};

use crate::{
    archive::normalise_entry_name,
    error::{PackageError, Result},
    limits::Limits,
};

/// `root/relative`, refusing any `relative` that could leave `root` (Q-25: plain paths, no
/// globbing).
pub fn resolve(root: &Path, relative: &str) -> Result<PathBuf> {
    match normalise_entry_name(relative)? {
        Some(clean) => Ok(root.join(clean)),
        None => Err(PackageError::UnsafePath {
            path: relative.to_owned(),
            reason: "names no file",
        }),
    }
}

/// Read a small text file (a meta file or a descriptor), bounded by `max_descriptor_bytes`.
pub fn read_text(root: &Path, relative: &str, limits: &Limits) -> Result<String> {
    let path = resolve(root, relative)?;
    let file = File::open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PackageError::MissingFile {
            path: relative.to_owned(),
        },
        _ => PackageError::Io {
            path: path.clone(),
            source: e,
        },
    })?;
    let mut bytes = Vec::new();
    file.take(limits.max_descriptor_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(PackageError::io(&path))?;
    if bytes.len() as u64 > limits.max_descriptor_bytes {
        return Err(PackageError::DescriptorInvalid {
            path: relative.to_owned(),
            reason: format!("larger than {} bytes", limits.max_descriptor_bytes),
        });
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
