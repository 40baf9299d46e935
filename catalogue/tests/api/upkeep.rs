//! The table upkeep (ADR-25): on a PostgreSQL server without autovacuum the running
//! catalogue analyses and vacuums its own tables once they changed enough; on a server with
//! autovacuum it leaves them to the server. On SQLite the catalogue checkpoints the
//! write-ahead log itself (ADR-29), and the log does not grow under writes.

use std::time::Duration;

use reqwest::StatusCode;
use sqlx::{Connection, PgConnection};

use crate::helpers::{descriptor, on_backends, Backend, TestApp};

on_backends!([postgres => Postgres] upkeep_follows_autovacuums_rules);
on_backends!([sqlite => Sqlite] checkpoints_keep_the_sqlite_log_short);

/// The size of the SQLite log file. It never shrinks: it is as long as the most frames
/// written between two restarts of the log, which a complete checkpoint allows.
fn log_file_size(app: &TestApp) -> u64 {
    let db = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    std::fs::metadata(format!("{db}-wal")).map_or(0, |m| m.len())
}

async fn checkpoints_keep_the_sqlite_log_short(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut sizes = Vec::new();
    for round in 0..4 {
        for i in 0..300 {
            let body = descriptor("v", &format!("n{round}-{i}"), "1");
            let response = app.post_json("/vnfs", &body).await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        sizes.push(log_file_size(&app));
        // A whole fold interval after the last write: the catalogue's folder checkpointed.
        tokio::time::sleep(catalogue::counts::FOLD_INTERVAL * 2 + Duration::from_millis(100)).await;
    }
    // Commits do not checkpoint (wal_autocheckpoint=0); without the folder's checkpoints
    // the log would be four rounds long.
    assert!(sizes[0] > 0, "the log is in use");
    assert!(
        sizes[3] < 3 * sizes[0],
        "the log restarts after each checkpoint: sizes after each round {sizes:?}"
    );
}

/// When the catalogue itself last analysed `descriptors` and vacuumed `row_count_deltas`.
async fn manual_upkeep(conn: &mut PgConnection) -> (bool, bool) {
    sqlx::query_as(
        "SELECT \
           (SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'descriptors'), \
           (SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'row_count_deltas')",
    )
    .fetch_one(conn)
    .await
    .expect("read pg_stat_user_tables")
}

async fn upkeep_follows_autovacuums_rules(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.pg_upkeep_interval = Some(Duration::from_millis(300));
    })
    .await;
    let mut conn = PgConnection::connect(&app.database_url).await.unwrap();
    let autovacuum: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        manual_upkeep(&mut conn).await,
        (false, false),
        "a fresh database"
    );
    // 80 descriptors: more changes than the analyze threshold (50 + 10 % of the rows), and as
    // many count deltas folded away, so dead rows past the vacuum threshold (50 + 20 %).
    for i in 0..80 {
        let response = app
            .post_json(
                "/vnfs",
                &descriptor("eu.upkeep", &format!("vnf-{i}"), "1.0"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let mut seen = (false, false);
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen = manual_upkeep(&mut conn).await;
        if seen == (true, true) {
            break;
        }
    }
    if autovacuum == "off" {
        assert_eq!(
            seen,
            (true, true),
            "analysed descriptors, vacuumed row_count_deltas"
        );
    } else {
        assert_eq!(
            seen,
            (false, false),
            "autovacuum is on: the catalogue leaves it to the server"
        );
    }
}
