//! Block-based meta files: `TOSCA.meta` and ETSI `*.mf` manifests (packager.md §1.2).
//!
//! A file is a list of blocks separated by blank lines; each block maps keys to values, split at
//! the first `:`. Unlike the reference, a final block without a trailing newline is kept.

use indexmap_lite::OrderedMap;

/// One block: keys in file order, a repeated key overwriting the earlier value in place.
pub type Block = OrderedMap;

/// Parse a block file. The result always has at least one (possibly empty) block.
pub fn parse_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current = Block::new();
    for raw in text.split('\n') {
        let line = raw.trim();
        if line.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        match line.split_once(':') {
            Some((key, value)) => current.insert(key.trim().to_owned(), value.trim().to_owned()),
            None => tracing::debug!(line, "malformed meta line skipped"),
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    if blocks.is_empty() {
        blocks.push(Block::new());
    }
    blocks
}

/// Write blocks as `Key: Value` lines, each block followed by one empty line.
pub fn write_blocks(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks.iter().filter(|b| !b.is_empty()) {
        for (key, value) in block.iter() {
            out.push_str(key);
            out.push_str(": ");
            out.push_str(value);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// Blocks as JSON (`[{key: value}]`), the shape kept in `metadata.tosca` / `metadata.etsi`.
pub fn blocks_to_json(blocks: &[Block]) -> serde_json::Value {
    serde_json::Value::Array(
        blocks
            .iter()
            .map(|b| {
                serde_json::Value::Object(
                    b.iter()
                        .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// A tiny insertion-ordered string map; blocks hold a handful of keys.
mod indexmap_lite {
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct OrderedMap(Vec<(String, String)>);

    impl OrderedMap {
        pub fn new() -> Self {
            Self::default()
        }

        pub fn insert(&mut self, key: String, value: String) {
            match self.0.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => self.0.push((key, value)),
            }
        }

        pub fn get(&self, key: &str) -> Option<&str> {
            self.0
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }

        pub fn keys(&self) -> impl Iterator<Item = &str> {
            self.0.iter().map(|(k, _)| k.as_str())
        }

        pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
            self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
        }

        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
        }

        pub fn len(&self) -> usize {
            self.0.len()
        }
    }

    impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for OrderedMap {
        fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
            let mut map = Self::new();
            for (k, v) in iter {
                map.insert(k.into(), v.into());
            }
            map
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_colon_only() {
        let blocks = parse_blocks("Key1: Value1\nKey2: Value2: Value\n\n");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].get("Key2"), Some("Value2: Value"));
    }

    #[test]
    fn blank_lines_separate_blocks_and_duplicates_overwrite() {
        let text = "A: 1\nA: 2\n\n\nB: 1\n\nC: 1\nlinewithoutcolon\n\nD: 1\n";
        let blocks = parse_blocks(text);
        assert_eq!(blocks.len(), 4);
        assert_eq!(blocks[0].get("A"), Some("2"));
        assert_eq!(blocks[0].len(), 1);
        assert_eq!(blocks[2].keys().collect::<Vec<_>>(), ["C"]);
    }

    #[test]
    fn keeps_a_final_block_without_trailing_newline() {
        let blocks = parse_blocks("A: 1\n\nSource: x.yml\nHash: ab");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].get("Hash"), Some("ab"));
    }

    #[test]
    fn empty_text_gives_one_empty_block() {
        assert_eq!(parse_blocks(""), vec![Block::new()]);
        assert_eq!(parse_blocks("\n\n  \n"), vec![Block::new()]);
    }

    #[test]
    fn writes_what_it_reads() {
        let blocks = vec![
            [("TOSCA-Meta-Version", "1.0"), ("Created-By", "Me")]
                .into_iter()
                .collect::<Block>(),
            Block::new(),
            [("Name", "TOSCA-Metadata/NAPD.yaml")].into_iter().collect(),
        ];
        let text = write_blocks(&blocks);
        assert_eq!(
            text,
            "TOSCA-Meta-Version: 1.0\nCreated-By: Me\n\nName: TOSCA-Metadata/NAPD.yaml\n\n"
        );
        assert_eq!(parse_blocks(&text).len(), 2);
    }
}
