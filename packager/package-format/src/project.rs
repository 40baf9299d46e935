//! Writing an unpacked package back as an SDK project (packager.md §5.2): the inverse of
//! [`crate::pack::pack`], so pack then unpack gives back the same files byte for byte.

use std::{
    fs,
    path::{Path, PathBuf},
};

use serde_json::{json, Value};
use shared_models::ContentEntry;

use crate::{
    archive,
    descriptor::{platform_of, DescriptorType},
    error::{PackageError, Result},
    files::resolve,
    limits::Limits,
    member::FileBytes,
    project_file::FOLDER_ZIP_TYPE,
    unpack::Unpacked,
    yaml,
};

/// Write the project into `project_dir` (created if needed); returns the project.yml path.
pub fn write_project(unpacked: &Unpacked, project_dir: &Path, limits: &Limits) -> Result<PathBuf> {
    fs::create_dir_all(project_dir).map_err(PackageError::io(project_dir))?;
    let mut files = Vec::new();
    for entry in &unpacked.record.package_content {
        let path = project_path(entry);
        let to = resolve(project_dir, &path)?;
        match unpacked.extracted.locate(&entry.source)? {
            FileBytes::Path(from) if is_folder_zip(entry) => {
                fs::create_dir_all(&to).map_err(PackageError::io(&to))?;
                archive::extract(&from, &to, limits)?;
            }
            bytes @ (FileBytes::Member(_) | FileBytes::Memory(_)) if is_folder_zip(entry) => {
                let copy = tempfile::NamedTempFile::new_in(project_dir)
                    .map_err(PackageError::io(project_dir))?;
                copy_out(&bytes, copy.path(), &entry.source)?;
                fs::create_dir_all(&to).map_err(PackageError::io(&to))?;
                archive::extract(copy.path(), &to, limits)?;
            }
            bytes => copy_out(&bytes, &to, &entry.source)?,
        }
        files.push(project_entry(entry, &path));
    }
    let record = &unpacked.record;
    let project = json!({
        "descriptor_extension": "yml",
        "version": "0.5",
        "package": {
            "vendor": record.vendor, "name": record.name, "version": record.version,
            "maintainer": record.maintainer, "description": record.description,
        },
        "files": files,
    });
    let target = project_dir.join("project.yml");
    let text = yaml::to_string(&project).map_err(PackageError::ProjectInvalid)?;
    fs::write(&target, text).map_err(PackageError::io(&target))?;
    Ok(target)
}

/// A file (extracted, in memory, or a member with its CRC-32 checked) to `to`.
fn copy_out(bytes: &FileBytes, to: &Path, source: &str) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(PackageError::io(parent))?;
    }
    match bytes {
        FileBytes::Path(from) => fs::copy(from, to).map(drop).map_err(PackageError::io(to)),
        FileBytes::Memory(held) => fs::write(to, held).map_err(PackageError::io(to)),
        FileBytes::Member(member) => {
            let mut file = fs::File::create(to).map_err(PackageError::io(to))?;
            let mut failed = None;
            member.scan(source, |chunk| {
                if failed.is_none() {
                    failed = std::io::Write::write_all(&mut file, chunk).err();
                }
            })?;
            failed.map_or(Ok(()), |e| Err(PackageError::io(to)(e)))
        }
    }
}

fn is_folder_zip(entry: &ContentEntry) -> bool {
    entry.content_type.as_deref() == Some(FOLDER_ZIP_TYPE) && entry.source.ends_with(".zip")
}

/// Undo the packer's path mapping: the `Definitions/` it put in front of 5GTANGO descriptors,
/// and the `.zip` of a compressed folder.
pub fn project_path(entry: &ContentEntry) -> String {
    let ct = entry.content_type.as_deref().unwrap_or_default();
    let tango_descriptor =
        DescriptorType::of_content_type(ct).is_some() && platform_of(ct) == Some("5gtango");
    match entry.source.strip_prefix("Definitions/") {
        Some(rest) if tango_descriptor => rest.to_owned(),
        _ if is_folder_zip(entry) => entry.source.trim_end_matches(".zip").to_owned(),
        _ => entry.source.clone(),
    }
}

fn project_entry(entry: &ContentEntry, path: &str) -> Value {
    let mut item = json!({
        "path": path,
        "type": entry.content_type.as_deref().unwrap_or("text/plain"),
    });
    if let Some(tags) = &entry.tags {
        item["tags"] = json!(tags);
    }
    if let Some(tags) = &entry.testing_tags {
        item["testing_tags"] = json!(tags);
    }
    item
}
