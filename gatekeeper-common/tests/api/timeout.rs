use std::time::Duration;

use crate::both_backends;
use crate::helpers::fake_packager::Mode;
use crate::helpers::{with_packager, Backend, CallbackMock, TestApp, TestDb};

async fn a_process_without_outcome_fails_with_timeout_and_calls_back(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mock = CallbackMock::spawn().await;
    let (_packager, mut cfg) = with_packager(&db, Mode::Accept).await;
    cfg.process_timeout = Duration::from_millis(300);
    let app = TestApp::spawn(cfg).await;
    let id = app
        .upload_ok(&[("callback_url", &mock.callback_url("late"))])
        .await;

    let done = app.wait_finished(&id, Duration::from_secs(5)).await;
    assert_eq!(done["package_process_status"], "failed");
    assert_eq!(done["package_metadata"]["error_code"], "timeout");
    assert!(done["package_metadata"]["error"].is_string());
    let got = mock.wait_for("late", 1, Duration::from_secs(5)).await;
    assert_eq!(got[0]["body"]["package_metadata"]["error_code"], "timeout");
}

both_backends!(a_process_without_outcome_fails_with_timeout_and_calls_back);
