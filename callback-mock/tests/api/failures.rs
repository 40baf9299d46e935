use serde_json::json;

use crate::helpers::spawn;

#[tokio::test]
async fn the_next_n_callbacks_fail_then_they_succeed() {
    let mock = spawn().await;
    let res = mock
        .client
        .put(mock.url("/api/v1/failures"))
        .json(&json!({"status": 503, "count": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = mock.post_json("/callbacks/r", &json!({})).await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [503, 503, 200]);

    let (_, accepted) = mock.get_json("/api/v1/received").await;
    assert_eq!(accepted["count"], 1);
    let (_, all) = mock
        .get_json("/api/v1/received?include_rejected=true")
        .await;
    assert_eq!(all["count"], 3);
    assert_eq!(all["totals"]["rejected"], 2);
}

#[tokio::test]
async fn failing_for_a_duration_and_clearing_the_plan() {
    let mock = spawn().await;
    mock.client
        .put(mock.url("/api/v1/failures"))
        .json(&json!({"duration_ms": 60000}))
        .send()
        .await
        .unwrap();
    let res = mock
        .post_json("/api/v1/packages/on-change", &json!({}))
        .await;
    assert_eq!(res.status(), 500);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "injected-failure");

    let (_, plan) = mock.get_json("/api/v1/failures").await;
    assert_eq!(plan["status"], 500);

    let res = mock
        .client
        .delete(mock.url("/api/v1/failures"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = mock
        .post_json("/api/v1/packages/on-change", &json!({}))
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_bad_failure_plan_is_a_json_400() {
    let mock = spawn().await;
    for body in [json!({"status": 200, "count": 1}), json!({"status": 500})] {
        let res = mock
            .client
            .put(mock.url("/api/v1/failures"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
    }
    let res = mock
        .client
        .put(mock.url("/api/v1/failures"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "bad-request");
}
