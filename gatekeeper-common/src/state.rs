//! What every handler can reach.

use std::time::Duration;

use chrono::{DateTime, Utc};
use shared_models::ServiceToken;

use crate::auth::JwtAuth;
use crate::db::processes::Notify;
use crate::db::Db;
use crate::upstream::catalogue::Catalogue;

/// Settings derived from the configuration once the port is known.
pub struct Settings {
    /// `GATEKEEPER_PUBLIC_URL` without a trailing slash.
    pub public_url: String,
    /// The on-change URL handed to the packager.
    pub callback_url: String,
    pub packager_url: String,
    /// Subscribers and the recommender, told about successes.
    pub notify: Notify,
    pub process_timeout: Duration,
    pub max_upload_bytes: u64,
    /// How long the packager may take to answer a completely sent upload.
    pub packager_answer_timeout: Duration,
    pub default_page_size: u32,
    pub auth: Option<JwtAuth>,
    /// `SONATA_SERVICE_TOKEN`, required on the on-change callback when set.
    pub service_token: Option<ServiceToken>,
    pub callback_allowlist: Vec<String>,
    /// How long a status request may wait for its process to finish, and how many may wait.
    pub status_max_wait: Duration,
    pub status_max_waiters: usize,
    /// How often a waiting status request reads its process again.
    pub status_reread_interval: Duration,
}

impl Settings {
    /// The public URL of a collection, e.g. `<public>/api/v3/packages`.
    pub fn public_collection(&self, collection: &str) -> String {
        format!("{}{}/{collection}", self.public_url, crate::API_PREFIX)
    }
}

pub struct AppState {
    pub db: Db,
    /// For calls to the packager: carries the service token when one is configured.
    pub internal_http: reqwest::Client,
    pub catalogue: Catalogue,
    pub settings: Settings,
    pub alive_since: DateTime<Utc>,
    /// Turns true when the application stops: waiting status requests answer then.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

pub type State = actix_web::web::Data<AppState>;
