//! The NAPD schema's rules (`napd-schema.yml`, draft-04, version 0.9), built in: no network and
//! no schema file are needed (packager.md §1.5, Q-4).

use serde_json::{Map, Value};

const TOP_LEVEL: [&str; 10] = [
    "descriptor_schema",
    "vendor",
    "name",
    "version",
    "package_type",
    "release_date_time",
    "maintainer",
    "description",
    "logo",
    "package_content",
];
const REQUIRED: [&str; 4] = ["descriptor_schema", "vendor", "name", "version"];
const ENTRY_KEYS: [&str; 6] = [
    "source",
    "algorithm",
    "hash",
    "content-type",
    "tags",
    "testing_tags",
];
const ENTRY_REQUIRED: [&str; 4] = ["source", "algorithm", "hash", "content-type"];

/// Which characters a pattern `^[...]+$` of the schema allows.
#[derive(Clone, Copy)]
enum Charset {
    /// `^[a-z0-9\-_.]+$`
    LowerId,
    /// `^[0-9\-_.]+$`
    Version,
    /// `^[A-Za-z0-9\-_./]+$`
    PathLike,
    /// `^[A-Z0-9\.:+-]+$`
    DateTime,
    /// `^[A-Z0-9\-]+$`
    Algorithm,
    /// `^[A-Za-z0-9]+$`
    Alnum,
    /// `^[A-Za-z0-9\-_.:/]+$`
    Tag,
}

impl Charset {
    fn allows(self, c: char) -> bool {
        match self {
            Self::LowerId => c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c),
            Self::Version => c.is_ascii_digit() || "-_.".contains(c),
            Self::PathLike => c.is_ascii_alphanumeric() || "-_./".contains(c),
            Self::DateTime => c.is_ascii_uppercase() || c.is_ascii_digit() || ".:+-".contains(c),
            Self::Algorithm => c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-',
            Self::Alnum => c.is_ascii_alphanumeric(),
            Self::Tag => c.is_ascii_alphanumeric() || "-_.:/".contains(c),
        }
    }

    fn matches(self, s: &str) -> bool {
        !s.is_empty() && s.chars().all(|c| self.allows(c))
    }
}

fn top_level_charset(key: &str) -> Option<Charset> {
    Some(match key {
        "vendor" | "name" => Charset::LowerId,
        "version" => Charset::Version,
        "package_type" | "logo" => Charset::PathLike,
        "release_date_time" => Charset::DateTime,
        _ => return None,
    })
}

fn entry_charset(key: &str) -> Option<Charset> {
    Some(match key {
        "source" | "content-type" => Charset::PathLike,
        "algorithm" => Charset::Algorithm,
        "hash" => Charset::Alnum,
        _ => return None,
    })
}

/// Check a parsed NAPD; every violation is listed, none is fatal on its own.
pub fn check(napd: &Value) -> Vec<String> {
    let Some(map) = napd.as_object() else {
        return vec!["the NAPD is not a mapping".to_owned()];
    };
    let mut problems = Vec::new();
    for key in REQUIRED {
        if !map.contains_key(key) {
            problems.push(format!("'{key}' is a required property"));
        }
    }
    for (key, value) in map {
        if !TOP_LEVEL.contains(&key.as_str()) {
            problems.push(format!("additional property '{key}' is not allowed"));
            continue;
        }
        match key.as_str() {
            "package_content" => check_content(value, &mut problems),
            _ => check_string(key, value, top_level_charset(key), &mut problems),
        }
    }
    problems
}

fn check_string(key: &str, value: &Value, charset: Option<Charset>, problems: &mut Vec<String>) {
    match (value.as_str(), charset) {
        (None, _) => problems.push(format!("'{key}' must be a string, found {value}")),
        (Some(s), Some(cs)) if !cs.matches(s) => problems.push(format!(
            "'{key}' value {s:?} does not match the schema pattern"
        )),
        _ => {}
    }
}

fn check_content(value: &Value, problems: &mut Vec<String>) {
    let Some(items) = value.as_array() else {
        problems.push("'package_content' must be an array".to_owned());
        return;
    };
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            problems.push(format!("package_content[{i}] repeats an earlier item"));
        }
        match item.as_object() {
            Some(entry) => check_entry(i, entry, problems),
            None => problems.push(format!("package_content[{i}] must be a mapping")),
        }
    }
}

fn check_entry(i: usize, entry: &Map<String, Value>, problems: &mut Vec<String>) {
    for key in ENTRY_REQUIRED {
        if !entry.contains_key(key) {
            problems.push(format!(
                "package_content[{i}]: '{key}' is a required property"
            ));
        }
    }
    for (key, value) in entry {
        let label = format!("package_content[{i}].{key}");
        match key.as_str() {
            "tags" | "testing_tags" => check_tags(&label, value, problems),
            k if ENTRY_KEYS.contains(&k) => check_string(&label, value, entry_charset(k), problems),
            _ => problems.push(format!(
                "package_content[{i}]: additional property '{key}' is not allowed"
            )),
        }
    }
}

fn check_tags(label: &str, value: &Value, problems: &mut Vec<String>) {
    let Some(tags) = value.as_array() else {
        problems.push(format!("'{label}' must be an array"));
        return;
    };
    for tag in tags {
        check_string(label, tag, Some(Charset::Tag), problems);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "descriptor_schema": "https://example.org/napd-schema.yml",
            "vendor": "eu.5gtango", "name": "ns-package-example", "version": "0.1",
            "package_type": "application/vnd.5gtango.package.nsp",
            "release_date_time": "2009-01-01T14:01:02-04:00",
            "maintainer": "Manuel Peuster, Paderborn University",
            "package_content": [{
                "source": "Definitions/mynsd.yaml", "algorithm": "SHA-256",
                "hash": "AB12", "content-type": "application/vnd.5gtango.nsd",
                "tags": ["eu.5gtango"], "testing_tags": ["a:b/c"]
            }]
        })
    }

    #[test]
    fn a_valid_napd_has_no_problems() {
        assert_eq!(check(&valid()), Vec::<String>::new());
    }

    #[test]
    fn missing_name_and_unknown_key_are_both_reported() {
        let mut napd = valid();
        let name = napd.as_object_mut().unwrap().remove("name").unwrap();
        napd["name_bad_key"] = name;
        let problems = check(&napd);
        assert!(problems.contains(&"'name' is a required property".to_owned()));
        assert!(problems
            .iter()
            .any(|p| p.contains("'name_bad_key' is not allowed")));
    }

    #[test]
    fn an_unquoted_version_is_a_number_and_fails() {
        let mut napd = valid();
        napd["version"] = json!(0.1);
        assert!(check(&napd)[0].contains("'version' must be a string"));
    }

    #[test]
    fn upper_case_vendor_fails_its_pattern() {
        let mut napd = valid();
        napd["vendor"] = json!("EU.5gtango");
        assert!(check(&napd)[0].contains("does not match"));
    }

    #[test]
    fn content_entries_are_checked() {
        let mut napd = valid();
        napd["package_content"][0]["extra"] = json!(1);
        napd["package_content"][0]
            .as_object_mut()
            .unwrap()
            .remove("hash");
        napd["package_content"][0]["tags"] = json!(["bad tag"]);
        let problems = check(&napd);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
