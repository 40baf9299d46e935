//! Building the service: storage, blob store, HTTP server on both prefixes.

use std::net::TcpListener;

use actix_web::{dev::Server, web, App, HttpServer};
use chrono::{DateTime, Utc};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    blobstore::{open_store, SharedBlobStore},
    config::Config,
    error::{extractor_error, no_route},
    routes,
    storage::{connect, Repository},
    sweep::run_sweeper,
};

/// The canonical prefix, documented in the OpenAPI document.
pub const PREFIX: &str = "/api/catalogues/v2";
/// The prefix the packager and the gatekeeper of the reference use.
pub const ALT_PREFIX: &str = "/catalogues/api/v2";

/// What every handler shares.
pub struct AppState {
    pub repo: Repository,
    pub store: SharedBlobStore,
    pub config: Config,
    pub alive_since: DateTime<Utc>,
}

pub struct Application {
    port: u16,
    server: Server,
    sweeper: Option<AbortOnDrop>,
    count_folder: AbortOnDrop,
    upkeep: Option<AbortOnDrop>,
    field_indexer: Option<AbortOnDrop>,
}

/// The periodic blob sweep, stopped with the server (or when the application is dropped).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Application {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _sweeper = self.sweeper;
        let _count_folder = self.count_folder;
        let _upkeep = self.upkeep;
        let _field_indexer = self.field_indexer;
        self.server.await
    }
}

/// The OpenAPI document, collected from the handlers registered under `PREFIX`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_app, api) = App::new()
        .into_utoipa_app()
        .openapi(routes::api_doc())
        .service(utoipa_actix_web::scope(PREFIX).configure(routes::register))
        .split_for_parts();
    api
}

pub async fn build(config: Config) -> anyhow::Result<Application> {
    let repo = connect(
        &config.database_url,
        config.db_max_connections,
        config.field_index,
    )
    .await?;
    let store = open_store(&config.blob_store).await?;
    let listener = TcpListener::bind(config.bind)?;
    let port = listener.local_addr()?.port();
    let workers = config.workers;
    let sweeper = config.blob_sweep_interval.map(|interval| {
        AbortOnDrop(tokio::spawn(run_sweeper(
            repo.clone(),
            store.clone(),
            interval,
            config.blob_sweep_grace,
        )))
    });
    let count_folder = AbortOnDrop(tokio::spawn(crate::counts::run_count_folder(repo.clone())));
    let upkeep = config.pg_upkeep_interval.map(|interval| {
        AbortOnDrop(tokio::spawn(crate::counts::run_upkeep(
            repo.clone(),
            interval,
        )))
    });
    let field_indexer = config
        .field_index_interval
        .filter(|_| config.field_index)
        .map(|interval| {
            AbortOnDrop(tokio::spawn(crate::indexer::run_field_indexer(
                repo.clone(),
                interval,
                config.field_index_batch,
                crate::indexer::REQUEUE_EVERY,
            )))
        });
    let state = web::Data::new(AppState {
        repo,
        store,
        config,
        alive_since: Utc::now(),
    });
    let api = openapi_document();
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(
                crate::service_token::require,
            ))
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(web::QueryConfig::default().error_handler(extractor_error))
            .app_data(web::PathConfig::default().error_handler(extractor_error))
            .app_data(web::JsonConfig::default().error_handler(extractor_error))
            .service(
                SwaggerUi::new(format!("{PREFIX}/docs/{{_:.*}}"))
                    .url(format!("{PREFIX}/openapi.json"), api.clone()),
            )
            .service(web::scope(PREFIX).configure(routes::register_plain))
            .service(web::scope(ALT_PREFIX).configure(routes::register_plain))
            .configure(routes::register_root)
            .default_service(web::to(no_route))
    })
    .keep_alive(shared_models::keep_alive::SERVER_KEEP_ALIVE)
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(Application {
        port,
        server: server.run(),
        sweeper,
        count_folder,
        upkeep,
        field_indexer,
    })
}
