//! Which environment variables each binary reads, found in its sources (so the list cannot
//! drift from the code), and which ones docker-compose.yml and deploy/k8s/ set.
//!
//! A binary reads a variable when its name is a string literal in the sources of its crate or
//! of a workspace crate it uses (`std::env::var("X")`, clap's `env = "X"`), plus the variables
//! that libraries read for it: `RUST_LOG` where the code calls `EnvFilter`'s
//! `*from_default_env`, and `AWS_*` where it calls object_store's `AmazonS3Builder::from_env`
//! (which takes every `AWS_*` variable that names one of its `AmazonS3ConfigKey`s).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    str::FromStr,
};

use anyhow::Context;
use serde_json::Value;

use crate::binaries::{collect_files, workspace_root};

/// The workspace folders whose sources make up each binary.
pub fn crates_of(binary: &str) -> anyhow::Result<&'static [&'static str]> {
    Ok(match binary {
        "catalogue" => &["catalogue", "shared-models"],
        "packager" => &["packager", "packager/package-format", "shared-models"],
        "gatekeeper-common" => &["gatekeeper-common", "shared-models"],
        "callback-mock" => &["callback-mock", "shared-models"],
        other => anyhow::bail!("unknown binary {other:?}"),
    })
}

/// What one binary reads.
#[derive(Debug, Clone)]
pub struct ReadVars {
    /// Names that appear as string literals.
    pub literals: BTreeSet<String>,
    /// Whether `RUST_LOG` is read (through `EnvFilter`).
    pub rust_log: bool,
    /// Whether object_store's `AmazonS3Builder::from_env` reads the `AWS_*` variables.
    pub aws: bool,
}

impl ReadVars {
    /// Scans the binary's crates (`src/` of each).
    pub fn of(binary: &str) -> anyhow::Result<Self> {
        let mut text = String::new();
        for krate in crates_of(binary)? {
            let mut files = Vec::new();
            collect_files(&workspace_root().join(krate).join("src"), &mut files);
            for file in files
                .iter()
                .filter(|f| f.extension().is_some_and(|e| e == "rs"))
            {
                text.push_str(&std::fs::read_to_string(file)?);
                text.push('\n');
            }
        }
        anyhow::ensure!(!text.is_empty(), "no sources found for {binary}");
        Ok(Self {
            literals: variable_literals(&text),
            rust_log: text.contains("from_default_env"),
            aws: text.contains("AmazonS3Builder::from_env"),
        })
    }

    pub fn reads(&self, name: &str) -> bool {
        self.literals.contains(name)
            || (self.rust_log && name == "RUST_LOG")
            || (self.aws && is_object_store_aws_key(name))
    }
}

/// Whether object_store's `from_env` takes this `AWS_*` variable.
pub fn is_object_store_aws_key(name: &str) -> bool {
    name.starts_with("AWS_")
        && object_store::aws::AmazonS3ConfigKey::from_str(&name.to_ascii_lowercase()).is_ok()
}

/// Every string literal that looks like a variable name: `A-Z`, digits and `_`, with at least
/// one `_`, starting with a letter.
pub fn variable_literals(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = source;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let literal = &after[..end];
        if looks_like_variable(literal) {
            found.insert(literal.to_owned());
        }
        rest = &after[end + 1..];
    }
    found
}

fn looks_like_variable(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.contains('_')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// One container (or compose service) of one of our binaries and what it is given.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Where it was found, for messages: `docker-compose.yml: gatekeeper`.
    pub place: String,
    pub binary: String,
    pub vars: BTreeSet<String>,
    /// The command-line arguments it is started with (`command:` / `args:`), when given.
    pub args: Option<Vec<String>>,
}

/// Reads a YAML file that may hold several documents.
pub fn yaml_documents(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    serde_saphyr::from_multiple::<Value>(&text)
        .with_context(|| format!("{} is not valid YAML", path.display()))
}

/// The services of docker-compose.yml that build one of our binaries (`build.args.SERVICE`).
pub fn compose_settings(path: &Path) -> anyhow::Result<Vec<Setting>> {
    let docs = yaml_documents(path)?;
    let services = docs
        .first()
        .and_then(|d| d["services"].as_object())
        .context("docker-compose.yml has no services")?;
    let mut settings = Vec::new();
    for (name, service) in services {
        let Some(binary) = service["build"]["args"]["SERVICE"].as_str() else {
            continue;
        };
        settings.push(Setting {
            place: format!("docker-compose.yml: {name}"),
            binary: binary.to_owned(),
            vars: compose_environment(&service["environment"])?,
            args: string_list(&service["command"]),
        });
    }
    Ok(settings)
}

