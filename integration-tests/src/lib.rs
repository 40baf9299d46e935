//! Helpers to start the platform as processes.
