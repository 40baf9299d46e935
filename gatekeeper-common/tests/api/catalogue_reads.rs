use serde_json::Value;

use crate::both_backends;
use crate::helpers::catalogue::TestCatalogue;
use crate::helpers::{config, Backend, TestApp, TestDb};

async fn spawn_with_catalogue(db: &TestDb) -> (TestCatalogue, TestApp) {
    let catalogue = TestCatalogue::spawn().await;
    let mut cfg = config(db);
    cfg.catalogue_url = catalogue.url.clone();
    cfg.public_url = Some("http://gk.example".to_owned());
    (catalogue, TestApp::spawn(cfg).await)
}

async fn lists_paginate_with_record_count_and_rewritten_links(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (catalogue, app) = spawn_with_catalogue(&db).await;
    for name in ["pa", "pb", "pc"] {
        catalogue.seed_package(name).await;
    }
    let res = app.get("/packages?page_size=2&page_number=0").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["record-count"], "3");
    let link = res.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("<http://gk.example/api/v3/packages?"),
        "{link}"
    );
    assert!(!link.contains("catalogues"), "{link}");
    let page: Vec<Value> = res.json().await.unwrap();
    assert_eq!(page.len(), 2);
    let (_, all) = app.get_json("/packages").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let (_, filtered) = app.get_json("/packages?name=pb").await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["pd"]["name"], "pb");

    let (status, services) = app.get_json("/services").await;
    assert_eq!(status, 200);
    let first = &services[0];
    assert_eq!(first["platform"], "5gtango");
    assert!(first["nsd"]["name"].is_string());
    let (status, one) = app
        .get_json(&format!("/services/{}", first["uuid"].as_str().unwrap()))
        .await;
    assert_eq!((status, &one["uuid"]), (200, &first["uuid"]));
    let (status, functions) = app.get_json("/functions").await;
    assert_eq!(status, 200);
    let vnf = functions[0]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(app.get_json(&format!("/functions/{vnf}")).await.0, 200);
    let missing = uuid::Uuid::new_v4();
    let (status, body) = app.get_json(&format!("/services/{missing}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("service-not-found"))
    );
}

async fn get_download_and_delete_a_package(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (catalogue, app) = spawn_with_catalogue(&db).await;
    let seeded = catalogue.seed_package("dl").await;
    let (status, record) = app.get_json(&format!("/packages/{}", seeded.uuid)).await;
    assert_eq!(status, 200);
    assert_eq!(record["pd"]["name"], "dl");

    let res = app
        .get(&format!("/packages/{}/package-file", seeded.uuid))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert_eq!(
        res.headers()["content-length"],
        seeded.tgo.len().to_string().as_str()
    );
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("dl.tgo"));
    assert!(res.headers().contains_key("etag"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), seeded.tgo.as_slice());

    let res = app
        .get(&format!(
            "/packages/{}/files/{}",
            seeded.uuid, seeded.file_uuid
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("nsd.yml"));
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        seeded.file_bytes.as_slice()
    );
    let other = uuid::Uuid::new_v4();
    let (status, body) = app
        .get_json(&format!("/packages/{}/files/{other}", seeded.uuid))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("file-not-found"))
    );

    let res = app
        .client
        .delete(app.url(&format!("/packages/{}", seeded.uuid)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, body) = app.get_json(&format!("/packages/{}", seeded.uuid)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("package-not-found"))
    );
    let res = app
        .client
        .delete(app.url(&format!("/packages/{}", seeded.uuid)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
}

both_backends!(
    lists_paginate_with_record_count_and_rewritten_links,
    get_download_and_delete_a_package
);
