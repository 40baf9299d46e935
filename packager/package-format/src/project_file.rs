//! `project.yml`: the SDK project descriptor (packager.md §3.1), parsed into typed form.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::{
    error::{PackageError, Result},
    yaml,
};

pub const FOLDER_ZIP_TYPE: &str = "application/vnd.folder.compressed.zip";

/// One `files` item.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectFile {
    pub path: String,
    pub content_type: String,
    pub tags: Vec<String>,
    pub testing_tags: Vec<String>,
}

/// A parsed project descriptor.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    /// Every key of `package` (vendor, name and version as text).
    pub package: Map<String, Value>,
    pub files: Vec<ProjectFile>,
}

impl Project {
    pub fn field(&self, key: &str) -> Option<String> {
        self.package.get(key).and_then(yaml::scalar_text)
    }

    /// `<vendor>.<name>.<version>`.
    pub fn triple(&self) -> String {
        let f = |k| self.field(k).unwrap_or_default();
        format!("{}.{}.{}", f("vendor"), f("name"), f("version"))
    }
}

/// Find and read `project.yml` (or `project.yaml`) in `dir`.
pub fn read_project(dir: &Path) -> Result<Project> {
    let path = ["project.yml", "project.yaml"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            PackageError::ProjectInvalid(format!("project.y*l not found in {}", dir.display()))
        })?;
    let text = std::fs::read_to_string(&path).map_err(PackageError::io(&path))?;
    let doc = yaml::parse(&text)
        .map_err(|e| PackageError::ProjectInvalid(format!("project.yml: {e}")))?;
    for section in ["package", "files", "version"] {
        if doc.get(section).is_none() {
            return Err(PackageError::ProjectInvalid(format!(
                "{section} section missing in PD"
            )));
        }
    }
    let mut package = doc["package"].as_object().cloned().ok_or_else(|| {
        PackageError::ProjectInvalid("package section of project.yml is not a mapping".into())
    })?;
    for key in ["name", "vendor", "version"] {
        let text = package
            .get(key)
            .and_then(yaml::scalar_text)
            .ok_or_else(|| {
                PackageError::ProjectInvalid(format!("{key} field missing in PD/package"))
            })?;
        package.insert(key.to_owned(), Value::String(text));
    }
    let files = doc["files"]
        .as_array()
        .ok_or_else(|| {
            PackageError::ProjectInvalid("files section of project.yml is not a list".into())
        })?
        .iter()
        .map(parse_file)
        .collect::<Result<Vec<_>>>()?;
    Ok(Project {
        dir: dir.to_path_buf(),
        package,
        files,
    })
}

fn parse_file(item: &Value) -> Result<ProjectFile> {
    let path = item.get("path").and_then(Value::as_str).ok_or_else(|| {
        PackageError::ProjectInvalid("a files item of project.yml has no path".into())
    })?;
    let strings = |key: &str| -> Vec<String> {
        item.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(yaml::scalar_text).collect())
            .unwrap_or_default()
    };
    Ok(ProjectFile {
        path: path.to_owned(),
        content_type: item
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("text/plain")
            .to_owned(),
        tags: strings("tags"),
        testing_tags: strings("testing_tags"),
    })
}
