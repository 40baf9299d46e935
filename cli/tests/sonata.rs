//! The `sonata` binary against the real platform (catalogue, packager, gatekeeper in-process).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod support;

use package_format::test_support::{sample_package_files, ZipBuilder};
use support::{closed_port_url, fixture, sonata, Platform};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_of_a_valid_package_prints_its_uuid_and_exits_0() {
    let p = Platform::start().await;
    let (path, _) = p.package("good");
    let run = p.sonata(&["upload", &path]).await;
    run.assert_code(0);
    let uuid: uuid::Uuid = run
        .stdout
        .trim()
        .parse()
        .expect("stdout is the package uuid");
    assert!(
        run.stderr.contains("on-boarded eu.test.good.0.1"),
        "{run:#?}"
    );
    assert!(
        !run.stderr.contains(['\r', '\u{1b}']),
        "no progress bar drawn when stderr is not a terminal: {run:#?}"
    );

    let record = p.sonata(&["get", &uuid.to_string(), "--json"]).await;
    record.assert_code(0);
    assert_eq!(record.json()["pd"]["name"], "good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_with_json_prints_the_finished_event() {
    let p = Platform::start().await;
    let (path, _) = p.package("evented");
    let run = p.sonata(&["upload", &path, "--json", "--quiet"]).await;
    run.assert_code(0);
    let event = run.json();
    assert_eq!(event["event_name"], "onPackageChangeEvent");
    assert_eq!(event["package_process_status"], "success");
    assert!(event["package_id"].is_string());
    assert_eq!(run.stderr, "", "--quiet prints nothing on success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_of_a_broken_package_exits_1_with_the_error_code() {
    let p = Platform::start().await;
    let run = p
        .upload_fixture("5gtango-ns-package-example-bad-checksum.tgo")
        .await;
    run.assert_code(1);
    assert_eq!(run.stdout, "", "no uuid for a failed on-boarding");
    let line = run.stderr.lines().last().unwrap();
    assert!(
        line.starts_with("error [checksum-mismatch]: ") && line.contains("Definitions/myvnfd.yaml"),
        "{run:#?}"
    );
    let list = p.sonata(&["list", "--json"]).await;
    assert_eq!(list.json(), serde_json::json!([]), "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_package_and_a_duplicate_fail_with_their_codes() {
    let p = Platform::start().await;
    let mut files = sample_package_files("eu.test", "tampered", "0.1");
    files.insert("Docs/README.txt".into(), b"changed\n".to_vec());
    let (tampered, _) = p.write("tampered.tgo", ZipBuilder::from_files(&files).build());
    let run = p.sonata(&["upload", &tampered]).await;
    run.assert_code(1);
    assert!(run.stderr.contains("error [checksum-mismatch]"), "{run:#?}");
    let queued = p.sonata(&["upload", &tampered, "--no-wait"]).await;
    queued.assert_code(0);
    let id = queued.stdout.trim();
    let run = p.sonata(&["status", id, "--wait", "--quiet"]).await;
    run.assert_error(1, "checksum-mismatch");
    assert_eq!(run.stdout.trim(), format!("{id} failed"));

    let first = p.on_board("twice").await;
    let (again, _) = p.package("twice");
    let run = p.sonata(&["upload", &again]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("error [duplicate-package]") && run.stderr.contains(&first),
        "names the existing package: {run:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_get_download_and_delete_a_real_package() {
    let p = Platform::start().await;
    let example = fixture("5gtango-ns-package-example.tgo");
    let run = p.upload_fixture("5gtango-ns-package-example.tgo").await;
    run.assert_code(0);
    let uuid = run.stdout.trim().to_owned();
    let other = p.on_board("second").await;

    let table = p.sonata(&["list"]).await;
    table.assert_code(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{table:#?}");
    assert!(lines[0].starts_with("PACKAGE UUID                            NAME"));
    let record = p.sonata(&["get", &uuid, "--json"]).await.json();
    let name = record["pd"]["name"].as_str().unwrap().to_owned();
    let row = lines.iter().find(|l| l.starts_with(&uuid)).expect("a row");
    let cut: String = name.chars().take(18).collect();
    assert!(row[40..].starts_with(&format!("{cut:<20}0.1 ")), "{row}");
    assert!(lines.iter().any(|l| l.starts_with(&other)));
    let page = p.sonata(&["list", "--page-size", "1", "--json"]).await;
    assert_eq!(page.json().as_array().unwrap().len(), 1);
    assert!(page.stderr.is_empty(), "--json adds no note: {page:#?}");
    let page = p.sonata(&["list", "--page-size", "1"]).await;
    assert!(page.stderr.contains("1 of 2 shown"), "{page:#?}");

    let yaml = p.sonata(&["get", &uuid]).await;
    yaml.assert_code(0);
    assert!(yaml.stdout.contains(&format!("name: {name}")), "{yaml:#?}");
    assert!(yaml.stdout.contains(&format!("uuid: {uuid}")), "{yaml:#?}");

    let original = std::fs::read(&example).unwrap();
    let run = p.sonata(&["download", &uuid]).await;
    run.assert_code(0);
    let saved = p.work().join(run.stdout.trim());
    assert_eq!(std::fs::read(&saved).unwrap(), original, "byte-identical");
    assert_eq!(saved.extension().unwrap(), "tgo", "{run:#?}");
    let again = p.sonata(&["download", &uuid]).await;
    again.assert_code(2);
    assert!(again.stderr.contains("--force"), "{again:#?}");
    let piped = p.sonata(&["download", &uuid, "-o", "-"]).await;
    piped.assert_code(0);
    assert_eq!(piped.raw_stdout, original, "byte-identical on stdout");
    let named = p.sonata(&["download", &uuid, "-o", "copy.tgo"]).await;
    named.assert_code(0);
    assert_eq!(std::fs::read(p.work().join("copy.tgo")).unwrap(), original);

    let run = p.sonata(&["delete", &uuid]).await;
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), uuid);
    let gone = p.sonata(&["get", &uuid]).await;
    gone.assert_error(1, "package-not-found");
    assert!(gone.stderr.contains("(HTTP 404)"));
    p.sonata(&["delete", &uuid]).await.assert_code(1);
    let missing = p.sonata(&["download", &uuid, "-o", "gone.tgo"]).await;
    missing.assert_code(1);
    assert!(!p.work().join("gone.tgo").exists());
    let rest = p.sonata(&["list", "--json"]).await.json();
    assert_eq!(rest.as_array().unwrap().len(), 1);
    assert_eq!(rest[0]["uuid"], other.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_then_status_follows_to_the_outcome() {
    let p = Platform::start().await;
    let (path, _) = p.package("later");
    let run = p.sonata(&["upload", &path, "--no-wait"]).await;
    run.assert_code(0);
    let process = run.stdout.trim().to_owned();
    process.parse::<uuid::Uuid>().expect("a process id");
    let run = p.sonata(&["status", &process, "--wait"]).await;
    run.assert_code(0);
    let words: Vec<&str> = run.stdout.split_whitespace().collect();
    assert_eq!(words[..2], [process.as_str(), "success"], "{run:#?}");
    let package = words[2].to_owned();
    let status = p.sonata(&["status", &process, "--json"]).await;
    status.assert_code(0);
    assert_eq!(status.json()["package_id"], package.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_store_validates_and_stores_nothing() {
    let p = Platform::start().await;
    let (path, _) = p.package("dry");
    let run = p.sonata(&["upload", &path, "--skip-store"]).await;
    run.assert_code(0);
    assert!(run.stderr.contains("nothing was stored"), "{run:#?}");
    assert_eq!(
        p.sonata(&["list", "--json"]).await.json(),
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_functions_list_the_descriptors() {
    let p = Platform::start().await;
    p.on_board("described").await;
    let services = p.sonata(&["services"]).await;
    services.assert_code(0);
    assert!(services.stdout.starts_with("SERVICE UUID"), "{services:#?}");
    let row = services.stdout.lines().nth(1).unwrap();
    assert!(row[40..].starts_with("described "), "{row}");
    assert_eq!(&row[80..90], "5gtango   ", "the platform column: {row}");
    let functions = p.sonata(&["functions", "--json"]).await;
    functions.assert_code(0);
    assert_eq!(functions.json()[0]["vnfd"]["name"], "described-vnf");

    // OSM and ONAP descriptors keep their names elsewhere; the table still shows them.
    p.upload_fixture("eu.5gtango.mixed-ns-package-example.0.1.tgo")
        .await
        .assert_code(0);
    let functions = p.sonata(&["functions"]).await;
    let rows: Vec<&str> = functions.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{functions:#?}");
    for (name, platform) in [("hackfest1-vnf", "osm"), ("vCPE_vgw", "onap")] {
        assert!(
            rows.iter()
                .any(|r| r[40..].starts_with(name) && r[80..].starts_with(platform)),
            "{name} on {platform}: {functions:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_an_unknown_process_exits_1() {
    let p = Platform::start().await;
    let run = p
        .sonata(&["status", &uuid::Uuid::new_v4().to_string()])
        .await;
    run.assert_error(1, "process-not-found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_gatekeeper_exits_3() {
    let cwd = tempfile::tempdir().unwrap();
    let url = closed_port_url();
    for args in [
        &["list"][..],
        &["status", &uuid::Uuid::new_v4().to_string()],
    ] {
        let run = sonata(&url, cwd.path(), args, &[]).await;
        run.assert_error(3, "unreachable");
        assert!(run.stderr.contains(&url), "names the URL: {run:#?}");
    }
    let p = Platform::start().await;
    let (path, _) = p.package("stopped");
    p.stop_gatekeeper().await;
    p.sonata(&["upload", &path])
        .await
        .assert_error(3, "unreachable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_with_one_line() {
    let cwd = tempfile::tempdir().unwrap();
    let url = closed_port_url();
    for args in [
        &[][..],
        &["get", "not-a-uuid"],
        &["frobnicate"],
        &["list", "--page-size", "many"],
        &["--timeout", "0", "list"],
        &["--url", "ftp://example.org", "list"],
        &["upload", "/no/such/package.tgo"],
    ] {
        let run = sonata(&url, cwd.path(), args, &[]).await;
        run.assert_error(2, "usage");
    }
    let help = sonata(&url, cwd.path(), &["--help"], &[]).await;
    help.assert_code(0);
    assert!(help.stdout.contains("Exit codes"), "{help:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_gatekeeper_times_out_with_exit_3() {
    // Connections are accepted by the kernel's backlog but never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let cwd = tempfile::tempdir().unwrap();
    let run = sonata(&url, cwd.path(), &["--timeout", "300ms", "list"], &[]).await;
    run.assert_error(3, "timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_carry_the_token_when_auth_is_on() {
    const SECRET: &str = "cli-test-secret";
    let p = Platform::start_with(|c| c.jwt_secret = Some(SECRET.to_owned())).await;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = serde_json::json!({"username": "alice", "exp": exp});
    let token = gatekeeper_common::auth::sign(SECRET, &claims).unwrap();
    let (path, _) = p.package("guarded");

    let refused = p.sonata(&["upload", &path]).await;
    refused.assert_error(1, "unauthorized");
    assert!(refused.stderr.contains("(HTTP 401)"), "{refused:#?}");

    let run = p
        .sonata_env(&["upload", &path], &[("SONATA_TOKEN", &token)])
        .await;
    run.assert_code(0);
    let uuid = run.stdout.trim().to_owned();
    let record = p.sonata(&["get", &uuid, "--json"]).await.json();
    assert_eq!(record["username"], "alice", "the token's user is recorded");

    p.sonata(&["delete", &uuid]).await.assert_code(1);
    p.sonata(&["delete", &uuid, "--token", &token])
        .await
        .assert_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_refused_upload_reports_the_servers_error_not_a_broken_pipe() {
    let p = Platform::start_with(|c| {
        c.jwt_secret = Some("s".to_owned());
    })
    .await;
    let (path, _) = p.write("big.tgo", vec![7u8; 16 << 20]);
    let refused = p.sonata(&["upload", &path]).await;
    refused.assert_error(1, "unauthorized");

    let p = Platform::start_with(|c| c.max_upload_bytes = 1 << 20).await;
    let (path, _) = p.write("big.tgo", vec![7u8; 16 << 20]);
    let too_large = p.sonata(&["upload", &path]).await;
    too_large.assert_error(1, "payload-too-large");
    assert!(too_large.stderr.contains("(HTTP 413)"), "{too_large:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callback_url_gets_the_outcome_event() {
    let mock = callback_mock::build(callback_mock::Config::for_testing())
        .await
        .unwrap();
    let mock_url = format!("http://127.0.0.1:{}", mock.port());
    tokio::spawn(mock.run_until_stopped());
    let p = Platform::start().await;
    let (path, _) = p.package("called");
    let callback = format!("{mock_url}/callbacks/cli");
    let run = p
        .sonata(&["upload", &path, "--callback-url", &callback])
        .await;
    run.assert_code(0);
    let received: serde_json::Value = reqwest::get(format!(
        "{mock_url}/api/v1/received/wait?path=/callbacks/cli&count=1&timeout_ms=10000"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let event = &received["callbacks"][0]["body"];
    assert_eq!(event["package_process_status"], "success", "{received}");
    assert_eq!(event["package_id"], run.stdout.trim());
}
