//! Test harness: the real application, built through the same boot path as
//! `zhicha serve`, listening on a random port against a fresh database: a temporary
//! SQLite file, or a throw-away PostgreSQL database created from `ZHICHA_TEST_PG_URL`
//! and dropped afterwards.
//!
//! `both!` turns one async test body into `<name>::sqlite` and `<name>::postgres`,
//! so `cargo test -p zhicha-tests postgres` runs exactly the PostgreSQL variants.

// This crate is test-only: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use figment::providers::Serialized;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use tempfile::TempDir;
use zhicha_api::config::Settings;
use zhicha_api::startup::Application;
use zhicha_api::state::AppState;

pub use zhicha_api;

pub mod fake_wechat;
pub mod roster;

/// The environment variable naming a PostgreSQL server (an admin URL such as
/// `postgres://postgres@127.0.0.1:5432/postgres`) on which test databases are made.
pub const PG_URL_VAR: &str = "ZHICHA_TEST_PG_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Opts {
    /// Load the demo city at start-up (`demo.autoload`; SQLite only, as in `serve`).
    pub demo: bool,
    /// With the demo city, its half year of activity (`demo.activity`); off by default,
    /// so tests start from the city at day zero.
    pub activity: bool,
    /// Rate limits (requests per minute, burst, sign-ins per minute) instead of the defaults.
    pub limits: Option<(u32, u32, u32)>,
    /// The built-in WeChat stand-in (demo codes) instead of WeChat.
    pub standin: bool,
    /// The base URL of a (fake) WeChat server, with [`fake_wechat::APP_ID`] and secret.
    pub wechat: Option<String>,
    /// Rate limits in Redis (`ZHICHA_TEST_REDIS_URL`) under this key prefix; apps
    /// given the same prefix share their buckets.
    pub redis_prefix: Option<String>,
    /// Photo evidence in the S3-compatible server of `ZHICHA_TEST_S3_URL`, in a bucket
    /// of this test's own, instead of a local directory.
    pub s3: bool,
    /// The report font file instead of the configured one (a missing file tests the 503).
    pub font_path: Option<PathBuf>,
    /// `server.body_idle_seconds` instead of the default.
    pub body_idle_seconds: Option<u64>,
    /// `database.replica_url` (PostgreSQL only): the test database itself, or a port
    /// nobody listens on.
    pub replica: Option<TestReplica>,
    /// The rules library and the demo city built into the binary (`rules.dir` and
    /// `demo.dir` empty, as in production) instead of the checkout's folders.
    pub built_in: bool,
}

/// What `database.replica_url` points at in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestReplica {
    /// The test database itself, under `application_name` [`REPLICA_APP_NAME`] so its
    /// sessions can be told apart: a primary is its own replica with no lag.
    ItsOwnDatabase,
    /// A closed port on loopback: the replica is unreachable from start-up on.
    ClosedPort,
    /// The test database itself through this loopback port (a proxy a test can cut),
    /// under `application_name` [`REPLICA_APP_NAME`].
    ItsOwnDatabaseThrough(u16),
}

/// The `application_name` of the replica's connections in tests.
pub const REPLICA_APP_NAME: &str = "zhicha_test_replica";

/// The environment variable naming an S3-compatible server
/// (`http://ACCESS_KEY:SECRET_KEY@127.0.0.1:PORT`).
pub const S3_URL_VAR: &str = "ZHICHA_TEST_S3_URL";

/// `ZHICHA_TEST_S3_URL`, or `None` (skip) outside CI; in CI its absence is an error.
pub fn s3_url() -> Option<String> {
    match std::env::var(S3_URL_VAR) {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_string()),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI requires an S3-compatible server: .ci/run sets {S3_URL_VAR}")
        }
        _ => None,
    }
}

/// Storage settings for `bucket` on the S3 server of `url` (its credentials in the URL).
pub fn s3_settings(url: &str, bucket: &str) -> zhicha_api::platform::storage::S3Settings {
    let u = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{S3_URL_VAR}: {e}"));
    zhicha_api::platform::storage::S3Settings {
        endpoint: format!("{}://{}:{}", u.scheme(), u.host_str().unwrap(), u.port_or_known_default().unwrap()),
        region: "us-east-1".into(),
        bucket: bucket.to_string(),
        access_key_id: u.username().to_string(),
        secret_access_key: zhicha_api::config::Secret::new(u.password().unwrap_or_default().to_string()),
        path_style: true,
        timeout_ms: 10_000,
    }
}

/// The environment variable naming a Redis server for the tests that need one.
pub const REDIS_URL_VAR: &str = "ZHICHA_TEST_REDIS_URL";

