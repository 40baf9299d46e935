//! Logging: `RUST_LOG` (default `info`); JSON lines when `LOG_FORMAT=json`.

use tracing_subscriber::EnvFilter;

pub fn init_subscriber() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json_logs = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter);
    // `try_init` only fails when a subscriber is already installed: keep that one.
    let _already_set = if json_logs {
        subscriber.json().try_init()
    } else {
        subscriber.try_init()
    };
}
