use std::time::Duration;

use serde_json::json;

use crate::helpers::spawn;

#[tokio::test]
async fn stores_callbacks_and_lists_them_with_headers_and_body() {
    let mock = spawn().await;
    let res = mock
        .client
        .post(mock.url("/api/v1/packages/on-change"))
        .header("X-Delivery-Id", "d-1")
        .json(&json!({"event_name": "onPackageChangeEvent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    mock.post_json("/callbacks/client/a", &json!({"n": 2}))
        .await;

    let (status, all) = mock.get_json("/api/v1/received").await;
    assert_eq!(status, 200);
    assert_eq!(all["count"], 2);
    assert_eq!(all["callbacks"][0]["delivery_id"], "d-1");
    assert_eq!(
        all["callbacks"][0]["body"]["event_name"],
        "onPackageChangeEvent"
    );
    assert_eq!(all["callbacks"][0]["headers"]["x-delivery-id"], "d-1");
    assert_eq!(all["callbacks"][1]["path"], "/callbacks/client/a");

    let (_, one) = mock
        .get_json("/api/v1/received?path=/callbacks/client/a")
        .await;
    assert_eq!(one["count"], 1);
    assert_eq!(one["callbacks"][0]["body"]["n"], 2);
    let (_, by_id) = mock.get_json("/api/v1/received?delivery_id=d-1").await;
    assert_eq!(by_id["count"], 1);
}

#[tokio::test]
async fn wait_returns_the_next_callback_when_it_arrives() {
    let mock = spawn().await;
    mock.post_json("/callbacks/old", &json!({"old": true}))
        .await;
    let waiter = {
        let url = mock.url("/api/v1/received/wait?timeout_ms=5000");
        tokio::spawn(async move { reqwest::get(url).await.unwrap() })
    };
    // The waiter must not see the callback stored before it started: post after it is waiting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    mock.post_json("/callbacks/new", &json!({"new": true}))
        .await;
    let res = waiter.await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["count"], 1);
    assert_eq!(body["callbacks"][0]["path"], "/callbacks/new");
}

#[tokio::test]
async fn wait_for_a_count_and_time_out_with_json_408() {
    let mock = spawn().await;
    for i in 0..3 {
        mock.post_json("/callbacks/x", &json!({"i": i})).await;
    }
    let (status, body) = mock
        .get_json("/api/v1/received/wait?count=3&path=/callbacks/x")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 3);

    let (status, body) = mock
        .get_json("/api/v1/received/wait?count=4&path=/callbacks/x&timeout_ms=100")
        .await;
    assert_eq!(status, 408);
    assert_eq!(body["code"], "wait-timeout");
}

#[tokio::test]
async fn delete_clears_the_list_and_storage_is_bounded() {
    let app = callback_mock::build(callback_mock::Config {
        max_stored: 2,
        ..callback_mock::Config::for_testing()
    })
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    for i in 0..3 {
        client
            .post(format!("{base}/callbacks/b"))
            .json(&json!({"i": i}))
            .send()
            .await
            .unwrap();
    }
    let list = list_all(&client, &base).await;
    assert_eq!(list["count"], 2);
    assert_eq!(list["callbacks"][0]["body"]["i"], 1);
    assert_eq!(list["totals"]["accepted"], 3);

    let res = client
        .delete(format!("{base}/api/v1/received"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let list = list_all(&client, &base).await;
    assert_eq!(list["count"], 0);
}

async fn list_all(client: &reqwest::Client, base: &str) -> serde_json::Value {
    client
        .get(format!("{base}/api/v1/received"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list json")
}
