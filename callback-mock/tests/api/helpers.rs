use callback_mock::{build, Config};
use serde_json::Value;

pub struct Mock {
    pub base: String,
    pub client: reqwest::Client,
}

pub async fn spawn() -> Mock {
    let app = build(Config::for_testing()).await.expect("build");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Mock {
        base,
        client: reqwest::Client::new(),
    }
}

impl Mock {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("post")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.client.get(self.url(path)).send().await.expect("get");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json body"))
    }
}
