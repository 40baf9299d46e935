//! End-to-end tests of the platform: the real binaries as separate processes on free ports
//! (the docker-compose.yml topology), on PostgreSQL and on the embedded SQLite default, driven
//! through the gatekeeper as a user would. The process handling itself is the `platform`
//! crate's; this crate adds fresh test databases, the fixture corpus and the scenario.

pub mod binaries;
pub mod client;
pub mod corpus;
pub mod env_vars;
pub mod faults;
pub mod load;
pub mod packages;
pub mod scenario;
pub mod session;
