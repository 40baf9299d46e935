//! Optional full JSON-schema validation of 5GTANGO descriptors against a folder of the official
//! schemas (tng-schema layout, draft-04 in YAML syntax). Only internal `$ref`s are used by those
//! schemas, so nothing is fetched.

use std::path::Path;

use crate::{
    descriptor::{Descriptor, DescriptorType},
    error::{PackageError, Result},
    yaml,
};

fn schema_file(kind: DescriptorType) -> &'static str {
    match kind {
        DescriptorType::Nsd => "service-descriptor/nsd-schema.yml",
        DescriptorType::Vnfd => "function-descriptor/vnfd-schema.yml",
        DescriptorType::Tstd => "test-descriptor/test-descriptor-schema.yml",
    }
}

/// Validate every 5GTANGO descriptor; the first invalid one fails with all of its errors.
pub fn validate_all(schema_dir: &Path, descriptors: &[Descriptor]) -> Result<()> {
    for descriptor in descriptors.iter().filter(|d| d.platform == Some("5gtango")) {
        let schema_path = schema_dir.join(schema_file(descriptor.kind));
        let text = std::fs::read_to_string(&schema_path).map_err(PackageError::io(&schema_path))?;
        let schema = yaml::parse(&text).map_err(|e| {
            PackageError::ProjectInvalid(format!(
                "schema {} is not YAML: {e}",
                schema_path.display()
            ))
        })?;
        let validator = jsonschema::validator_for(&schema).map_err(|e| {
            PackageError::ProjectInvalid(format!(
                "schema {} is invalid: {e}",
                schema_path.display()
            ))
        })?;
        let errors: Vec<String> = validator
            .iter_errors(&descriptor.body)
            .take(10)
            .map(|e| format!("{} (at {})", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            return Err(PackageError::DescriptorInvalid {
                path: descriptor.source.clone(),
                reason: format!("schema validation failed: {}", errors.join("; ")),
            });
        }
    }
    Ok(())
}
