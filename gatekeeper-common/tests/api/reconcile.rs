//! Outcomes whose packager callback was lost are read back from the packager: at start-up,
//! and at a process's deadline before it would be failed with `timeout`.

use std::time::Duration;

use gatekeeper_common::db::processes::{self, NewProcess, Notify};
use gatekeeper_common::db::{now_ms, Db};
use gatekeeper_common::workers::{reconcile::Reconciler, sweeper::TimeoutSweeper};
use gatekeeper_common::Config;
use serde_json::Value;
use shared_models::ProcessId;

use crate::both_backends;
use crate::helpers::packages::sample;
use crate::helpers::{closed_port_url, Backend, CallbackMock, Platform, TestApp, TestDb};

/// Waits until the packager itself has an outcome for `id`.
async fn packager_finished(platform: &Platform, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = platform.packager_status(id).await;
        if status.get("package_process_status").is_some() {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the packager did not finish {id}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A database, a receiver and a platform whose packager calls back to a closed port (every
/// on-change is lost), and a gatekeeper configuration in front of them.
struct LostCallbacks {
    _db: TestDb,
    mock: CallbackMock,
    platform: Platform,
    cfg: Config,
}

impl LostCallbacks {
    async fn start(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        let platform = Platform::start(backend).await;
        let mut cfg = platform.config(&db);
        cfg.callback_base = Some(closed_port_url(""));
        Self {
            _db: db,
            mock: CallbackMock::spawn().await,
            platform,
            cfg,
        }
    }

    /// Uploads a sample package through `app` with its callback at the mock's `name`.
    async fn upload(&self, app: &TestApp, name: &str) -> String {
        let callback = self.mock.callback_url(name);
        app.upload_ok("p.tgo", sample(name), &[("callback_url", &callback)])
            .await
    }
}

/// The first gatekeeper never hears of the outcome; one started afterwards on the same
/// database reads it back.
async fn a_lost_callback_is_recovered_at_start_up(backend: Backend) {
    let stack = LostCallbacks::start(backend).await;
    let first = TestApp::spawn(stack.cfg.clone()).await;
    let id = stack.upload(&first, "lost").await;
    let (mock, platform, cfg) = (&stack.mock, &stack.platform, stack.cfg.clone());
    let at_packager = packager_finished(platform, &id).await;
    assert_eq!(at_packager["package_process_status"], "success");
    let (_, still) = first.get_json(&format!("/packages/status/{id}")).await;
    assert_eq!(still["status"], "running", "{still}");
    first.stopper.stop().await;

    let second = TestApp::spawn(cfg).await;
    let done = second.wait_finished(&id, Duration::from_secs(10)).await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    assert_eq!(done["package_id"], at_packager["package_id"]);
    let package = done["package_id"].as_str().unwrap();
    assert_eq!(
        done["package_location"],
        format!("{}/api/v3/packages/{package}", second.base).as_str()
    );
    let got = mock.wait_for("lost", 1, Duration::from_secs(10)).await;
    assert_eq!(got[0]["body"], done);
}

/// Without the read-back this process would end as `timeout`: the packager stored the package
/// long before the deadline, but its callback never arrived.
async fn at_the_deadline_the_packagers_outcome_wins_over_timeout(backend: Backend) {
    let stack = LostCallbacks::start(backend).await;
    let mut cfg = stack.cfg.clone();
    cfg.process_timeout = Duration::from_secs(1);
    let app = TestApp::spawn(cfg).await;
    let id = stack.upload(&app, "deadline").await;
    let mock = &stack.mock;
    let done = app.wait_finished(&id, Duration::from_secs(10)).await;
    assert_eq!(done["package_process_status"], "success", "{done}");
    let package = done["package_id"].as_str().unwrap();
    assert_eq!(app.get_json(&format!("/packages/{package}")).await.0, 200);
    let got = mock.wait_for("deadline", 1, Duration::from_secs(10)).await;
    assert_eq!(got[0]["body"], done);
}

/// More overdue processes than one query returns are all failed by one sweep, also when the
/// packager cannot be asked.
async fn one_sweep_ends_every_overdue_process(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = Db::connect(&test_db.url, 5).await.unwrap();
    for _ in 0..250 {
        let new = NewProcess {
            id: ProcessId::new_random(),
            username: None,
            callback_url: None,
            file_name: None,
            deadline_ms: now_ms() - 1_000,
        };
        processes::insert(&db, &new).await.unwrap();
    }
    let sweeper = TimeoutSweeper {
        interval: Duration::from_secs(60),
        process_timeout: Duration::from_secs(1),
        reconciler: Reconciler {
            db: db.clone(),
            http: reqwest::Client::new(),
            packager_url: closed_port_url("/api/v1/packages"),
            status_timeout: Duration::from_secs(2),
            packages_url: "http://127.0.0.1:1/api/v3/packages".to_owned(),
            notify: Notify::default(),
        },
    };
    assert_eq!(sweeper.sweep().await.unwrap(), 250);
    assert_eq!(sweeper.sweep().await.unwrap(), 0);
    assert!(processes::overdue(&db, 10).await.unwrap().is_empty());
}

both_backends!(
    a_lost_callback_is_recovered_at_start_up,
    at_the_deadline_the_packagers_outcome_wins_over_timeout,
    one_sweep_ends_every_overdue_process
);
