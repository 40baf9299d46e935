use catalogue::{build, telemetry, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init_subscriber();
    let config = Config::from_env()?;
    let application = build(config).await?;
    tracing::info!(port = application.port(), "catalogue listening");
    application.run_until_stopped().await?;
    Ok(())
}
