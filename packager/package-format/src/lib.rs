//! Reading, checking and writing 5GTANGO `.tgo` packages, with no HTTP and no database.
//!
//! - [`unpack::unpack`]: archive hygiene, meta files, NAPD rules, checksums, descriptors and
//!   cross-references, each failure a [`PackageError`] with a stable [`PackageError::code`].
//! - [`pack::pack`]: an SDK project (`project.yml`) into a `.tgo`.
//! - [`project::write_project`]: a package back into an SDK project.

pub mod archive;
mod central_directory;
pub mod checksum;
pub mod descriptor;
pub mod error;
pub mod files;
pub mod level;
pub mod limits;
pub mod member;
pub mod meta;
pub mod napd_rules;
pub mod pack;
mod place;
pub mod project;
pub mod project_file;
pub mod record;
pub mod schema;
pub mod topology;
pub mod unpack;
pub mod yaml;

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod member_tests;
#[cfg(test)]
mod record_tests;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

pub use error::{PackageError, Result};
pub use level::ValidationLevel;
pub use limits::Limits;
pub use pack::{pack, Packed};
pub use project::write_project;
pub use unpack::{unpack, UnpackOptions, Unpacked};
