use serde_json::Value;

use crate::both_backends;
use crate::helpers::{config, Backend, TestApp, TestDb};

async fn catalogue_down_gives_503_and_bad_uuids_400(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(config(&db)).await;
    for path in ["/packages", "/services", "/functions"] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 503, "{path}");
        assert_eq!(body["code"], "catalogue-unavailable");
    }
    for path in [
        "/packages/nope",
        "/packages/nope/package-file",
        "/services/nope",
        "/functions/nope",
    ] {
        let (status, body): (u16, Value) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["code"], "malformed-uuid");
    }
}

both_backends!(catalogue_down_gives_503_and_bad_uuids_400);
