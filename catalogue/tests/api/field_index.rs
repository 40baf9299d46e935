//! What keeps lists fast at scale (ADR-22) gives the same answers as the slow way: the field
//! index against the document evaluation, the kept counts against `count(*)`, the kept
//! `version=last` picks against the writes that change them, and a single field filter's
//! pages and `Record-Count` from the index alone (ADR-24) against the document evaluation.

use catalogue::{
    query::{
        parse::PageDefaults, parse_list_query, scan::FieldScan, sql::push_conditions, Condition,
        ListQuery, Listing, Mode, Page, Target,
    },
    storage::{Parked, Repository},
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared_models::DescriptorKind;
use sqlx::{Executor, QueryBuilder};
use uuid::Uuid;

use crate::{
    helpers::{json, on_both_backends, Backend, TestApp},
    queries::{rich_descriptors, COMPARED_QUERIES},
};

on_both_backends!(
    field_index_agrees_with_document_evaluation,
    counts_follow_writes_before_and_after_folding,
    owner_counts_follow_writes_status_changes_and_deletes,
    version_last_picks_follow_inserts_and_deletes,
    descriptors_written_before_the_index_are_indexed,
    the_indexer_drains_the_queue_and_deletes_leave_it,
    the_indexer_requeues_what_was_written_without_the_index,
    a_queued_descriptor_of_an_older_extraction_waits_for_its_requeue,
    a_descriptor_that_cannot_be_indexed_waits_and_the_others_go_on,
    paths_too_long_for_the_index_are_evaluated_on_the_documents,
    single_field_filters_page_and_count_like_the_documents,
    deep_pages_from_kept_positions_follow_writes
);

/// Queries on strings longer than the index keeps, and a few more shapes.
const MORE_QUERIES: &[&str] = &[
    "long=LONG",
    "long.gt=a",
    "long.lt=a",
    "long.ne=LONG",
    "vdu.resource_requirements.memory.size.in=(1,2)",
    "vdu.resource_requirements.memory.size.nin=(1,2)",
    "tags.in=(b,zz)",
    "ratio.gte=0.5",
    "storage_size.gt=1",
];

fn long_text() -> String {
    "é".repeat(200)
}

async fn seed(app: &TestApp) {
    let mut descriptors = rich_descriptors();
    descriptors.push(json!({"vendor": "v3", "name": "long", "version": "1", "long": long_text()}));
    descriptors.push(
        json!({"vendor": "v3", "name": "long", "version": "2", "long": [long_text(), "short"]}),
    );
    for vnfd in descriptors {
        let response = app.post_json("/vnfs", vnfd.to_string().as_bytes()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

fn conditions(query: &str) -> Vec<Condition> {
    let query = query.replace("LONG", &long_text());
    // The compared queries hold no percent escapes.
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let defaults = PageDefaults {
        size: 10,
        max_size: 1000,
    };
    parse_list_query(DescriptorKind::Vnfd, &pairs, &defaults)
        .unwrap_or_else(|e| panic!("{query}: {e:?}"))
        .conditions
}

/// The uuids of the VNFDs a condition selects, with the index (as lists run) or by
/// evaluating every document.
macro_rules! selected {
    ($db:ty, $pool:expr, $condition:expr, $indexed:expr, $order:expr) => {{
        let mut builder =
            QueryBuilder::<$db>::new("SELECT uuid FROM descriptors WHERE kind = 'vnfd' AND ");
        builder.push("true");
        let index = $indexed.then_some(DescriptorKind::Vnfd);
        push_conditions(&mut builder, std::slice::from_ref($condition), index);
        builder.push($order);
        let uuids: Vec<Uuid> = builder
            .build_query_scalar()
            .fetch_all($pool)
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", $condition));
        uuids
    }};
}

const BY_UUID: &str = " ORDER BY uuid";
const LIST_ORDER: &str = " ORDER BY created_at, uuid";

/// A service that keeps the field index, with its indexer stopped: the tests write the
/// queued rows themselves ([`index_queued`]), so they know which descriptors are indexed.
async fn indexing(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |config| {
        config.field_index = true;
        config.field_index_interval = None;
    })
    .await
}

/// A count the SQL reads.
async fn count_of(repo: &Repository, sql: &str) -> i64 {
    match repo {
        Repository::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Repository::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// How many descriptors wait for the field indexer.
async fn queued(repo: &Repository) -> i64 {
    count_of(repo, "SELECT count(*) FROM descriptor_fields_pending").await
}

/// How many field index rows there are.
async fn index_rows(repo: &Repository) -> i64 {
    count_of(repo, "SELECT count(*) FROM descriptor_fields").await
}

/// Indexes every queued descriptor, in batches of 7 (so batches meet their end); how many.
async fn index_queued(repo: &Repository) -> u64 {
    let mut done = 0;
    loop {
        match repo.index_pending(7, &mut Parked::default()).await.unwrap() {
            0 => break,
            n => done += n,
        }
    }
    assert_eq!(queued(repo).await, 0, "the queue is empty");
    done
}

async fn field_index_agrees_with_document_evaluation(backend: Backend) {
    let app = indexing(backend).await;
    seed(&app).await;
    let repo = app.repository().await;
    let total = rich_descriptors().len() as i64 + 2;
    assert_eq!(queued(&repo).await, total, "all queued");
    assert_index_agrees_with_documents(&repo, "queued").await;
    assert_eq!(index_queued(&repo).await, total as u64);
    assert!(index_rows(&repo).await > total, "rows were written");
    assert_index_agrees_with_documents(&repo, "indexed").await;
}

async fn assert_index_agrees_with_documents(repo: &Repository, when: &str) {
    let (mut compared, mut matched) = (0, 0);
    for query in COMPARED_QUERIES.iter().chain(MORE_QUERIES) {
        for condition in conditions(query) {
            if !matches!(condition.target, Target::Field(_) | Target::Deep(_)) {
                continue;
            }
            let (by_index, by_document) = match repo {
                Repository::Postgres(pool) => (
                    selected!(sqlx::Postgres, pool, &condition, true, BY_UUID),
                    selected!(sqlx::Postgres, pool, &condition, false, BY_UUID),
                ),
                Repository::Sqlite(pool) => (
                    selected!(sqlx::Sqlite, pool, &condition, true, BY_UUID),
                    selected!(sqlx::Sqlite, pool, &condition, false, BY_UUID),
                ),
            };
            assert_eq!(by_index, by_document, "{when}: {query}");
            compared += 1;
            matched += usize::from(!by_index.is_empty());
        }
    }
    assert!(compared >= 45, "compared only {compared} conditions");
    assert!(
        matched * 3 > compared * 2,
        "only {matched} of {compared} match anything"
    );
}

async fn record_count(app: &TestApp, query: &str) -> u64 {
    let response = app.get(&format!("/vnfs?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.headers()["record-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn create(app: &TestApp, vendor: &str, name: &str, version: &str) -> String {
    let body = json!({"vendor": vendor, "name": name, "version": version});
    let response = app.post_json("/vnfs", body.to_string().as_bytes()).await;
    assert!(response.status().is_success(), "{}", response.status());
    json(response).await["uuid"].as_str().unwrap().to_owned()
}

async fn counts_follow_writes_before_and_after_folding(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let repo = app.repository().await;
    let a = create(&app, "v", "a", "1").await;
    create(&app, "v", "b", "1").await;
    create(&app, "v", "a", "1").await; // reused: no new record
    assert_eq!(record_count(&app, "").await, 2);
    repo.fold_counts().await.unwrap();
    assert_eq!(record_count(&app, "").await, 2);
    create(&app, "v", "c", "1").await;
    assert_eq!(record_count(&app, "").await, 3);
    for _ in 0..2 {
        let response = app.delete(&format!("/vnfs/{a}")).await;
        assert!(response.status().is_success());
    }
    assert_eq!(record_count(&app, "").await, 2);
    assert_eq!(record_count(&app, "vendor=v").await, 2);
    repo.fold_counts().await.unwrap();
    assert_eq!(record_count(&app, "").await, 2);
    let count: Value = json(app.get("/vnfs?count").await).await;
    assert_eq!(count, json!({"count": "2"}));
    let response = app.upload("/files", "f.bin", b"bytes".to_vec()).await;
    assert!(response.status().is_success());
    let files = app.get("/files").await;
    assert_eq!(files.headers()["record-count"], "1");
}

/// `status=` / `username=` lists: the kept counts (ADR-28) agree with the records listed.
async fn assert_owner_counts(app: &TestApp, expected: &[(&str, u64)], when: &str) {
    for (query, count) in expected {
        let response = app.get(&format!("/vnfs?{query}&page_size=100")).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let header: u64 = response.headers()["record-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let listed = json(response).await.as_array().unwrap().len() as u64;
        assert_eq!((header, listed), (*count, *count), "{query} ({when})");
        let counted = json(app.get(&format!("/vnfs?count&{query}")).await).await;
        assert_eq!(
            counted,
            json!({"count": count.to_string()}),
            "{query} ({when})"
        );
    }
}

async fn create_owned(app: &TestApp, name: &str, username: Option<&str>) -> String {
    let body = json!({"vendor": "v", "name": name, "version": "1"});
    let path = username.map_or("/vnfs".to_owned(), |u| format!("/vnfs?username={u}"));
    let response = app.post_json(&path, body.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await["uuid"].as_str().unwrap().to_owned()
}

/// Folds until no owner count delta is pending (the service's own folder may hold the
/// fold's turn on PostgreSQL, and then this round does nothing).
async fn fold_owner_deltas(repo: &Repository) {
    for _ in 0..100 {
        repo.fold_counts().await.unwrap();
        let sql = "SELECT count(*) FROM owner_count_deltas";
        let pending: i64 = match repo {
            Repository::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Repository::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the owner count deltas were not folded");
}

async fn owner_counts_follow_writes_status_changes_and_deletes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let repo = app.repository().await;
    let ann = create_owned(&app, "a", Some("ann")).await;
    create_owned(&app, "b", Some("ann")).await;
    let bob = create_owned(&app, "c", Some("bob")).await;
    create_owned(&app, "d", None).await;
    let before = [
        ("status=active", 4),
        ("username=ann", 2),
        ("status=active&username=ann", 2),
        ("username=bob&status=active", 1),
        ("username=", 1), // no username: counted from the records
        ("username=nobody", 0),
        ("status=inactive", 0),
    ];
    assert_owner_counts(&app, &before, "written").await;
    fold_owner_deltas(&repo).await;
    assert_owner_counts(&app, &before, "folded").await;

    let response = app.put(&format!("/vnfs/{ann}?status=inactive")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.delete(&format!("/vnfs/{bob}")).await;
    assert!(response.status().is_success());
    let after = [
        ("status=active", 2),
        ("status=inactive", 1),
        ("username=ann", 2),
        ("status=active&username=ann", 1),
        ("status=inactive&username=ann", 1),
        ("username=bob", 0),
    ];
    assert_owner_counts(&app, &after, "changed").await;
    fold_owner_deltas(&repo).await;
    assert_owner_counts(&app, &after, "changed and folded").await;
}

async fn versions_last(app: &TestApp, query: &str) -> Vec<String> {
    let list: Value = json(app.get(&format!("/vnfs?version=last{query}")).await).await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}/{}", r["vnfd"]["name"], r["vnfd"]["version"]).replace('"', ""))
        .collect()
}

async fn version_last_picks_follow_inserts_and_deletes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let old = create(&app, "v", "a", "0.9").await;
    create(&app, "v", "a", "0.10").await;
    create(&app, "v", "b", "1.0").await;
    create(&app, "w", "b", "0.1").await;
    // Code point order: "1.0" > "0.9" > "0.10" > "0.1"; names then vendors break ties.
    assert_eq!(versions_last(&app, "").await, ["b/1.0", "a/0.9", "b/0.1"]);
    assert_eq!(versions_last(&app, "&vendor=v").await, ["b/1.0", "a/0.9"]);
    assert_eq!(versions_last(&app, "&name=b&vendor=w").await, ["b/0.1"]);
    let response = app.delete(&format!("/vnfs/{old}")).await;
    assert!(response.status().is_success());
    assert_eq!(versions_last(&app, "").await, ["b/1.0", "a/0.10", "b/0.1"]);
    create(&app, "v", "a", "0.99").await;
    assert_eq!(
        versions_last(&app, "&page_size=2&page_number=1").await,
        ["b/0.1"]
    );
    assert_eq!(versions_last(&app, "&vendor=v").await, ["b/1.0", "a/0.99"]);
    // The groups are counted (kept counts, before and after folding).
    assert_eq!(record_count(&app, "version=last").await, 3);
    assert_eq!(record_count(&app, "version=last&vendor=v").await, 2);
    create(&app, "x", "c", "1").await;
    assert_eq!(record_count(&app, "version=last").await, 4);
    app.repository().await.fold_counts().await.unwrap();
    assert_eq!(record_count(&app, "version=last").await, 4);
}

async fn descriptors_written_before_the_index_are_indexed(backend: Backend) {
    let app = indexing(backend).await;
    seed(&app).await;
    let repo = app.repository().await;
    let total = rich_descriptors().len() as u64 + 2;
    assert_eq!(index_queued(&repo).await, total);
    let rows = index_rows(&repo).await;
    assert!(rows > 0);
    execute(&repo, "UPDATE descriptors SET fields_version = 0").await;
    assert_eq!(repo.queue_unindexed().await.unwrap(), total);
    assert_eq!(index_rows(&repo).await, 0, "the old rows were dropped");
    assert_eq!(
        record_count(&app, "vdu.id=a").await,
        2,
        "queued: from the documents"
    );
    assert_eq!(index_queued(&repo).await, total);
    assert_eq!(index_rows(&repo).await, rows, "each row written once");
    assert_eq!(
        record_count(&app, "vdu.id=a").await,
        2,
        "indexed: from the index"
    );
    assert_eq!(repo.queue_unindexed().await.unwrap(), 0);
    assert_eq!(
        repo.index_pending(100, &mut Parked::default())
            .await
            .unwrap(),
        0
    );
}

/// A queued descriptor whose `fields_version` is not the service's (stamped by a catalogue of
/// another extraction) is left to that catalogue, or to the requeue, which drops its rows.
async fn a_queued_descriptor_of_an_older_extraction_waits_for_its_requeue(backend: Backend) {
    let app = indexing(backend).await;
    let repo = app.repository().await;
    create(&app, "o", "old", "1").await;
    execute(&repo, "UPDATE descriptors SET fields_version = 1").await;
    assert_eq!(
        repo.index_pending(100, &mut Parked::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(queued(&repo).await, 1, "not this extraction's to index");
    assert_eq!(record_count(&app, "vendor=o&name=old").await, 1);
    assert_eq!(repo.queue_unindexed().await.unwrap(), 1, "stamped again");
    assert_eq!(index_queued(&repo).await, 1);
    assert_eq!(index_rows(&repo).await, 3, "vendor, name and version");
}

/// Runs SQL statements on the service's database.
async fn execute(repo: &Repository, sql: &str) {
    match repo {
        Repository::Postgres(pool) => pool.execute(sql).await.map(|_| ()),
        Repository::Sqlite(pool) => pool.execute(sql).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A descriptor whose index rows cannot be written (a trigger refuses them) is parked: the
/// others are indexed, its filters still find it, and it is indexed once it can be.
async fn a_descriptor_that_cannot_be_indexed_waits_and_the_others_go_on(backend: Backend) {
    let app = indexing(backend).await;
    let repo = app.repository().await;
    let (refuse, allow) = match &repo {
        Repository::Sqlite(_) => (
            "CREATE TRIGGER refuse BEFORE INSERT ON descriptor_fields WHEN NEW.path = 'bad' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
            "DROP TRIGGER refuse",
        ),
        Repository::Postgres(_) => (
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.path = 'bad' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON descriptor_fields \
             FOR EACH ROW EXECUTE FUNCTION refuse()",
            "DROP TRIGGER refuse ON descriptor_fields",
        ),
    };
    execute(&repo, refuse).await;
    for i in 0..4 {
        create(&app, "p", &format!("good{i}"), "1").await;
    }
    let body = json!({"vendor": "p", "name": "bad", "version": "1", "bad": 1});
    let response = app.post_json("/vnfs", body.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let mut parked = Parked::default();
    assert_eq!(repo.index_pending(100, &mut parked).await.unwrap(), 4);
    assert_eq!(parked.len(), 1);
    assert_eq!(queued(&repo).await, 1, "the bad one waits");
    assert_eq!(repo.index_pending(100, &mut parked).await.unwrap(), 0);
    assert_eq!(
        record_count(&app, "bad=1").await,
        1,
        "found from its document"
    );
    assert_eq!(record_count(&app, "vendor=p").await, 5);

    execute(&repo, allow).await;
    assert_eq!(
        repo.index_pending(100, &mut parked).await.unwrap(),
        0,
        "still parked"
    );
    assert_eq!(
        repo.index_pending(100, &mut Parked::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(queued(&repo).await, 0);
    assert_eq!(record_count(&app, "bad=1").await, 1, "found from the index");
}

/// A path longer than the index keeps (query/fields.rs PATH_LIMIT) gets no rows, so its
/// descriptor is indexed on both backends (PostgreSQL refuses an index row over about 2.7 kB,
/// and random keys do not compress), and a filter on it reads the document.
async fn paths_too_long_for_the_index_are_evaluated_on_the_documents(backend: Backend) {
    let app = indexing(backend).await;
    let repo = app.repository().await;
    let keys: Vec<String> = (0..24)
        .map(|_| {
            format!(
                "{}{}{}{}",
                Uuid::new_v4().simple(),
                Uuid::new_v4().simple(),
                Uuid::new_v4().simple(),
                Uuid::new_v4().simple()
            )
        })
        .collect();
    let mut deep = json!({"end": 7});
    for key in keys.iter().rev() {
        deep = json!({ key.clone(): deep });
    }
    let body = json!({"vendor": "p", "name": "deep", "version": "1", "deep": deep});
    let response = app.post_json("/vnfs", body.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(index_queued(&repo).await, 1);
    let path = format!("deep.{}.end", keys.join("."));
    assert_eq!(record_count(&app, &format!("{path}=7")).await, 1);
    assert_eq!(record_count(&app, &format!("{path}.gt=6")).await, 1);
    assert_eq!(record_count(&app, &format!("{path}=8")).await, 0);
}

/// The background indexer empties the queue; a descriptor deleted while queued leaves it.
async fn the_indexer_drains_the_queue_and_deletes_leave_it(backend: Backend) {
    let app = indexing(backend).await;
    let repo = app.repository().await;
    let doomed = create(&app, "q", "doomed", "1").await;
    assert_eq!(queued(&repo).await, 1);
    assert_eq!(waiting(&app).await, 1, "GET /field-index tells the backlog");
    let response = app.delete(&format!("/vnfs/{doomed}")).await;
    assert!(response.status().is_success());
    assert_eq!(queued(&repo).await, 0, "the delete removed its queue row");
    assert_eq!(waiting(&app).await, 0);
    drop(app);

    let app = TestApp::spawn_with(backend, |config| {
        config.field_index = true;
        config.field_index_interval = Some(std::time::Duration::from_millis(20));
        config.field_index_batch = 3;
    })
    .await;
    let repo = app.repository().await;
    for i in 0..10 {
        create(&app, "q", &format!("n{i}"), "1").await;
    }
    for _ in 0..500 {
        if waiting(&app).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(queued(&repo).await, 0, "the indexer emptied the queue");
    let sql = "SELECT count(*) FROM descriptor_fields WHERE path = 'vendor'";
    let vnfds = count_of(&repo, sql).await;
    assert_eq!(
        vnfds, 10,
        "the indexer wrote the rows of every descriptor, once"
    );
}

/// A descriptor written by a catalogue with the index off, beside a running one (no queue row,
/// `fields_version` 0), is queued by the running indexer's periodic requeue and indexed.
async fn the_indexer_requeues_what_was_written_without_the_index(backend: Backend) {
    let app = indexing(backend).await;
    let repo = app.repository().await;
    create(&app, "r", "unindexed", "1").await;
    execute(&repo, "UPDATE descriptors SET fields_version = 0").await;
    execute(&repo, "DELETE FROM descriptor_fields_pending").await;
    execute(&repo, "DELETE FROM descriptor_fields").await;
    assert_eq!(
        waiting(&app).await,
        0,
        "nothing queued: only the requeue can find it"
    );
    let indexer = tokio::spawn(catalogue::indexer::run_field_indexer(
        repo.clone(),
        std::time::Duration::from_millis(20),
        10,
        std::time::Duration::from_millis(300),
    ));
    let sql = "SELECT count(*) FROM descriptor_fields WHERE path = 'vendor'";
    for _ in 0..250 {
        if count_of(&repo, sql).await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    indexer.abort();
    assert_eq!(count_of(&repo, sql).await, 1, "requeued and indexed once");
    assert_eq!(queued(&repo).await, 0);
}

/// The `waiting` of `GET /field-index`.
async fn waiting(app: &TestApp) -> u64 {
    let state = json(app.get("/field-index").await).await;
    assert_eq!(state["enabled"], true, "{state}");
    state["waiting"]
        .as_u64()
        .unwrap_or_else(|| panic!("no waiting: {state}"))
}

/// Descriptors with one and with several values at the same paths (numbers, strings, both),
/// so that index rows of descriptors with one row at a path (`sole`) and with several meet.
async fn seed_many(app: &TestApp) {
    for i in 0..40_u32 {
        let vcpus = if i % 3 == 0 {
            json!([1 + i % 4, 1 + (i + 1) % 4])
        } else if i % 7 == 0 {
            json!([(1 + i % 4).to_string(), 1 + i % 4])
        } else {
            json!(1 + i % 4)
        };
        let vnfd = json!({"vendor": "many", "name": format!("m{i}"), "version": "1",
            "vdu": [{"id": format!("x{}", i % 5), "resource_requirements": {"cpu": {"vcpus": vcpus},
            "memory": {"size": i % 6}}}], "flag": i % 2 == 0});
        let response = app.post_json("/vnfs", vnfd.to_string().as_bytes()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

/// Single field filters whose count and page the index answers alone, some matching most
/// records, some a few, some several values per descriptor.
const SINGLE_FILTERS: &[&str] = &[
    "vdu.resource_requirements.cpu.vcpus.gt=2",
    "vdu.resource_requirements.cpu.vcpus.gte=1",
    "vdu.resource_requirements.cpu.vcpus.lt=2",
    "vdu.resource_requirements.cpu.vcpus=3",
    "vdu.resource_requirements.cpu.vcpus.in=(1,4,4.0)",
    "vdu.id=x2",
    "vdu.id.in=(x1,x3,a)",
    "vdu.id.lte=x1",
    "memory_size.gte=3",
    "memory_size=0",
    "flag=true",
    "flag.in=(false,true)",
    "vendor.gt=m",
];

async fn list_uuids(
    repo: &Repository,
    condition: &Condition,
    scan: FieldScan,
    size: u64,
) -> (Vec<Uuid>, u64) {
    let mut query = ListQuery {
        conditions: vec![condition.clone()],
        field_index: true,
        field_scan: scan,
        mode: Mode::List,
        page: Page { number: 0, size },
    };
    let (mut uuids, mut totals) = (Vec::new(), Vec::new());
    loop {
        let Listing::Items { items, total } = repo
            .list_descriptors(DescriptorKind::Vnfd, &query)
            .await
            .unwrap()
        else {
            panic!("a list answers items");
        };
        totals.push(total);
        if items.is_empty() {
            break;
        }
        uuids.extend(items.iter().map(|r| r.uuid));
        query.page.number += 1;
    }
    assert!(totals.windows(2).all(|w| w[0] == w[1]), "{totals:?}");
    query.mode = Mode::Count;
    let Listing::Count(count) = repo
        .list_descriptors(DescriptorKind::Vnfd, &query)
        .await
        .unwrap()
    else {
        panic!("a count answers a count");
    };
    assert_eq!(count, totals[0], "count and Record-Count");
    (uuids, totals[0])
}

async fn single_field_filters_page_and_count_like_the_documents(backend: Backend) {
    let app = indexing(backend).await;
    seed(&app).await;
    let repo = app.repository().await;
    index_queued(&repo).await;
    seed_many(&app).await;
    assert_eq!(queued(&repo).await, 40, "some indexed, some queued");
    assert_single_filters_like_documents(&repo, "mixed").await;
    index_queued(&repo).await;
    assert_single_filters_like_documents(&repo, "indexed").await;
}

async fn assert_single_filters_like_documents(repo: &Repository, when: &str) {
    let mut compared = 0;
    let queries = SINGLE_FILTERS
        .iter()
        .chain(COMPARED_QUERIES)
        .chain(MORE_QUERIES);
    for query in queries {
        let [condition] = &conditions(query)[..] else {
            continue;
        };
        if !matches!(condition.target, Target::Field(_) | Target::Deep(_)) {
            continue;
        }
        let expected = match repo {
            Repository::Postgres(pool) => {
                selected!(sqlx::Postgres, pool, condition, false, LIST_ORDER)
            }
            Repository::Sqlite(pool) => selected!(sqlx::Sqlite, pool, condition, false, LIST_ORDER),
        };
        for scan in [FieldScan::Auto, FieldScan::Matches, FieldScan::ListOrder] {
            for size in [1, 3, 100] {
                let (uuids, total) = list_uuids(repo, condition, scan, size).await;
                assert_eq!(uuids, expected, "{when}: {query} {scan:?} page size {size}");
                assert_eq!(total, expected.len() as u64, "{when}: {query} {scan:?}");
            }
        }
        compared += 1;
    }
    assert!(compared >= 40, "compared only {compared} filters");
}

/// Every page of the unfiltered VNFD list, at several sizes, is the list order's slice.
async fn assert_unfiltered_pages(repo: &Repository, when: &str) {
    let sql = "SELECT uuid FROM descriptors WHERE kind = 'vnfd' ORDER BY created_at, uuid";
    let expected: Vec<Uuid> = match repo {
        Repository::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        Repository::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
    }
    .unwrap();
    for size in [1, 3, 4, 7] {
        let mut query = ListQuery {
            conditions: Vec::new(),
            field_index: false,
            field_scan: FieldScan::Auto,
            mode: Mode::List,
            page: Page { number: 0, size },
        };
        let mut uuids = Vec::new();
        loop {
            let Listing::Items { items, total } = repo
                .list_descriptors(DescriptorKind::Vnfd, &query)
                .await
                .unwrap()
            else {
                panic!("a list answers items");
            };
            assert_eq!(total, expected.len() as u64, "{when}: Record-Count");
            if items.is_empty() {
                break;
            }
            uuids.extend(items.iter().map(|r| r.uuid));
            query.page.number += 1;
        }
        assert_eq!(uuids, expected, "{when}: pages of {size}");
    }
}

async fn anchors(repo: &Repository) -> i64 {
    count_of(repo, "SELECT count(*) FROM list_anchors").await
}

async fn deep_pages_from_kept_positions_follow_writes(backend: Backend) {
    // Anchors every 4 records (process-wide; nextest runs each test in its own process).
    catalogue::storage::positions::set_anchor_gap(4);
    let app = TestApp::spawn(backend).await;
    let repo = app.repository().await;
    let mut uuids = Vec::new();
    for i in 0..30 {
        uuids.push(create(&app, "p", &format!("n{i}"), "1").await);
    }
    assert_unfiltered_pages(&repo, "before any fold").await;
    repo.fold_counts().await.unwrap();
    assert!(anchors(&repo).await >= 5, "anchors were built");
    assert_unfiltered_pages(&repo, "folded").await;
    // Deletes before the anchors and new records, not folded yet, then folded.
    for uuid in uuids.iter().take(7).step_by(2) {
        let response = app.delete(&format!("/vnfs/{uuid}")).await;
        assert!(response.status().is_success());
    }
    for i in 30..40 {
        create(&app, "p", &format!("n{i}"), "1").await;
    }
    assert_unfiltered_pages(&repo, "deltas pending").await;
    repo.fold_counts().await.unwrap();
    assert_unfiltered_pages(&repo, "deltas folded").await;
    // The kind grows past its last anchor: anchors are appended.
    let before = anchors(&repo).await;
    for i in 40..70 {
        create(&app, "p", &format!("n{i}"), "1").await;
    }
    repo.fold_counts().await.unwrap();
    assert!(anchors(&repo).await > before, "anchors were appended");
    assert_unfiltered_pages(&repo, "appended").await;
    // Many deletes make the gaps uneven: rebuilt.
    for uuid in uuids.iter().skip(8).take(12) {
        let response = app.delete(&format!("/vnfs/{uuid}")).await;
        assert!(response.status().is_success());
    }
    assert_unfiltered_pages(&repo, "many deletes pending").await;
    repo.fold_counts().await.unwrap();
    assert_unfiltered_pages(&repo, "rebuilt").await;
}
