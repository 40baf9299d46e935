//! The app factory: `build(config)` binds the listener (port 0 in tests) and starts the workers.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{dev::Server, http::StatusCode, web, App, HttpResponse, HttpServer};
use anyhow::Context;
use shared_models::{ErrorBody, ServiceToken};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use super::{
    catalogue_client::CatalogueClient,
    config::Config,
    registry::Registry,
    routes::{self, AppState},
    service_token,
    spool::SpoolDir,
    worker::{start_pool, WorkerContext},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "packager",
        description = "Asynchronous unpacking, validation and storing of 5GTANGO packages"
    ),
    components(schemas(
        ErrorBody,
        shared_models::ProcessAccepted,
        shared_models::OnChangeEvent,
        routes::ProcessList
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document: `ApiDoc` plus every path registered by [`routes::register`].
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::register)
        .split_for_parts()
        .1
}

/// A built, bound, not yet running service.
pub struct Application {
    port: u16,
    server: Server,
    /// This packager's folder in `PACKAGER_TEMP_DIR`, removed when the server has stopped.
    _spool: SpoolDir,
}

impl Application {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn json_error(code: &str, message: String, status: StatusCode) -> actix_web::Error {
    actix_web::error::InternalError::from_response(
        message.clone(),
        HttpResponse::build(status).json(ErrorBody::new(code, message)),
    )
    .into()
}

/// Bind, start the worker pool and the pruner, and return the server.
pub async fn build(mut config: Config) -> anyhow::Result<Application> {
    let spool = SpoolDir::claim(&config.temp_dir).with_context(|| {
        format!(
            "claiming a folder in PACKAGER_TEMP_DIR {}",
            config.temp_dir.display()
        )
    })?;
    config.temp_dir = spool.path().to_path_buf();
    let listener = TcpListener::bind(config.bind)?;
    let port = listener.local_addr()?.port();
    // Catalogue calls and callbacks carry the service token (a trusted cluster network).
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(shared_models::keep_alive::CLIENT_IDLE)
        .default_headers(ServiceToken::outgoing_headers(
            config.service_token.as_ref(),
        )?)
        .build()?;
    let registry = Registry::default();
    let catalogue = CatalogueClient::new(
        http.clone(),
        &config.catalogue_url,
        config.catalogue_attempts,
    );
    let shared = Arc::new(config.clone());
    let queue = start_pool(&WorkerContext {
        config: shared.clone(),
        registry: registry.clone(),
        catalogue,
        http,
    });
    spawn_pruner(registry.clone(), config.status_ttl);
    let state = web::Data::new(AppState {
        spool_files: super::spool_files::SpoolFiles::new(&config.temp_dir),
        config,
        registry,
        queue,
        started: chrono::Utc::now(),
    });
    let openapi = openapi_document();
    let known = web::Data::new(routes::KnownPaths::of(&openapi));
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(service_token::require))
            .app_data(known.clone())
            .wrap(tracing_actix_web::TracingLogger::default())
            .app_data(state.clone())
            .app_data(web::PathConfig::default().error_handler(|e, _| {
                json_error("bad-path", e.to_string(), StatusCode::BAD_REQUEST)
            }))
            // Ahead of the /api/v1 scope, which would otherwise take these paths.
            .service(
                SwaggerUi::new("/api/v1/docs/{_:.*}").url("/api/v1/openapi.json", openapi.clone()),
            )
            .into_utoipa_app()
            .configure(routes::register)
            .into_app()
            .default_service(web::to(routes::not_found))
    })
    .keep_alive(shared_models::keep_alive::SERVER_KEEP_ALIVE)
    .listen(listener)?
    .run();
    Ok(Application {
        port,
        server,
        _spool: spool,
    })
}

fn spawn_pruner(registry: Registry, ttl: Duration) {
    tokio::spawn(async move {
        let mut tick =
            tokio::time::interval(ttl.min(Duration::from_secs(60)).max(Duration::from_secs(1)));
        loop {
            tick.tick().await;
            let pruned = registry.prune(ttl);
            if pruned > 0 {
                tracing::debug!(pruned, "finished processes forgotten");
            }
        }
    });
}
