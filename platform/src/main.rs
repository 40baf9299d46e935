//! `sonata-platform`: the whole platform in one terminal. Starts catalogue, callback-mock,
//! packager and gatekeeper (built next to this binary), prefixes each log line with the
//! service name, and on Ctrl-C (or SIGTERM) stops them in reverse order.

use std::process::ExitCode;

use platform::{process::print_prefixed, Platform, PlatformSpec, Service, Storage};
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            say(&format!("error: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<ExitCode> {
    let spec = PlatformSpec::from_env()?;
    say(&format!(
        "starting from {} (data in {}, {})",
        spec.bin_dir.display(),
        spec.data_dir.display(),
        storage_text(&spec.storage)
    ));
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut platform = tokio::select! {
        started = Platform::start(spec) => started?,
        _ = interrupt.recv() => return Ok(ExitCode::from(130)),
        _ = terminate.recv() => return Ok(ExitCode::from(143)),
    };
    summary(&platform);
    let code = tokio::select! {
        _ = interrupt.recv() => { say("Ctrl-C: stopping"); ExitCode::SUCCESS }
        _ = terminate.recv() => { say("SIGTERM: stopping"); ExitCode::SUCCESS }
        (service, status) = platform.wait_any_exit() => {
            say(&format!("{service} exited ({}); stopping the others", describe(&status)));
            ExitCode::FAILURE
        }
    };
    for (service, status) in platform.stop().await {
        say(&format!("{service} stopped ({})", describe(&status)));
    }
    Ok(code)
}

fn summary(platform: &Platform) {
    say("all services ready:");
    for service in Service::START_ORDER.iter().rev() {
        let pid = platform.service(*service).and_then(|r| r.pid());
        say(&format!(
            "  {:<13} {}{}  (pid {})",
            service.name(),
            platform.base_url(*service),
            service.api_prefix(),
            pid.map_or("?".to_owned(), |p| p.to_string())
        ));
    }
    say(&format!(
        "upload with: curl -F package=@<file.tgo> {}/packages   (Ctrl-C stops everything)",
        platform.spec().gatekeeper_api()
    ));
}

fn storage_text(storage: &Storage) -> String {
    match storage {
        Storage::Embedded => "records in SQLite".to_owned(),
        Storage::Postgres {
            catalogue_url,
            gatekeeper_url,
        } => format!(
            "records in PostgreSQL: {} and {}",
            platform::database::redact(catalogue_url),
            platform::database::redact(gatekeeper_url)
        ),
    }
}

fn describe(status: &anyhow::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(e) => format!("unknown: {e}"),
    }
}

fn say(text: &str) {
    print_prefixed("platform", text);
}