/// `ZHICHA_TEST_REDIS_URL`, or `None` (skip) outside CI; in CI its absence is an error.
pub fn redis_url() -> Option<String> {
    match std::env::var(REDIS_URL_VAR) {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_string()),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI requires Redis: .ci/run sets {REDIS_URL_VAR}")
        }
        _ => None,
    }
}

/// The workspace root (`/work/main`).
pub fn workspace_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

pub fn rules_dir() -> PathBuf {
    workspace_dir().join("rules")
}

/// The keys (e01, e02 …) of the demo city's enterprises, in the order of
/// `seeds/demo/enterprises.csv`: the loader makes each a key enterprise with one officer
/// (`demo-officer-<key>`) and two responsible persons, so tests count from here rather
/// than repeat the number.
pub fn demo_enterprise_keys() -> Vec<String> {
    let path = workspace_dir().join("seeds/demo/enterprises.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect()
}

/// `shared/data/<name>`: the public data sets kept beside the repository. A clone
/// without them skips the tests that read them; CI must have them.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let path = workspace_dir().join("..").join("shared").join("data").join(name);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI requires {} (shared/ beside the repository)", path.display());
    }
    eprintln!("skipped: {} not found (shared/ is not beside the repository)", path.display());
    None
}

/// A fresh, empty database (no migrations run).
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<TempDir>,
    pg: Option<PgGuard>,
}

impl TestDb {
    /// A new database, or `None` when PostgreSQL is wanted but not configured
    /// (outside CI). Panics when CI lacks PostgreSQL or the server cannot be reached.
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("zhicha-test-")
                    .tempdir()
                    .expect("cannot create a temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
                Some(Self { backend, url, _dir: Some(dir), pg: None })
            }
            Backend::Postgres => {
                let admin = pg_admin_url()?;
                let name = format!("test_{}", uuid::Uuid::new_v4().simple());
                let conn = admin_connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("{PG_URL_VAR} is set but PostgreSQL cannot be reached: {e}"));
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
                let _ = conn.close().await;
                let url = with_database(&admin, &name);
                Some(Self { backend, url, _dir: None, pg: Some(PgGuard { admin, name, armed: true }) })
            }
        }
    }

    /// A connection of its own to this database.
    pub async fn connect(&self) -> DatabaseConnection {
        let mut opts = ConnectOptions::new(self.url.clone());
        opts.max_connections(4).min_connections(1).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
        Database::connect(opts).await.unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"))
    }

    /// Drops the PostgreSQL database now (also done on drop, on a thread of its own).
    pub async fn cleanup(mut self) {
        if let Some(mut g) = self.pg.take() {
            g.armed = false;
            if let Err(e) = drop_database(&g.admin, &g.name).await {
                eprintln!("warning: cannot drop test database {}: {e}", g.name);
            }
        }
    }
}

/// `ZHICHA_TEST_PG_URL`, or `None` (skip) outside CI; in CI its absence is an error.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var(PG_URL_VAR) {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_string()),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI requires PostgreSQL: .ci/run sets {PG_URL_VAR}")
        }
        _ => None,
    }
}

pub async fn admin_connect(admin: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut opts = ConnectOptions::new(admin.to_string());
    opts.max_connections(1).min_connections(0).acquire_timeout(Duration::from_secs(5)).sqlx_logging(false);
    Database::connect(opts).await
}

async fn drop_database(admin: &str, name: &str) -> Result<(), sea_orm::DbErr> {
    let conn = admin_connect(admin).await?;
    let r = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
    let _ = conn.close().await;
    r.map(|_| ())
}

/// `admin` with its database name replaced by `name` (query parameters kept).
pub fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Drops the PostgreSQL test database when the test ends, passed or failed. Drop
/// cannot await, so the work runs on a thread with its own runtime, joined here.
struct PgGuard {
    admin: String,
    name: String,
    armed: bool,
}

impl Drop for PgGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match rt {
                Ok(rt) => rt.block_on(drop_database(&admin, &name)).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        })
        .join();
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: cannot drop test database {}: {e}", self.name),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

/// The running application.
pub struct TestApp {
    pub backend: Backend,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub state: AppState,
    server: ServerHandle,
    _keys: tempfile::TempDir,
    // Last: dropped after everything that uses the database.
    test_db: Option<TestDb>,
}

