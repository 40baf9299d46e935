//! The one YAML entry point of the packager: serde-saphyr with its default budgets (against
//! alias bombs and deep nesting), last-wins duplicate keys as PyYAML behaves, and YAML 1.2
//! booleans.

use serde_json::Value;

/// Parse YAML (JSON is accepted too) into a JSON value.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    options.with_snippet = false;
    // YAML 1.2 booleans only: `y`, `no` or `on` in a descriptor stay strings.
    options.strict_booleans = true;
    let value: Value = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let message = e.to_string();
        message.lines().next().unwrap_or_default().trim().to_owned()
    })?;
    Ok(value)
}

/// Serialise a value as block-style YAML.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

/// A scalar as text, the way a version written unquoted (`0.1`) is meant.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yaml_and_json() {
        assert_eq!(parse("a: 1\nb: [x, y, no]\n").unwrap()["b"][1], "y");
        assert_eq!(parse("a: 1\nb: [x, y, no]\n").unwrap()["b"][2], "no");
        assert_eq!(parse("{\"a\": {\"b\": true}}").unwrap()["a"]["b"], true);
    }

    #[test]
    fn strings_that_look_like_numbers_stay_strings_through_a_round_trip() {
        let value = serde_json::json!({"version": "0.1", "n": 1});
        let text = to_string(&value).unwrap();
        let back = parse(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn rejects_a_tab_indented_block() {
        assert!(parse("a:\n\tb: 1\n").is_err());
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(parse(&text).is_err());
    }
}
