//! Building and running the server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{dev::Server, web, App, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::failures::Failures;
use crate::json_errors;
use crate::routes::{failures, health, read_back, receive, MockState};
use crate::store::Store;

#[derive(OpenApi)]
#[openapi(info(
    title = "callback-mock",
    description = "Receives callbacks and lets tests read them back"
))]
struct ApiDoc;

/// A bound, not yet running, callback mock.
pub struct Application {
    port: u16,
    server: Server,
}

/// Binds the listener and prepares the server; run it with [`Application::run_until_stopped`].
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", config.bind))?;
    let port = listener.local_addr()?.port();
    let state = web::Data::new(Arc::new(MockState {
        store: Store::new(config.max_stored),
        failures: Failures::default(),
        alive_since: chrono::Utc::now(),
        max_body_bytes: config.max_body_bytes,
        max_wait: config.max_wait,
    }));
    let server = HttpServer::new(move || {
        let (json_config, query_config) = json_errors::extractor_configs();
        let (app, api) = App::new()
            .wrap(json_errors::middleware())
            .wrap(tracing_actix_web::TracingLogger::default())
            .app_data(state.clone())
            .app_data(json_config)
            .app_data(query_config)
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .service(receive::on_change)
            .service(receive::any_callback)
            .service(read_back::wait)
            .service(read_back::list)
            .service(read_back::clear)
            .service(failures::set)
            .service(failures::show)
            .service(failures::clear)
            .service(health::pings)
            .service(health::live)
            .service(health::ready)
            .split_for_parts();
        app.app_data(web::Data::new(json_errors::KnownPaths::from_openapi(&api)))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", api))
            .default_service(web::to(json_errors::no_route))
    })
    .workers(config.workers.max(1))
    .keep_alive(shared_models::keep_alive::SERVER_KEEP_ALIVE)
    .listen(listener)?
    .run();
    Ok(Application { port, server })
}

impl Application {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        Ok(())
    }
}