impl TestApp {
    /// Settings for a test app on `database_url`: port 0, the repository's rules and
    /// demo seed, one worker.
    pub fn settings(database_url: &str, opts: &Opts, key_file: &std::path::Path) -> Settings {
        let objects = key_file.parent().map_or_else(|| PathBuf::from("objects"), |d| d.join("objects"));
        let root = workspace_dir();
        // The built-in defaults only: the developer's zhicha.toml and ZHICHA_* stay out.
        let f = Settings::defaults()
            .merge(Serialized::default("server.addr", "127.0.0.1:0"))
            .merge(Serialized::default("server.workers", 1))
            .merge(Serialized::default("database.url", database_url))
            .merge(Serialized::default("database.max_connections", 5))
            .merge(Serialized::default("rules.dir", if opts.built_in { PathBuf::new() } else { root.join("rules") }))
            .merge(Serialized::default(
                "demo.dir",
                if opts.built_in { PathBuf::new() } else { root.join("seeds").join("demo") },
            ))
            .merge(Serialized::default("demo.autoload", opts.demo))
            .merge(Serialized::default("demo.activity", opts.activity))
            .merge(Serialized::default("log.level", "warn"))
            // Cheap argon2 so the suite stays fast; production cost is in defaults.toml.
            .merge(Serialized::default("auth.argon2_memory_kib", 64))
            .merge(Serialized::default("auth.argon2_iterations", 1))
            .merge(Serialized::default("security.key_file", key_file))
            .merge(Serialized::default("storage.local_dir", objects))
            // Tests run the rectification clock when they mean to (`reminders::tick`).
            .merge(Serialized::default("reminders.interval_seconds", 3600))
            // and the dispatcher (`experts::tick`).
            .merge(Serialized::default("experts.interval_seconds", 3600))
            .merge(Serialized::default("demo.wechat_standin", opts.standin))
            // Tests refit when they mean to, not at every start.
            .merge(Serialized::default("risk.refit_on_start", false))
            .merge(Serialized::default("server.body_idle_seconds", opts.body_idle_seconds.unwrap_or(15)))
            // Test databases are thrown away: the stand-in may run on PostgreSQL too.
            .merge(Serialized::default("demo.wechat_standin_force", true));
        let f = match (&opts.redis_prefix, redis_url()) {
            (Some(prefix), Some(url)) => f
                .merge(Serialized::default("cache.redis_url", url))
                .merge(Serialized::default("cache.key_prefix", prefix)),
            _ => f,
        };
        let f = match &opts.wechat {
            Some(url) => f
                .merge(Serialized::default("wechat.base_url", url))
                .merge(Serialized::default("wechat.app_id", fake_wechat::APP_ID))
                .merge(Serialized::default("wechat.app_secret", fake_wechat::APP_SECRET))
                .merge(Serialized::default("wechat.timeout_ms", 800))
                .merge(Serialized::default("reminders.template_id", fake_wechat::TEMPLATE_ID)),
            None => f,
        };
        let f = match &opts.font_path {
            Some(path) => f.merge(Serialized::default("reports.font_path", path)),
            None => f,
        };
        let f = match opts.limits {
            Some((rpm, burst, sign_in)) => f
                .merge(Serialized::default("limits.requests_per_minute", rpm))
                .merge(Serialized::default("limits.burst", burst))
                .merge(Serialized::default("limits.sign_in_per_minute", sign_in)),
            None => f,
        };
        Settings::from_figment(f).unwrap_or_else(|e| panic!("test settings: {e}"))
    }

