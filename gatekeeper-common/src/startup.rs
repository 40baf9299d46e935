//! Building and running the service: database, background workers and the HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{dev::Server, web, App, HttpServer};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::JwtAuth;
use crate::config::Config;
use crate::db::Db;
use crate::routes::{descriptors, downloads, health, on_change, packages, status, upload};
use crate::state::{AppState, Settings};
use crate::upstream::catalogue::Catalogue;
use crate::workers::{outbox::OutboxWorker, reconcile::Reconciler, sweeper::TimeoutSweeper};
use crate::API_PREFIX;
use crate::{compat, headers, json_errors};

#[derive(OpenApi)]
#[openapi(info(
    title = "gatekeeper-common",
    description = "The public packages, services and functions API of the SONATA/5GTANGO \
                   on-boarding platform"
))]
struct ApiDoc;

/// A bound gatekeeper whose background workers already run; serve with
/// [`Application::run_until_stopped`].
pub struct Application {
    port: u16,
    server: Server,
    stop: AppStopper,
}

/// Stops the HTTP server and the background workers of one [`Application`].
#[derive(Clone)]
pub struct AppStopper {
    server: actix_web::dev::ServerHandle,
    shutdown: std::sync::Arc<watch::Sender<bool>>,
}

impl AppStopper {
    pub async fn stop(&self) {
        self.shutdown.send_replace(true);
        self.server.stop(true).await;
    }
}

/// Connects the database (applying migrations), starts the workers and binds the listener.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", config.bind))?;
    let port = listener.local_addr()?.port();
    // Callbacks and notifications to callers never carry the service token; calls to the
    // packager and the catalogue do.
    let http = reqwest::Client::builder()
        .connect_timeout(config.upstream_connect_timeout)
        .pool_idle_timeout(shared_models::keep_alive::CLIENT_IDLE)
        .build()?;
    let internal_http = reqwest::Client::builder()
        .connect_timeout(config.upstream_connect_timeout)
        .pool_idle_timeout(shared_models::keep_alive::CLIENT_IDLE)
        .default_headers(shared_models::ServiceToken::outgoing_headers(
            config.service_token.as_ref(),
        )?)
        .build()?;
    let settings = settings(&config, port);
    tracing::info!(public_url = %settings.public_url, callback = %settings.callback_url,
        "gatekeeper configured");
    let (shutdown, _) = watch::channel(false);
    let reconciler = Reconciler {
        db: db.clone(),
        http: internal_http.clone(),
        packager_url: config.packager_url.clone(),
        status_timeout: config.packager_status_timeout,
        packages_url: settings.public_collection("packages"),
        notify: config.notify(),
    };
    let workers = spawn_workers(&config, reconciler, &http, &shutdown);
    let state = web::Data::new(AppState {
        db,
        catalogue: Catalogue::new(
            internal_http.clone(),
            &config.catalogue_url,
            config.catalogue_answer_timeout,
        ),
        internal_http,
        settings,
        alive_since: chrono::Utc::now(),
        shutdown: shutdown.subscribe(),
    });
    let openapi = openapi();
    let server = HttpServer::new(move || app(state.clone(), openapi.clone()))
        .keep_alive(shared_models::keep_alive::SERVER_KEEP_ALIVE)
        .workers(config.workers.max(1))
        .listen(listener)?
        .run();
    drop(workers);
    let stop = AppStopper {
        server: server.handle(),
        shutdown: std::sync::Arc::new(shutdown),
    };
    Ok(Application { port, server, stop })
}

fn settings(config: &Config, port: u16) -> Settings {
    let host = match config.bind.rsplit_once(':').map(|(h, _)| h) {
        Some("0.0.0.0") | Some("[::]") | None => "127.0.0.1",
        Some(h) => h,
    };
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{host}:{port}"))
        .trim_end_matches('/')
        .to_owned();
    let callback_base = config
        .callback_base
        .clone()
        .unwrap_or_else(|| public_url.clone());
    Settings {
        callback_url: format!(
            "{}{API_PREFIX}/packages/on-change",
            callback_base.trim_end_matches('/')
        ),
        public_url,
        packager_url: config.packager_url.clone(),
        notify: config.notify(),
        process_timeout: config.process_timeout,
        max_upload_bytes: config.max_upload_bytes,
        packager_answer_timeout: config.packager_answer_timeout,
        default_page_size: config.default_page_size,
        auth: config
            .jwt_secret
            .as_deref()
            .map(|secret| JwtAuth::new(secret, config.jwt_roles.clone())),
        callback_allowlist: config.callback_allowlist.clone(),
        status_max_wait: config.status_max_wait.min(MAX_STATUS_WAIT),
        status_max_waiters: config.status_max_waiters,
        status_reread_interval: config.status_reread_interval.max(Duration::from_millis(10)),
        service_token: config.service_token.clone(),
    }
}

