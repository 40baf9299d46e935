//! `callback-mock`: receives callbacks and lets tests and people read them back.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    callback_mock::telemetry::init();
    let config = callback_mock::Config::from_env()?;
    let app = callback_mock::build(config).await?;
    tracing::info!(port = app.port(), "callback-mock listening");
    app.run_until_stopped().await
}
