//! The query language of catalogue.md §3 and pagination (decision 9).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, json, on_both_backends, Backend, TestApp};

on_both_backends!(
    filters_operators_and_deep_keys,
    pagination_and_counts,
    bad_queries_are_400
);

/// Descriptors with arrays of objects, nested arrays, numbers, booleans, nulls, odd keys and
/// non-ASCII text, for the cross-backend comparison.
pub(crate) fn rich_descriptors() -> Vec<Value> {
    vec![
        json!({"vendor": "v1", "name": "n1", "version": "1.0", "vdu": [{"id": "a", "resource_requirements": {"memory": {"size": 1, "size_unit": "GB"}, "storage": {"size": 10}}}, {"id": "b", "resource_requirements": {"memory": {"size": 3}}}], "flag": false, "ratio": 0.5, "x-ext:key": "é"}),
        json!({"vendor": "v1", "name": "n1", "version": "1.1", "vdu": {"id": "c", "resource_requirements": {"memory": {"size": "2"}}}, "flag": true, "ratio": 2, "nested": [[1, 2], [3]], "empty": []}),
        json!({"vendor": "v1", "name": "n2", "version": 2, "vdu": [], "flag": null, "tags": ["a", "b", 1], "x-ext:key": "z"}),
        json!({"vendor": "v2", "name": "n1", "version": "1.10", "vdu": [{"id": "a"}, {"id": "d", "vm_image": null}], "ratio": -1, "deep": {"memory": {"size": 9}}, "tags": "a"}),
        json!({"vendor": "v2", "name": "n3", "version": "0.9", "list": [{"k": [{"m": "x"}, {"m": "y"}]}], "Ünï": "ok"}),
    ]
}

/// The queries the cross-backend comparison runs.
pub(crate) const COMPARED_QUERIES: &[&str] = &[
    "",
    "vendor=v1",
    "name=n1&vendor=v2",
    "version=2",
    "version=1.0",
    "version.gt=1.0",
    "version.lte=1.1",
    "version.in=[1.0,2]",
    "version.nin=[1.0,2]",
    "vdu.id=a",
    "vdu.id.ne=a",
    "vdu.0.id=a",
    "vdu.1.id=b",
    "vdu.0.id=c",
    "vdu.id.in=(c,d)",
    "vdu.id.nin=(c,d)",
    "vdu.resource_requirements.memory.size=2",
    "vdu.resource_requirements.memory.size.gt=1",
    "vdu.resource_requirements.memory.size.gte=3",
    "memory_size=9",
    "memory_size.lt=3",
    "storage_size=10",
    "flag=true",
    "flag=false",
    "flag",
    "flag.ne=true",
    "ratio=0.5",
    "ratio.gt=0",
    "ratio.lt=0.5",
    "ratio=2.0",
    "tags=a",
    "tags=1",
    "tags.ne=a",
    "nested=3",
    "nested.0=1",
    "empty",
    "vdu",
    "vdu.vm_image",
    "x-ext:key=é",
    "x-ext:key.gt=m",
    "list.k.m=y",
    "0.vendor=v1",
    "1.vendor=v1",
    "vdu.0=a",
    "deep.memory.size.gt=1",
    "list.0.k.1.m=y",
    "missing",
    "missing.ne=1",
    "status=active",
    "status.ne=active",
    "pkg_ref=1",
    "pkg_ref.gt=1",
    "username=carol",
    "platform=5gtango",
    "created_at.gt=2000-01-01",
    "updated_at.lt=2000-01-01",
    "version=last",
    "version=last&vendor=v1",
    "version=last&page_size=2&page_number=1",
    "page_size=2&page_number=2",
];

/// Names and versions of a list, in order; or the count.
async fn answer(app: &TestApp, query: &str) -> (String, Option<String>) {
    let response = app.get(&format!("/vnfs?{query}")).await;
    let count = response
        .headers()
        .get("record-count")
        .map(|v| v.to_str().unwrap().to_owned());
    let list: Value = json(response).await;
    let rows: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("{query}: {list}"))
        .iter()
        .map(|r| {
            format!(
                "{}/{}/{}",
                r["vnfd"]["vendor"], r["vnfd"]["name"], r["vnfd"]["version"]
            )
        })
        .collect();
    (rows.join(" "), count)
}

/// SQLite (json_each in SQL) and PostgreSQL (jsonpath) give the same answers, in the same
/// order, with the same counts.
#[tokio::test]
async fn sqlite_and_postgres_agree() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    let postgres = TestApp::spawn(Backend::Postgres).await;
    for app in [&sqlite, &postgres] {
        for vnfd in rich_descriptors() {
            let response = app
                .post_json("/vnfs?username=carol", vnfd.to_string().as_bytes())
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    }
    let mut matched = 0;
    for query in COMPARED_QUERIES {
        let expected = answer(&postgres, query).await;
        assert_eq!(answer(&sqlite, query).await, expected, "{query}");
        matched += usize::from(!expected.0.is_empty());
    }
    assert!(
        matched > COMPARED_QUERIES.len() * 2 / 3,
        "most queries match something"
    );
}

