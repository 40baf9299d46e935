//! The launcher's own failure paths that need no service running.

use std::process::Command;

#[test]
fn missing_service_binaries_are_named_with_the_build_command() {
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sonata-platform"))
        .current_dir(empty.path())
        .env("SONATA_BIN_DIR", empty.path())
        .env_remove("DATABASE_URL")
        .env_remove("CATALOGUE_DATABASE_URL")
        .env_remove("GATEKEEPER_DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("catalogue not found"), "{text}");
    assert!(text.contains(platform::BUILD_COMMAND), "{text}");
    assert!(
        text.lines().all(|l| l.starts_with("platform      | ")),
        "{text}"
    );
}

#[test]
fn a_database_url_that_is_not_postgres_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sonata-platform"))
        .current_dir(dir.path())
        .env("DATABASE_URL", "mysql://localhost/x")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("DATABASE_URL must be a postgres:// URL"),
        "{text}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created before the check"
    );
}
