//! Test packages made from the canonical example; the builder lives in `integration-tests`
//! (shared with the fault and load tests).

pub use integration_tests::packages::Example;
