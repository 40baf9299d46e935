//! Packing an SDK project into a `.tgo` (packager.md §3), then checking the result with the
//! same pipeline every upload goes through.

use std::{
    fs::File,
    io::{self, Write},
    path::{Path, PathBuf},
};

use serde_json::{json, Map, Value};
use shared_models::{NapdRecord, DEFAULT_DESCRIPTOR_SCHEMA};
use tempfile::NamedTempFile;
use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

use crate::{
    checksum::{digest_file, Algorithm},
    descriptor::{platform_of, DescriptorType},
    error::{PackageError, Result},
    files::resolve,
    meta::{write_blocks, Block},
    napd_rules,
    project_file::{read_project, Project, ProjectFile, FOLDER_ZIP_TYPE},
    record::TOSCA_META,
    unpack::{unpack, UnpackOptions},
    yaml,
};

pub const ETSI_MANIFEST: &str = "etsi_manifest.mf";
pub const NAPD_PATH: &str = "TOSCA-Metadata/NAPD.yaml";

/// A written package.
#[derive(Debug)]
pub struct Packed {
    pub path: PathBuf,
    pub record: NapdRecord,
}

/// One file going into the package.
struct Item {
    source: String,
    file: ProjectFile,
    /// Where the bytes are: the project file, or a temporary folder zip.
    bytes: PathBuf,
    _folder_zip: Option<NamedTempFile>,
}

/// Pack `project_dir`. `output` is a folder (the file is named `<vendor>.<name>.<version>.tgo`)
/// or a file path. The package is checked with `check` before it is kept.
pub fn pack(project_dir: &Path, output: &Path, check: &UnpackOptions) -> Result<Packed> {
    let project = read_project(project_dir)?;
    let items = collect_items(&project)?;
    let package_type = detect_package_type(&items)?;
    let release = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let napd = build_napd(&project, &items, package_type, &release)?;
    let target = pack_target(output, &project.triple())?;
    let parent = target.parent().unwrap_or(Path::new("."));
    let mut staged = NamedTempFile::new_in(parent).map_err(PackageError::io(parent))?;
    write_zip(
        staged.as_file_mut(),
        &project,
        &items,
        &napd,
        package_type,
        &release,
    )?;
    let work = tempfile::tempdir().map_err(PackageError::io(std::env::temp_dir()))?;
    let checked = unpack(staged.path(), work.path(), check)?;
    staged
        .persist(&target)
        .map_err(|e| PackageError::io(&target)(e.error))?;
    Ok(Packed {
        path: target,
        record: checked.record,
    })
}

/// Where `pack` writes: `output` itself when it names a `.tgo` file, else `<triple>.tgo` inside
/// the folder `output`, which is created when it does not exist yet.
fn pack_target(output: &Path, triple: &str) -> Result<std::path::PathBuf> {
    let names_file = output.extension().is_some_and(|ext| ext == "tgo") && !output.is_dir();
    if names_file {
        return Ok(output.to_path_buf());
    }
    std::fs::create_dir_all(output).map_err(PackageError::io(output))?;
    Ok(output.join(format!("{triple}.tgo")))
}

fn collect_items(project: &Project) -> Result<Vec<Item>> {
    let mut items: Vec<Item> = Vec::new();
    for file in &project.files {
        let on_disk = resolve(&project.dir, &file.path)?;
        let is_folder = file.content_type == FOLDER_ZIP_TYPE;
        let present = if is_folder {
            on_disk.is_dir()
        } else {
            on_disk.is_file()
        };
        if !present {
            return Err(PackageError::MissingFile {
                path: file.path.clone(),
            });
        }
        let source = package_source(file);
        if items.iter().any(|i| i.source == source) {
            return Err(PackageError::ProjectInvalid(format!(
                "{source} is listed twice in project.yml"
            )));
        }
        let (bytes, folder_zip) = if is_folder {
            let zipped = zip_folder(&on_disk)?;
            (zipped.path().to_path_buf(), Some(zipped))
        } else {
            (on_disk, None)
        };
        items.push(Item {
            source,
            file: file.clone(),
            bytes,
            _folder_zip: folder_zip,
        });
    }
    Ok(items)
}

/// 5GTANGO descriptors go below `Definitions/` (always, Q-9); folders become `<path>.zip`.
pub fn package_source(file: &ProjectFile) -> String {
    let is_tango_descriptor = DescriptorType::of_content_type(&file.content_type).is_some()
        && platform_of(&file.content_type) == Some("5gtango");
    if is_tango_descriptor {
        format!("Definitions/{}", file.path)
    } else if file.content_type == FOLDER_ZIP_TYPE {
        format!("{}.zip", file.path.trim_end_matches('/'))
    } else {
        file.path.clone()
    }
}

/// nsp if any NSD, else vnfp if any VNFD, else tdp if a 5GTANGO test descriptor (§1.7, Q-8:
/// both `osm`/`etsi.osm` and `onap`/`lf.onap` spellings count).
fn detect_package_type(items: &[Item]) -> Result<&'static str> {
    let kinds: Vec<(DescriptorType, Option<&str>)> = items
        .iter()
        .filter_map(|i| {
            let ct = i.file.content_type.as_str();
            DescriptorType::of_content_type(ct).map(|k| (k, platform_of(ct)))
        })
        .collect();
    let has = |kind: DescriptorType| kinds.iter().any(|(k, p)| *k == kind && p.is_some());
    if has(DescriptorType::Nsd) {
        Ok("application/vnd.5gtango.package.nsp")
    } else if has(DescriptorType::Vnfd) {
        Ok("application/vnd.5gtango.package.vnfp")
    } else if kinds.contains(&(DescriptorType::Tstd, Some("5gtango"))) {
        Ok("application/vnd.5gtango.package.tdp")
    } else {
        Err(PackageError::UnknownPackageType)
    }
}

