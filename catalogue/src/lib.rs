//! Service library: see the crate description.
