//! The one YAML entry point (serde-saphyr with budgets) and the built-in NAPD rules on arbitrary
//! text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use package_format::{napd_rules, yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = yaml::parse(text) {
        let _ = napd_rules::check(&value);
        let _ = yaml::scalar_text(&value);
    }
});
