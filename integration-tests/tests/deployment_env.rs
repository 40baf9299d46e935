//! Every environment variable that docker-compose.yml, deploy/k8s/ and the sonata-platform
//! launcher set is one the binary it is set for reads (integration_tests::env_vars says how
//! that is found from the sources), and the deployments have the probes, resources and
//! arguments the services need.

use std::collections::BTreeSet;

use integration_tests::{
    binaries::workspace_root,
    env_vars::{self, ReadVars, Setting},
};
use platform::{PlatformSpec, Ports, Service};
use serde_json::Value;

const BINARIES: [&str; 4] = [
    "catalogue",
    "packager",
    "gatekeeper-common",
    "callback-mock",
];

/// Every variable set that the binary does not read, as `place: NAME`.
fn unread(settings: &[Setting]) -> Vec<String> {
    let mut problems = Vec::new();
    for setting in settings {
        let read = ReadVars::of(&setting.binary).expect("scanning sources");
        for var in &setting.vars {
            if !read.reads(var) {
                problems.push(format!("{} ({}): {var}", setting.place, setting.binary));
            }
        }
    }
    problems
}

/// The four binaries are all configured, and with nothing they do not read.
fn assert_all_read(settings: &[Setting]) {
    let covered: BTreeSet<&str> = settings.iter().map(|s| s.binary.as_str()).collect();
    assert_eq!(covered, BINARIES.into_iter().collect());
    let problems = unread(settings);
    assert!(
        problems.is_empty(),
        "set but never read:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_binaries_read_what_their_scan_says() {
    // The scan itself: each binary's own bind variable, and the library-read ones.
    for (binary, bind) in [
        ("catalogue", "CATALOGUE_BIND"),
        ("packager", "PACKAGER_BIND"),
        ("gatekeeper-common", "GATEKEEPER_BIND"),
        ("callback-mock", "CALLBACK_MOCK_BIND"),
    ] {
        let read = ReadVars::of(binary).unwrap();
        assert!(read.reads(bind), "{binary} does not read {bind}?");
        assert!(
            read.reads("RUST_LOG") && read.reads("LOG_FORMAT"),
            "{binary} logging"
        );
        assert!(!read.reads("SOME_UNREAD_VARIABLE"));
    }
    assert!(ReadVars::of("packager")
        .unwrap()
        .reads("PACKAGER_SCHEMA_DIR"));
    assert!(!ReadVars::of("callback-mock")
        .unwrap()
        .reads("CATALOGUE_URL"));
}

#[test]
fn docker_compose_sets_only_variables_the_binaries_read() {
    let settings =
        env_vars::compose_settings(&workspace_root().join("docker-compose.yml")).unwrap();
    assert_all_read(&settings);
    for setting in &settings {
        let expected_args = (setting.binary == "packager").then(|| vec!["serve".to_owned()]);
        assert_eq!(setting.args, expected_args, "{}: command", setting.place);
    }
}

#[test]
fn kubernetes_manifests_set_only_variables_the_binaries_read() {
    let files = env_vars::k8s_files();
    assert!(files.len() >= 10, "manifests not found: {files:?}");
    let settings = env_vars::k8s_settings(&files).unwrap();
    assert_all_read(&settings);
    let s3 = settings
        .iter()
        .find(|s| s.place.contains("overlays/s3") && s.binary == "catalogue")
        .expect("the s3 overlay patches the catalogue");
    assert!(s3.vars.contains("AWS_ACCESS_KEY_ID") && s3.vars.contains("CATALOGUE_BLOB_STORE"));
}

#[test]
fn the_launcher_sets_only_variables_the_binaries_read() {
    let spec = PlatformSpec::embedded("data", Ports::default());
    for service in Service::START_ORDER {
        let read = ReadVars::of(service.binary()).unwrap();
        for (key, _) in spec.env_for(service) {
            assert!(read.reads(&key), "{} does not read {key}", service.binary());
        }
    }
}

/// Our Deployments in the base: probes on the health endpoints, requests and limits, the
/// packager's `serve`.
#[test]
fn base_deployments_have_probes_and_resources() {
    let base = workspace_root().join("deploy/k8s/base");
    let mut seen = BTreeSet::new();
    for file in env_vars::k8s_files()
        .iter()
        .filter(|f| f.starts_with(&base))
    {
        for doc in env_vars::yaml_documents(file).unwrap() {
            if doc["kind"] != "Deployment" {
                continue;
            }
            for c in doc["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
            {
                let name = c["name"].as_str().unwrap();
                seen.insert(env_vars::binary_of_container(name).unwrap());
                assert_eq!(
                    c["readinessProbe"]["httpGet"]["path"], "/health/ready",
                    "{name}"
                );
                assert_eq!(
                    c["livenessProbe"]["httpGet"]["path"], "/health/live",
                    "{name}"
                );
                for bound in ["requests", "limits"] {
                    let r = &c["resources"][bound];
                    assert!(
                        r["cpu"].is_string() && r["memory"].is_string(),
                        "{name} {bound}"
                    );
                }
            }
        }
    }
    assert_eq!(seen, BINARIES.into_iter().collect());
    let packager = std::fs::read_to_string(base.join("packager.yaml")).unwrap();
    let hpa: Vec<Value> = serde_saphyr::from_multiple(&packager).unwrap();
    assert!(
        hpa.iter().any(|d| d["kind"] == "HorizontalPodAutoscaler"
            && d["spec"]["scaleTargetRef"]["name"] == "packager"),
        "no autoscaler for the packager"
    );
}

#[test]
fn compose_services_have_health_checks_on_the_ready_endpoint() {
    let docs = env_vars::yaml_documents(&workspace_root().join("docker-compose.yml")).unwrap();
    let services = docs[0]["services"].as_object().unwrap();
    for (name, service) in services {
        let test = service["healthcheck"]["test"].to_string();
        assert!(test != "null", "{name} has no health check");
        if service["build"].is_object() {
            assert!(test.contains("/health/ready"), "{name}: {test}");
        }
    }
}

/// docs/configuration.md names every variable a binary reads (RULES: it lists them all).
#[test]
fn configuration_md_documents_every_variable_the_binaries_read() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/configuration.md")).unwrap();
    let mut missing = Vec::new();
    for binary in BINARIES {
        for var in ReadVars::of(binary).unwrap().literals {
            if !doc.contains(&format!("`{var}`")) {
                missing.push(format!("{binary}: {var}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "read but not in docs/configuration.md:\n{}",
        missing.join("\n")
    );
}
