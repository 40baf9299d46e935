//! A real S3-compatible server for the tests: `moto_server` (PyPI `moto[server]`, installed
//! by .ci/run), one per test process, on 127.0.0.1 and a port the OS picks. It is stopped
//! when the test process ends: the wrapper shell kills it once its stdin (held by this
//! process) closes. A missing `moto_server` fails the test that needs it.

use std::{
    io::{BufRead, BufReader},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::Duration,
};

struct Moto {
    endpoint: String,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

const INSTALL_HINT: &str = "pip install 'moto[server]==5.2.1'";

/// The endpoint of this process's moto server, started on first use; the AWS variables
/// the S3 blob store reads are set to it.
pub fn endpoint() -> &'static str {
    &MOTO.get_or_init(start).endpoint
}

fn start() -> Moto {
    let script = "command -v moto_server >/dev/null || { echo 'moto_server: not found'; exit 127; }
        moto_server -H 127.0.0.1 -p 0 2>&1 & pid=$!
        read -r _ignored
        kill $pid";
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot run sh to start moto_server");
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let (found, lines) = std::sync::mpsc::channel();
    // Reads the address, then keeps draining moto's request log so it never blocks.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = found.send(line);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let endpoint = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = lines.recv_timeout(left).unwrap_or_else(|_| {
            panic!("moto_server did not start within 60 s (is it installed? {INSTALL_HINT})")
        });
        assert!(
            !line.contains("not found"),
            "moto_server is not installed; the S3 tests need it: {INSTALL_HINT}"
        );
        if let Some(at) = line.find("http://127.0.0.1:") {
            break line[at..].trim().to_owned();
        }
    };
    for (key, value) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ] {
        std::env::set_var(key, value);
    }
    Moto {
        endpoint,
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    }
}

/// A new, empty bucket on the moto server.
pub async fn create_bucket() -> String {
    let bucket = format!("catalogue-{}", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .put(format!("{}/{bucket}", endpoint()))
        .send()
        .await
        .expect("moto_server answers");
    assert!(
        response.status().is_success(),
        "create bucket: {response:?}"
    );
    bucket
}