async fn seed(app: &TestApp) {
    let vnfds = [
        json!({"vendor": "acme", "name": "a", "version": "0.1", "vdu": [{"vm_image": "img1", "resource_requirements": {"memory": {"size": 2}}}], "tags": ["x", "y"]}),
        json!({"vendor": "acme", "name": "a", "version": "0.2", "vdu": [{"vm_image": "img2", "resource_requirements": {"memory": {"size": 4}}}], "enabled": true}),
        json!({"vendor": "acme", "name": "b", "version": 0.9, "vdu": [{"vm_image": "img1", "resource_requirements": {"memory": {"size": 8}}}]}),
        json!({"vendor": "other", "name": "c", "version": "1.0"}),
    ];
    for vnfd in vnfds {
        let response = app
            .post_json("/vnfs?username=bob", vnfd.to_string().as_bytes())
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let response = app.get(&format!("/vnfs?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let list: Value = json(response).await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}{}",
                r["vnfd"]["name"].as_str().unwrap(),
                r["vnfd"]["version"]
            )
        })
        .collect()
}

async fn filters_operators_and_deep_keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seed(&app).await;
    let cases: &[(&str, &[&str])] = &[
        ("vendor=acme", &["a\"0.1\"", "a\"0.2\"", "b0.9"]),
        ("vendor=acme&name=a", &["a\"0.1\"", "a\"0.2\""]),
        ("version=0.9", &["b0.9"]),
        ("version.gt=0.1", &["a\"0.2\"", "b0.9", "c\"1.0\""]),
        ("version.gte=0.2&version.lt=1.0", &["a\"0.2\"", "b0.9"]),
        ("vendor.ne=acme", &["c\"1.0\""]),
        ("name.in=[a,c]", &["a\"0.1\"", "a\"0.2\"", "c\"1.0\""]),
        ("name.nin=(a,c)", &["b0.9"]),
        ("vdu.vm_image=img1", &["a\"0.1\"", "b0.9"]),
        ("vdu.0.vm_image=img2", &["a\"0.2\""]),
        ("tags=y", &["a\"0.1\""]),
        ("enabled=true", &["a\"0.2\""]),
        ("memory_size.gte=4", &["a\"0.2\"", "b0.9"]),
        ("memory_size=2", &["a\"0.1\""]),
        ("vdu", &["c\"1.0\""]),
        (
            "username=bob&status=active&pkg_ref=1",
            &["a\"0.1\"", "a\"0.2\"", "b0.9", "c\"1.0\""],
        ),
        ("no_such_field=1", &[]),
        // A value that tries to close the jsonpath string literal matches nothing.
        ("vdu.vm_image=img1%22%20%7C%7C%20%40%20!%3D%20%22", &[]),
        ("vdu.vm_image.in=[img1%5C%22,img2]", &["a\"0.2\""]),
        (
            "created_at.gt=2000-01-01T00:00:00Z&vendor=other",
            &["c\"1.0\""],
        ),
        ("version=last", &["c\"1.0\"", "b0.9", "a\"0.2\""]),
        (
            "version=last&vendor=acme&page_size=1&page_number=1",
            &["a\"0.2\""],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(names(&app, query).await, *expected, "{query}");
    }
    let count = json(app.get("/vnfs?count&vendor=acme").await).await;
    assert_eq!(count, json!({"count": "3"}));
}

async fn pagination_and_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seed(&app).await;
    let response = app.get("/vnfs?vendor=acme&page_size=2&page_number=1").await;
    assert_eq!(response.headers()["record-count"], "3");
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("vendor=acme&page_number=0&page_size=2>; rel=\"prev\""),
        "{link}"
    );
    assert!(!link.contains("rel=\"next\""), "{link}");
    let page: Value = json(response).await;
    assert_eq!(page.as_array().unwrap().len(), 1);

    let mut seen = Vec::new();
    for number in 0..4 {
        let page = json(
            app.get(&format!("/vnfs?page_size=1&page_number={number}"))
                .await,
        )
        .await;
        seen.extend(page.as_array().unwrap().iter().map(|r| r["uuid"].clone()));
    }
    let all = json(app.get("/vnfs").await).await;
    let all: Vec<Value> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].clone())
        .collect();
    assert_eq!(seen, all, "pages are stable-ordered");
    let beyond = json(app.get("/vnfs?page_size=10&page_number=5").await).await;
    assert_eq!(beyond, json!([]));
}

async fn bad_queries_are_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seed(&app).await;
    for query in [
        "version=1&version.gt=0",
        "a%22b=1",
        "vdu..x=1",
        "a%20b=1",
        "x%27)%7C%7Ctrue=1",
        "page_size=0",
        "page_size=x",
        "created_at.gt=yesterday",
    ] {
        let response = app.get(&format!("/vnfs?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = json(response).await;
        assert!(body["code"].is_string(), "{query}: {body}");
    }
    let mixed = app.get("/vnfs?version=1&version.gt=0").await;
    assert_error(mixed, StatusCode::BAD_REQUEST, "query-not-feasible").await;
}
