//! Background loops every replica runs: the outbox deliverer and the timeout sweeper.

pub mod outbox;
pub mod sweeper;