/// `environment:` as a map or as a list of `KEY=value`.
fn compose_environment(env: &Value) -> anyhow::Result<BTreeSet<String>> {
    Ok(match env {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|item| item.split('=').next().unwrap_or(item).to_owned())
            .collect(),
        Value::Null => BTreeSet::new(),
        other => anyhow::bail!("environment must be a map or a list, got {other}"),
    })
}

fn string_list(value: &Value) -> Option<Vec<String>> {
    value.as_array().map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

/// Every `.yaml`/`.yml` file below `deploy/k8s/`.
pub fn k8s_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect_files(&workspace_root().join("deploy/k8s"), &mut files);
    files.retain(|f| f.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    files
}

/// The containers of our binaries in every Deployment (base and overlay patches), with the
/// variables they get: `env` names and every key of the ConfigMaps and Secrets named in
/// `envFrom` (a ConfigMap's keys are gathered from the base and every overlay patch).
pub fn k8s_settings(files: &[PathBuf]) -> anyhow::Result<Vec<Setting>> {
    let mut docs = Vec::new();
    for file in files {
        for doc in yaml_documents(file)? {
            docs.push((file.clone(), doc));
        }
    }
    let sources = config_sources(&docs);
    let mut settings = Vec::new();
    for (file, doc) in docs.iter().filter(|(_, d)| d["kind"] == "Deployment") {
        let containers = doc["spec"]["template"]["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for container in containers {
            let name = container["name"].as_str().unwrap_or_default();
            let binary = binary_of_container(name)
                .with_context(|| format!("{}: container {name:?}", file.display()))?;
            settings.push(Setting {
                place: format!("{}: {name}", relative(file)),
                binary: binary.to_owned(),
                vars: container_vars(&container, &sources)?,
                args: string_list(&container["args"]),
            });
        }
    }
    Ok(settings)
}

/// Container name → binary (the Deployments name their one container after the service).
pub fn binary_of_container(name: &str) -> anyhow::Result<&'static str> {
    Ok(match name {
        "catalogue" => "catalogue",
        "packager" => "packager",
        "gatekeeper" => "gatekeeper-common",
        "callback-mock" => "callback-mock",
        other => anyhow::bail!("not one of the platform's containers: {other:?}"),
    })
}

/// `(kind, name)` → keys, for every ConfigMap and Secret.
fn config_sources(docs: &[(PathBuf, Value)]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut sources: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (_, doc) in docs {
        let kind = doc["kind"].as_str().unwrap_or_default();
        if kind != "ConfigMap" && kind != "Secret" {
            continue;
        }
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        let keys = sources
            .entry((kind.to_owned(), name.to_owned()))
            .or_default();
        for field in ["data", "stringData"] {
            if let Some(map) = doc[field].as_object() {
                keys.extend(map.keys().cloned());
            }
        }
    }
    sources
}

fn container_vars(
    container: &Value,
    sources: &BTreeMap<(String, String), BTreeSet<String>>,
) -> anyhow::Result<BTreeSet<String>> {
    let mut vars: BTreeSet<String> = container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect();
    for from in container["envFrom"].as_array().into_iter().flatten() {
        let (kind, reference) = if from["configMapRef"].is_object() {
            ("ConfigMap", &from["configMapRef"])
        } else {
            ("Secret", &from["secretRef"])
        };
        let name = reference["name"].as_str().unwrap_or_default().to_owned();
        let keys = sources
            .get(&(kind.to_owned(), name.clone()))
            .with_context(|| format!("envFrom names a {kind} {name:?} that no manifest defines"))?;
        vars.extend(keys.iter().cloned());
    }
    Ok(vars)
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_that_look_like_variables_are_found() {
        let source = r#"let a = env::var("CATALOGUE_BIND"); let b = "SHA-256"; x("Hello_World");
            #[arg(long, env = "PACKAGER_SCHEMA_DIR")] "A_1""#;
        let found = variable_literals(source);
        let expected: BTreeSet<String> = ["CATALOGUE_BIND", "PACKAGER_SCHEMA_DIR", "A_1"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn object_store_takes_the_usual_aws_variables_only() {
        assert!(is_object_store_aws_key("AWS_ACCESS_KEY_ID"));
        assert!(is_object_store_aws_key("AWS_ENDPOINT_URL"));
        assert!(is_object_store_aws_key("AWS_REGION"));
        assert!(!is_object_store_aws_key("AWS_TYPO_KEY"));
        assert!(!is_object_store_aws_key("S3_BUCKET"));
    }
}
