//! The block parser of TOSCA.meta and ETSI `*.mf` files on arbitrary text, with the property
//! that writing the blocks back and parsing again gives the same blocks (pack relies on it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use package_format::meta;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let blocks = meta::parse_blocks(&text);
    assert!(!blocks.is_empty());
    let _ = meta::blocks_to_json(&blocks);
    let written = meta::write_blocks(&blocks);
    let again = meta::parse_blocks(&written);
    assert_eq!(blocks, again, "write/parse round trip changed the blocks");
});