    /// Starts the app on a fresh database; `None` when the backend is not available
    /// (PostgreSQL without `ZHICHA_TEST_PG_URL`, outside CI).
    pub async fn spawn(backend: Backend, opts: Opts) -> Option<Self> {
        if opts.redis_prefix.is_some() && redis_url().is_none() {
            return None;
        }
        let s3 = match opts.s3 {
            true => Some(s3_url()?),
            false => None,
        };
        let test_db = TestDb::create(backend).await?;
        let keys =
            tempfile::Builder::new().prefix("zhicha-keys-").tempdir().expect("cannot create a temporary directory");
        let mut settings = Self::settings(&test_db.url, &opts, &keys.path().join("keys.toml"));
        match opts.replica {
            Some(TestReplica::ItsOwnDatabase) => {
                let sep = if test_db.url.contains('?') { '&' } else { '?' };
                let url = format!("{}{sep}application_name={REPLICA_APP_NAME}", test_db.url);
                settings.database.replica_url = zhicha_api::config::Secret::new(url);
            }
            Some(TestReplica::ItsOwnDatabaseThrough(port)) => {
                let mut url = reqwest::Url::parse(&test_db.url).expect("the test database URL");
                url.set_host(Some("127.0.0.1")).expect("a host");
                url.set_port(Some(port)).expect("a port");
                url.query_pairs_mut().append_pair("application_name", REPLICA_APP_NAME);
                settings.database.replica_url = zhicha_api::config::Secret::new(url.to_string());
            }
            Some(TestReplica::ClosedPort) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .expect("a free port")
                    .port();
                let url = format!("postgres://zhicha@127.0.0.1:{port}/zhicha");
                settings.database.replica_url = zhicha_api::config::Secret::new(url);
            }
            None => {}
        }
        if let Some(url) = s3 {
            let bucket = format!("zhicha-test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let s3 = s3_settings(&url, &bucket);
            zhicha_api::platform::storage::S3Store::new(&s3)
                .create_bucket_if_missing()
                .await
                .unwrap_or_else(|e| panic!("cannot create the test bucket on {S3_URL_VAR}: {e}"));
            settings.storage.backend = zhicha_api::platform::storage::StorageBackend::S3;
            settings.storage.s3 = s3;
        }
        // Quiet by default; `TEST_LOG=debug cargo test …` shows the server's log.
        if let Ok(level) = std::env::var("TEST_LOG") {
            let level = if level.is_empty() || level == "1" { "info".to_string() } else { level };
            zhicha_api::platform::telemetry::init(&zhicha_api::config::LogSettings {
                level,
                format: "text".to_string(),
            });
        }
        let app = Application::build(settings).await.unwrap_or_else(|e| panic!("the application did not start: {e:#}"));
        let addr = app.addr();
        let state = app.state.clone();
        let server = app.into_server();
        let handle = server.handle();
        tokio::spawn(server);
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("reqwest client");
        Some(Self {
            backend,
            addr,
            client,
            db: state.db.clone(),
            state,
            server: handle,
            _keys: keys,
            test_db: Some(test_db),
        })
    }

    /// The demo city in the database (with its activity when `Opts.activity`): loaded at
    /// start-up on SQLite (`Opts.demo`), and here on PostgreSQL, where start-up never loads it.
    pub async fn ensure_demo(&self) {
        if self.backend == Backend::Postgres {
            let s = &self.state;
            zhicha_api::reference::seed::demo::load(
                &self.db,
                &s.catalog,
                &s.settings.demo.dir,
                &s.settings.auth,
                &s.vault,
            )
            .await
            .unwrap_or_else(|e| panic!("demo seed: {e:#}"));
            if s.settings.demo.activity {
                zhicha_api::activity::run(s).await.unwrap_or_else(|e| panic!("demo activity: {e:#}"));
            }
        }
    }

    /// A connection of its own to the app's database (another "instance").
    pub async fn test_db_connect(&self) -> DatabaseConnection {
        match &self.test_db {
            Some(db) => db.connect().await,
            None => panic!("the test database is gone"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server, closes the pools and drops the PostgreSQL database.
    pub async fn cleanup(mut self) {
        self.server.stop(false).await;
        let _ = self.state.db.clone().close().await;
        if let Some(db) = self.test_db.take() {
            db.cleanup().await;
        }
    }
}

/// Runs `f` against a fresh app, or prints why it was skipped.
pub async fn run_app(backend: Backend, opts: Opts, f: impl AsyncFnOnce(&TestApp)) {
    let Some(app) = TestApp::spawn(backend, opts).await else {
        println!("skipped: {} (set {PG_URL_VAR})", backend.name());
        return;
    };
    f(&app).await;
    app.cleanup().await;
}

/// Runs `f` against a fresh, empty database, or prints why it was skipped.
pub async fn run_db(backend: Backend, f: impl AsyncFnOnce(&TestDb)) {
    let Some(db) = TestDb::create(backend).await else {
        println!("skipped: {} (set {PG_URL_VAR})", backend.name());
        return;
    };
    f(&db).await;
    db.cleanup().await;
}

/// `both!(name, async |app: &TestApp| { … })` — the body against the running app on
/// SQLite and on PostgreSQL, as tests `name::sqlite` and `name::postgres`.
/// `both!(name, Opts { demo: true, ..Default::default() }, async |app: &TestApp| …)` sets options;
/// `both!(db name, async |db: &TestDb| …)` gets a bare, empty database instead.
/// Attributes written first (`#[ignore = "why"]`) go on both tests.
#[macro_export]
macro_rules! both {
    ($(#[$m:meta])* db $name:ident, $f:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_db($crate::Backend::Sqlite, $f).await;
            }

            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_db($crate::Backend::Postgres, $f).await;
            }
        }
    };
    ($(#[$m:meta])* $name:ident, $opts:expr, $f:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_app($crate::Backend::Sqlite, $opts, $f).await;
            }

            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_app($crate::Backend::Postgres, $opts, $f).await;
            }
        }
    };
    ($(#[$m:meta])* $name:ident, $f:expr) => {
        $crate::both!($(#[$m])* $name, $crate::Opts::default(), $f);
    };
}
