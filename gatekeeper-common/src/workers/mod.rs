//! Background loops every replica runs: the outbox deliverer and the timeout sweeper, plus the
//! start-up reconciliation with the packager.

pub mod outbox;
pub mod reconcile;
pub mod sweeper;
