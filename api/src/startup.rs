//! The one boot path: `zhicha serve` and the tests build the application the same way.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;
use zhicha_engine::Catalog;

use crate::config::{Backend, Settings};
use crate::error::{ApiError, ErrorCode};
use crate::http::{extract, guard, hygiene, idempotency, rate_limit, request_id, routes};
use crate::platform::events::Events;
use crate::platform::jobs::Jobs;
use crate::platform::pii::Vault;
use crate::platform::wechat::Wechat;
use crate::state::AppState;
use crate::{platform::db, reference, reference::rules, reference::seed};

pub struct Application {
    server: Server,
    addr: std::net::SocketAddr,
    pub state: AppState,
    /// What start-up did to the database (for the banner).
    pub demo_loaded: bool,
}

/// Loads and validates everything `serve` needs before it listens: an invalid rules
/// library or an unreachable database stops start-up.
pub async fn prepare(settings: &Settings) -> anyhow::Result<(DatabaseConnection, Arc<Catalog>, Arc<Vault>)> {
    let catalog = rules::load_once(&settings.rules.dir)
        .map_err(|e| anyhow::anyhow!("rules ({}) are invalid:\n{e}", rules::source(&settings.rules.dir)))?
        .catalog;
    let db = db::connect(settings).await?;
    if settings.database.migrate_on_start {
        db::migrate(&db, Some(settings.database.app_role.as_str())).await?;
    } else {
        db::ensure_migrated(&db).await?;
    }
    reference::sync_regions(&db, &catalog).await?;
    let vault = Vault::open(&settings.key_file())?;
    Ok((db, catalog, Arc::new(vault)))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Checked first: a stand-in refused with a production database stops start-up.
        let wechat = Arc::new(Wechat::from_settings(&settings)?);
        let (db, catalog, vault) = prepare(&settings).await?;
        let loaded = rules::load_once(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
        // The embedded default shows a living system; a production database is seeded
        // only on request (`zhicha seed demo`).
        let mut demo_loaded = false;
        if settings.demo.autoload && settings.backend().ok() == Some(Backend::Sqlite) && seed::is_empty(&db).await? {
            seed::demo::load(&db, &catalog, &settings.demo.dir, &settings.auth, &vault).await?;
            demo_loaded = true;
        }
        // An S3 store that does not answer stops start-up, as an unreachable database
        // does; a missing bucket is created when the credentials allow.
        let store = crate::platform::storage::open(&settings.storage)?;
        store.prepare().await.map_err(|e| anyhow::anyhow!("object storage ({}): {e}", store.backend()))?;
        let dashboard = Arc::new(crate::platform::cache::DashboardCache::new(&settings.cache).await?);
        // A replica out of reach does not stop start-up: the primary serves its reads.
        let read = crate::platform::replica::ReadDb::connect(&settings, db.clone()).await;
        let listener = TcpListener::bind(&settings.server.addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.addr))?;
        let addr = listener.local_addr()?;
        // Risk refits: at start-up when stale, then on schedule (one at a time across instances).
        let jobs = Jobs::new();
        crate::reference::scoring::job::spawn(&jobs, db.clone(), settings.risk.clone());
        // The audit sealer: chains the records writes appended (one instance at a time).
        crate::platform::sealer::spawn(&jobs, db.clone(), settings.audit.clone());
        // Objects of uploads that were never recorded: deleted once their intent expires.
        crate::selfcheck::uploads::sweep::spawn(
            &jobs,
            db.clone(),
            store.clone(),
            chrono::Duration::hours(settings.idempotency.keep_hours),
            std::time::Duration::from_secs(300),
        );
        // What happens after a write commits: the contexts that react subscribe here.
        let mut events = Events::default();
        crate::oversight::dashboard::subscribe(&mut events);
        crate::governance::subscribe(&mut events);
        // New units of the register: scored, then given their first checklist.
        crate::reference::coverage::subscribe(&mut events);
        crate::selfcheck::coverage::subscribe(&mut events);
        let evaluation_slots = settings.governance.max_concurrent.max(1);
        let state = AppState {
            db,
            read,
            catalog,
            hazards: loaded.hazards,
            profiles: loaded.profiles,
            triggers: loaded.triggers,
            analysis: loaded.analysis,
            settings: Arc::new(settings),
            vault,
            wechat,
            store,
            dashboard,
            events: Arc::new(events),
            jobs,
            evaluations: Default::default(),
            evaluation_slots: Arc::new(tokio::sync::Semaphore::new(evaluation_slots)),
        };
        // The demo city just loaded gets its half year of activity before the jobs start
        // (they would otherwise act on it at the wall clock while it is being simulated).
        if demo_loaded && state.settings.demo.activity {
            let summary = crate::activity::run(&state).await?;
            tracing::info!("{summary}");
        }
        // The rectification clock: overdue marking, reminders, sending.
        crate::governance::reminders::spawn(state.clone());
        // The expert dispatcher: expired offers, pending expert visits and follow-ups.
        crate::governance::experts::spawn(state.clone());
        // The trigger engine's sweep over every enterprise.
        crate::governance::job::spawn(state.clone());
        // New units a CLI roster or accident import brought in while no server ran.
        crate::reference::coverage::soon(&state);
        // Data feeds a stopped server left unfinished.
        crate::reference::feeds::sweep_abandoned(&state);
        let workers = match state.settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let app_state = state.clone();
        // One set of buckets for all workers.
        let limits =
            web::Data::new(rate_limit::Limits::new(&app_state.settings.limits, &app_state.settings.cache).await?);
        let server = HttpServer::new(move || {
            let limit = app_state.settings.server.max_body_bytes;
            App::new()
                .app_data(web::Data::new(app_state.clone()))
                .app_data(limits.clone())
                .app_data(web::PayloadConfig::new(limit))
                .app_data(web::Data::new(hygiene::BodyDeadline {
                    idle: std::time::Duration::from_secs(app_state.settings.server.body_idle_seconds),
                    whole: std::time::Duration::from_secs(app_state.settings.server.body_seconds),
                }))
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .configure(routes::configure)
                .default_service(web::to(|req: actix_web::HttpRequest| async move {
                    Err::<actix_web::HttpResponse, _>(ApiError::new(
                        ErrorCode::NotFound,
                        format!("no route for {}", req.path()),
                    ))
                }))
                // Innermost first: the guard resolves the caller the idempotency layer keys on.
                .wrap(from_fn(idempotency::middleware))
                .wrap(from_fn(guard::middleware))
                .wrap(from_fn(hygiene::body_deadline))
                .wrap(from_fn(hygiene::refuse_controls))
                .wrap(from_fn(rate_limit::middleware))
                .wrap(ErrorHandlers::new().default_handler(extract::reshape))
                .wrap(from_fn(request_id::middleware))
        })
        .workers(workers)
        .shutdown_timeout(state.settings.server.shutdown_seconds)
        .listen(listener)?
        .run();
        Ok(Self { server, addr, state, demo_loaded })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Serves until SIGTERM or SIGINT: the server stops accepting, answers what is in
    /// flight (up to `server.shutdown_seconds`), then the background jobs finish their
    /// step and stop, and this returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await?;
        let grace = std::time::Duration::from_secs(self.state.settings.server.shutdown_seconds);
        tracing::info!("HTTP server stopped; waiting for background jobs");
        match self.state.jobs.shutdown(grace).await {
            0 => tracing::info!("background jobs finished; exiting"),
            n => tracing::warn!("{n} background jobs did not finish within {} s; cut off", grace.as_secs()),
        }
        Ok(())
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}