/// The outbox deliverer, the timeout sweeper and the start-up reconciliation (for the processes
/// open now).
fn spawn_workers(
    config: &Config,
    reconciler: Reconciler,
    http: &reqwest::Client,
    shutdown: &watch::Sender<bool>,
) -> Vec<JoinHandle<()>> {
    let outbox = OutboxWorker {
        db: reconciler.db.clone(),
        http: http.clone(),
        worker_id: uuid::Uuid::new_v4().to_string(),
        poll_interval: config.outbox_poll_interval,
        timeout: config.callback_timeout,
        max_attempts: config.callback_max_attempts.max(1),
        backoff: config.callback_backoff,
        backoff_max: config.callback_backoff_max,
    };
    let sweeper = TimeoutSweeper {
        interval: config.sweep_interval,
        process_timeout: config.process_timeout,
        reconciler: reconciler.clone(),
    };
    vec![
        tokio::spawn(reconciler.run_once(crate::db::now_ms(), shutdown.subscribe())),
        tokio::spawn(outbox.run(shutdown.subscribe())),
        tokio::spawn(sweeper.run(shutdown.subscribe())),
    ]
}

/// The documented routes; used once for the OpenAPI document and once per worker.
fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    let api = scope(API_PREFIX)
        .service(health::root)
        .service(health::pings)
        .service(upload::upload)
        .service(status::status)
        .service(on_change::on_change)
        .service(packages::list)
        .service(packages::options_packages)
        .service(downloads::package_file)
        .service(downloads::package_content_file)
        .service(packages::get_one)
        .service(packages::remove)
        .service(descriptors::services)
        .service(descriptors::options_services)
        .service(descriptors::service)
        .service(descriptors::functions)
        .service(descriptors::options_functions)
        .service(descriptors::function);
    cfg.service(api)
        .service(health::live)
        .service(health::ready);
}

/// The OpenAPI 3.1 document of the service.
pub fn openapi() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts()
        .1
}

fn app(
    state: web::Data<AppState>,
    openapi: utoipa::openapi::OpenApi,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (json_config, query_config, path_config) = json_errors::extractor_configs();
    let known = web::Data::new(json_errors::KnownPaths::from_openapi(&openapi));
    App::new()
        .wrap(json_errors::middleware())
        .wrap(tracing_actix_web::TracingLogger::default())
        .wrap(actix_web::middleware::from_fn(compat::normalise))
        .wrap(actix_web::middleware::from_fn(headers::common))
        .app_data(state)
        .app_data(json_config)
        .app_data(query_config)
        .app_data(path_config)
        .app_data(known)
        .service(SwaggerUi::new("/docs/{_:.*}").url(format!("{API_PREFIX}/openapi.json"), openapi))
        .route("/", web::get().to(health::root_text))
        .route("/pings", web::get().to(health::ping))
        .into_utoipa_app()
        .configure(api_routes)
        .into_app()
        .default_service(web::to(json_errors::no_route))
}

impl Application {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops this application (server and workers), e.g. to simulate a restart.
    pub fn stopper(&self) -> AppStopper {
        self.stop.clone()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        // actix stops gracefully on SIGTERM / SIGINT and waits for the requests in flight:
        // the workers and the waiting status requests are told at once, so that they answer.
        let shutdown = self.stop.shutdown.clone();
        let signalled = tokio::spawn(async move {
            stop_signal().await;
            shutdown.send_replace(true);
        });
        let result = self.server.await;
        signalled.abort();
        self.stop.shutdown.send_replace(true);
        result?;
        Ok(())
    }
}

/// The longest `GATEKEEPER_STATUS_MAX_WAIT` taken.
const MAX_STATUS_WAIT: Duration = Duration::from_secs(3600);

/// SIGTERM or SIGINT (Ctrl-C); never, where they cannot be listened to.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await;
}