fn build_napd(
    project: &Project,
    items: &[Item],
    package_type: &str,
    release: &str,
) -> Result<Value> {
    let mut napd = Map::new();
    napd.insert("descriptor_schema".into(), json!(DEFAULT_DESCRIPTOR_SCHEMA));
    for key in ["vendor", "name", "version", "maintainer", "description"] {
        if let Some(value) = project.package.get(key) {
            napd.insert(key.into(), value.clone());
        }
    }
    napd.insert("package_type".into(), json!(package_type));
    napd.insert("release_date_time".into(), json!(release));
    for (key, value) in &project.package {
        napd.entry(key.clone()).or_insert_with(|| value.clone());
    }
    let content = items
        .iter()
        .map(|item| {
            let hash = digest_file(&item.bytes, Algorithm::Sha256)
                .map_err(PackageError::io(&item.bytes))?;
            Ok(json!({
                "source": item.source,
                "algorithm": Algorithm::Sha256.name(),
                "hash": hash,
                "content-type": item.file.content_type,
                "tags": item.file.tags,
                "testing_tags": item.file.testing_tags,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    napd.insert("package_content".into(), Value::Array(content));
    let napd = Value::Object(napd);
    let problems = napd_rules::check(&napd);
    if !problems.is_empty() {
        return Err(PackageError::NapdInvalid {
            path: NAPD_PATH.into(),
            reasons: problems,
        });
    }
    Ok(napd)
}

fn etsi_manifest(project: &Project, napd: &Value, package_type: &str, release: &str) -> String {
    let prefix = match package_type.rsplit('.').next() {
        Some("nsp") => "ns",
        Some("vnfp") => "vnf",
        _ => "test",
    };
    let header: Block = [
        (
            format!("{prefix}_product_name"),
            project.field("name").unwrap_or_default(),
        ),
        (
            format!("{prefix}_provider_id"),
            project.field("vendor").unwrap_or_default(),
        ),
        (
            format!("{prefix}_package_version"),
            project.field("version").unwrap_or_default(),
        ),
        (format!("{prefix}_release_date_time"), release.to_owned()),
    ]
    .into_iter()
    .collect();
    let mut blocks = vec![header];
    for entry in napd["package_content"].as_array().into_iter().flatten() {
        let text = |k: &str| entry[k].as_str().unwrap_or_default().to_owned();
        blocks.push(
            [
                ("Source", text("source")),
                ("Algorithm", text("algorithm")),
                ("Hash", text("hash")),
            ]
            .into_iter()
            .collect(),
        );
    }
    write_blocks(&blocks)
}

fn tosca_meta(project: &Project) -> String {
    let block0: Block = [
        ("TOSCA-Meta-Version", "1.0".to_owned()),
        ("CSAR-Version", "1.0".to_owned()),
        (
            "Created-By",
            project.field("maintainer").unwrap_or_default(),
        ),
        ("Entry-Manifest", ETSI_MANIFEST.to_owned()),
        ("Entry-Definitions", "TODO".to_owned()),
    ]
    .into_iter()
    .collect();
    let block1: Block = [
        ("Name", NAPD_PATH),
        ("Content-Type", "application/vnd.5gtango.napd"),
    ]
    .into_iter()
    .collect();
    write_blocks(&[block0, block1])
}

fn zip_options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true)
}

fn write_zip(
    out: &mut File,
    project: &Project,
    items: &[Item],
    napd: &Value,
    package_type: &str,
    release: &str,
) -> Result<()> {
    let zip_err = |e: zip::result::ZipError| PackageError::Io {
        path: PathBuf::from("<package>"),
        source: io::Error::other(e),
    };
    let napd_text = yaml::to_string(napd).map_err(PackageError::ProjectInvalid)?;
    let mut zip = ZipWriter::new(out);
    let texts = [
        (
            ETSI_MANIFEST,
            etsi_manifest(project, napd, package_type, release),
        ),
        (TOSCA_META, tosca_meta(project)),
        (NAPD_PATH, napd_text),
    ];
    for (name, text) in texts {
        zip.start_file(name, zip_options()).map_err(zip_err)?;
        zip.write_all(text.as_bytes())
            .map_err(PackageError::io(name))?;
    }
    for item in items {
        zip.start_file(item.source.as_str(), zip_options())
            .map_err(zip_err)?;
        let mut source = File::open(&item.bytes).map_err(PackageError::io(&item.bytes))?;
        io::copy(&mut source, &mut zip).map_err(PackageError::io(&item.bytes))?;
    }
    zip.finish().map_err(zip_err)?;
    Ok(())
}

/// Zip a project sub-folder (entries relative to it, sorted) into a temporary file (§3.6).
fn zip_folder(dir: &Path) -> Result<NamedTempFile> {
    let mut temp = NamedTempFile::new().map_err(PackageError::io(std::env::temp_dir()))?;
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    let mut zip = ZipWriter::new(temp.as_file_mut());
    for relative in files {
        let path = dir.join(&relative);
        zip.start_file(relative.as_str(), zip_options())
            .map_err(|e| PackageError::io(&path)(io::Error::other(e)))?;
        let mut source = File::open(&path).map_err(PackageError::io(&path))?;
        io::copy(&mut source, &mut zip).map_err(PackageError::io(&path))?;
    }
    zip.finish()
        .map_err(|e| PackageError::io(dir)(io::Error::other(e)))?;
    Ok(temp)
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(PackageError::io(dir))? {
        let entry = entry.map_err(PackageError::io(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(PackageError::io(&path))?;
        if kind.is_dir() {
            walk(base, &path, out)?;
        } else if kind.is_file() {
            let relative = path.strip_prefix(base).unwrap_or(&path);
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
