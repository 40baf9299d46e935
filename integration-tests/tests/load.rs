//! Load (issue 7): distinct packages on-boarded through the real binaries with bounded
//! concurrency; every process terminal, every callback delivered once to callback-mock, the
//! catalogue holding exactly the successes. CI runs 300 per backend; the documented long run
//! (docs/reliability.md) sets `SONATA_LOAD_PACKAGES=10000` on release binaries.

use integration_tests::{
    load::{self, LoadSettings},
    session::{Backend, TestPlatform},
};
use platform::Service;

/// Packages per backend when `SONATA_LOAD_PACKAGES` is not set.
const CI_PACKAGES: usize = 300;

async fn load_run(backend: Backend) {
    let settings = LoadSettings::from_env(CI_PACKAGES).expect("load settings");
    let capacity = settings.mock_capacity();
    let extra = [
        (
            Service::CallbackMock,
            "CALLBACK_MOCK_MAX_STORED",
            capacity.as_str(),
        ),
        // Only the callers' callbacks: one per package.
        (Service::Gatekeeper, "GATEKEEPER_SUBSCRIBERS", ""),
    ];
    let tp = TestPlatform::start(backend, &extra)
        .await
        .expect("the platform starts");
    let report = match load::run(&tp, settings).await {
        Ok(report) => report,
        Err(e) => panic!("load on {backend:?}: {e:#}\n{}", tp.logs()),
    };
    eprintln!("load on {backend:?}: {report}");
    assert_eq!(
        report.successes(),
        settings.packages,
        "every package is valid and distinct: {report}"
    );
    assert_eq!(report.callbacks, settings.packages, "{report}");
    assert_eq!(report.catalogue_packages, settings.packages, "{report}");
    tp.shutdown().await;
}

#[tokio::test]
async fn load_on_the_embedded_default() {
    load_run(Backend::Embedded).await;
}

#[tokio::test]
async fn load_on_postgres() {
    load_run(Backend::Postgres).await;
}
