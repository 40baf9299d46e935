//! `gatekeeper-common`: the one service users talk to.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    gatekeeper_common::telemetry::init();
    let config = gatekeeper_common::Config::from_env()?;
    let app = gatekeeper_common::build(config).await?;
    tracing::info!(port = app.port(), "gatekeeper-common listening");
    app.run_until_stopped().await
}
