//! The packager: a command line over the `package-format` library, and the asynchronous
//! unpacking service that stores packages into the catalogue.

pub mod cli;

/// Run the service configured from the environment until it is stopped.
pub fn serve_from_env() -> std::process::ExitCode {
    eprintln!("error: the packager service is not built yet");
    std::process::ExitCode::from(1)
}
