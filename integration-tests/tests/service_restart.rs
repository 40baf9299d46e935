//! The platform library's control of one service (what the fault tests build on): a service
//! killed with SIGKILL stops answering, and restarted it answers again on the same port with
//! the state it had; one stopped with SIGTERM exits cleanly.

use std::time::Duration;

use integration_tests::{
    client, faults,
    packages::{canonical_example, Example},
    session::{Backend, TestPlatform},
};
use platform::Service;

#[tokio::test]
async fn a_service_killed_and_restarted_keeps_its_port_and_its_state() {
    let mut tp = TestPlatform::start(Backend::Embedded, &[])
        .await
        .expect("the platform starts");
    let example = Example::load(&canonical_example()).unwrap();
    let tracked = faults::upload_variants(&tp, &example, &["restart-0".to_owned()])
        .await
        .unwrap();
    let done = faults::outcomes(&tp, &tracked, Duration::from_secs(60))
        .await
        .unwrap();
    let package = done[0].package_id().expect("on-boarded").to_owned();
    let port = tp.platform.spec().ports.catalogue;

    let killed = tp.platform.kill(Service::Catalogue).await.unwrap();
    assert!(!killed.success(), "{killed}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    tp.platform.restart(Service::Catalogue).await.unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let stored = faults::catalogue_uuids(&tp, "packages").await.unwrap();
    assert!(stored.len() == 1 && stored.contains(&package), "{stored:?}");
    let (code, _) = client::get(&tp, &format!("/packages/{package}"))
        .await
        .unwrap();
    assert_eq!(code, 200);

    let stopped = tp
        .platform
        .stop_service(Service::CallbackMock)
        .await
        .unwrap();
    assert!(stopped.success(), "SIGTERM: {stopped}");
    tp.platform.restart(Service::CallbackMock).await.unwrap();
    let log = std::fs::read_to_string(tp.dir.path().join("logs/catalogue.log")).unwrap();
    assert!(log.contains("restarted by the platform"), "{log}");
    tp.shutdown().await;
}
