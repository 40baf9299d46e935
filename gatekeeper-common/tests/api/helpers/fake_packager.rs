//! A stand-in packager speaking the packager contract: it records what it receives and answers
//! as told, optionally calling the on-change URL it was given like the real packager.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use actix_multipart::Multipart;
use actix_web::{web, App, HttpResponse, HttpServer};
use futures_util::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

/// How the fake answers an upload.
#[derive(Debug, Clone)]
pub enum Mode {
    Accept,
    /// Accept, then POST the outcome to the given callback URL.
    AcceptAndCallBack {
        success: bool,
    },
    Reject {
        status: u16,
        code: &'static str,
    },
}

/// One upload as the fake saw it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub fields: BTreeMap<String, String>,
    pub file_name: Option<String>,
    pub sha256: String,
    pub len: usize,
}

#[derive(Default)]
struct Shared {
    mode: Option<Mode>,
    received: Vec<Received>,
}

pub struct FakePackager {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl FakePackager {
    pub async fn spawn(mode: Mode) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            mode: Some(mode),
            received: Vec::new(),
        }));
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/api/v1/packages", web::post().to(accept_upload))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind fake packager");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/api/v1/packages"),
            shared,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("lock").received.clone()
    }
}

async fn accept_upload(mut form: Multipart, shared: web::Data<Arc<Mutex<Shared>>>) -> HttpResponse {
    let mut received = Received::default();
    let mut hasher = Sha256::new();
    while let Some(Ok(mut field)) = form.next().await {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(Ok(chunk)) = field.next().await {
            if name == "package" {
                hasher.update(&chunk);
                received.len += chunk.len();
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        if name == "package" {
            received.file_name = file_name;
        } else {
            received
                .fields
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    received.sha256 = hex::encode(hasher.finalize());
    let mode = {
        let mut guard = shared.lock().expect("lock");
        guard.received.push(received.clone());
        guard.mode.clone()
    };
    let id = received
        .fields
        .get("package_process_uuid")
        .cloned()
        .unwrap_or_default();
    match mode {
        Some(Mode::Reject { status, code }) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
                .json(json!({"error": "rejected by the fake packager", "code": code}))
        }
        Some(Mode::AcceptAndCallBack { success }) => {
            let callback = received
                .fields
                .get("callback_url")
                .cloned()
                .unwrap_or_default();
            let event = super::event(&id, success);
            tokio::spawn(async move {
                let _ = reqwest::Client::new()
                    .post(callback)
                    .json(&event)
                    .send()
                    .await;
            });
            accepted(&id)
        }
        _ => accepted(&id),
    }
}

fn accepted(id: &str) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({"package_process_uuid": id, "status": "running", "error_msg": null}))
}
