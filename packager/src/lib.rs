//! The packager: a command line over the `package-format` library, and the asynchronous
//! unpacking service that stores packages into the catalogue.

pub mod cli;
pub mod service;
pub mod telemetry;

/// Run the service configured from the environment until it is stopped.
pub fn serve_from_env() -> std::process::ExitCode {
    telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let outcome: anyhow::Result<()> = runtime.block_on(async {
        let config = service::Config::from_env()?;
        let bind = config.bind;
        let app = service::build(config).await?;
        tracing::info!(%bind, port = app.port(), "packager listening");
        app.run_until_stopped().await?;
        Ok(())
    });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
