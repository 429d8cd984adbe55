//! Settings: built-in defaults < `zhicha.toml` < `ZHICHA_*` environment variables
//! (and `DATABASE_URL`), checked once at start-up and then passed explicitly.

mod secret;
mod storage;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

pub use secret::Secret;
pub use storage::{EvidenceSettings, S3Settings, StorageBackend, StorageSettings};

const DEFAULTS: &str = include_str!("defaults.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub rules: RulesSettings,
    pub demo: DemoSettings,
    pub auth: AuthSettings,
    pub security: SecuritySettings,
    pub limits: LimitSettings,
    pub wechat: WechatSettings,
    pub cache: CacheSettings,
    pub risk: RiskSettings,
    pub imports: ImportSettings,
    pub storage: StorageSettings,
    pub evidence: EvidenceSettings,
    pub reports: ReportSettings,
    pub idempotency: IdempotencySettings,
    pub reminders: ReminderSettings,
    pub experts: ExpertSettings,
    pub governance: GovernanceSettings,
    pub audit: AuditSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatSettings {
    pub base_url: String,
    pub app_id: String,
    pub app_secret: Secret<String>,
    pub timeout_ms: u64,
}

/// Data feeds uploaded over HTTP (`POST /gov/imports`) and the new units they bring.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    /// Largest file accepted, in bytes (larger: 413).
    pub max_bytes: u64,
    /// An enterprise first seen within this many days is a new unit to be covered.
    pub new_unit_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSettings {
    pub horizon_months: u32,
    pub refit_interval_hours: u64,
    pub refit_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Empty: in process. `redis://host:6379/0`: shared by every instance.
    pub redis_url: Secret<String>,
    /// Prepended to every Redis key, so several deployments can share one server.
    pub key_prefix: String,
    /// A Redis call not answered within this many milliseconds is given up (the rate
    /// limit falls back to this process, the dashboard computes afresh).
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    pub interval_seconds: u64,
    pub template_id: String,
    pub page: String,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpertSettings {
    /// How long an expert has to accept or decline an offered task.
    pub accept_hours: i64,
    /// A check-in farther than this from the enterprise's site is flagged.
    pub site_radius_m: f64,
    /// How often the dispatcher expires unanswered offers and dispatches pending tasks.
    pub interval_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSettings {
    /// Minutes between sweeps that evaluate every enterprise against the trigger rules.
    pub interval_minutes: u64,
    /// Milliseconds an evaluation asked for by a write waits before it starts, so a
    /// burst of writes to one enterprise is read by one evaluation.
    pub delay_ms: u64,
    /// Evaluations asked for by writes that may run at once, across enterprises.
    pub max_concurrent: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Milliseconds between sealing steps (records chained into the trail).
    pub seal_every_ms: u64,
    /// Records chained per step at most.
    pub seal_batch: u64,
    /// A record waiting longer than this is reported as a sealing stall.
    pub max_lag_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencySettings {
    pub keep_hours: i64,
    pub stale_after_seconds: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub requests_per_minute: u32,
    pub burst: u32,
    pub sign_in_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Keys for personal data at rest (created with random keys when missing).
    pub key_file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub access_ttl_minutes: i64,
    pub refresh_ttl_days: i64,
    pub idle_timeout_minutes: i64,
    pub max_failed_logins: i32,
    pub lockout_minutes: i64,
    pub binding_code_hours: i64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// A password older than this many days must be changed before anything else
    /// (GB/T 22239-2019 8.1.4.1 a: changed periodically).
    pub password_max_age_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub addr: String,
    pub max_body_bytes: usize,
    pub workers: usize,
    /// On SIGTERM: how long in-flight requests, then background jobs, may take to finish.
    pub shutdown_seconds: u64,
    /// A request body that sends no byte for this long is cut off (408).
    pub body_idle_seconds: u64,
    /// A request body not complete after this long is cut off (408).
    pub body_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret<String>,
    pub data_dir: PathBuf,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
    /// How long a request waits for a pooled connection (or a new one) before it
    /// answers 503 `database_unavailable`.
    pub acquire_timeout_ms: u64,
    /// Migrate at start-up (the embedded default). Off where the service runs as a
    /// role that does not own the schema.
    pub migrate_on_start: bool,
    /// PostgreSQL: the service's own role, granted access after each migration.
    pub app_role: String,
    /// PostgreSQL: a streaming replica (hot standby) that serves the dashboard's and
    /// analysis' read-only queries; empty: none, everything reads the primary.
    pub replica_url: Secret<String>,
    /// Reads go to the replica only while its replay lag is at most this many
    /// milliseconds; otherwise, and while it does not answer, to the primary.
    pub replica_max_lag_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub autoload: bool,
    /// Half a year of the programme's activity with the demo city (`activity`).
    pub activity: bool,
    pub dir: PathBuf,
    pub wechat_standin: bool,
    pub wechat_standin_force: bool,
}

/// The self-inspection report's PDF: the CJK font comes from a system package
/// (`fonts-noto-cjk`), read from `font_path`; face `font_index` of a collection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    pub font_path: PathBuf,
    pub font_index: u32,
    /// Photos per phase (before / after) drawn for each finding.
    pub photos_per_phase: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub format: String,
}

/// Which database the settings select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Every problem found, one line each.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid configuration:")?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Settings {
    /// Loads from the process environment and `file` (default `zhicha.toml`, which
    /// may be absent unless named explicitly).
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigErrors> {
        Self::from_figment(Self::figment(file)?)
    }

    /// The built-in defaults alone.
    pub fn defaults() -> Figment {
        Figment::from(Toml::string(DEFAULTS))
    }

    pub fn figment(file: Option<&Path>) -> Result<Figment, ConfigErrors> {
        let mut f = Self::defaults();
        match file {
            Some(p) if !p.exists() => {
                return Err(ConfigErrors(vec![format!("config file {}: not found", p.display())]));
            }
            Some(p) => f = f.merge(Toml::file_exact(p)),
            None if Path::new("zhicha.toml").exists() => f = f.merge(Toml::file_exact("zhicha.toml")),
            None => {}
        }
        Ok(f.merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database.url".into())).merge(
            Env::prefixed("ZHICHA_")
                // `ZHICHA_CONFIG` names the file; `ZHICHA_TEST_*` belong to the test suite.
                .filter(|k| k != "config" && !k.as_str().to_ascii_lowercase().starts_with("test_"))
                .split("__"),
        ))
    }

    /// Extracts and checks settings from any figment (tests build their own).
    pub fn from_figment(f: Figment) -> Result<Self, ConfigErrors> {
        let settings: Settings = f.extract().map_err(|e| ConfigErrors(e.into_iter().map(describe).collect()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigErrors> {
        let mut errors = Vec::new();
        if self.server.addr.parse::<SocketAddr>().is_err() {
            errors.push(format!("server.addr: {:?} is not an address such as 127.0.0.1:8080", self.server.addr));
        }
        if self.server.max_body_bytes < 1024 {
            errors.push("server.max_body_bytes: must be at least 1024".to_string());
        }
        if let Err(e) = self.backend() {
            errors.push(e);
        }
        if self.cache.timeout_ms == 0 {
            errors.push("cache.timeout_ms: must be at least 1".to_string());
        }
        if self.database.acquire_timeout_ms == 0 {
            errors.push("database.acquire_timeout_ms: must be at least 1".to_string());
        }
        if self.database.max_connections == 0 {
            errors.push("database.max_connections: must be at least 1".to_string());
        }
        errors.extend(self.replica_problems());
        let a = &self.auth;
        if !(1..=120).contains(&a.access_ttl_minutes) {
            errors.push("auth.access_ttl_minutes: must be 1-120 (access tokens live at most 2 h)".to_string());
        }
        if a.refresh_ttl_days < 1 || a.idle_timeout_minutes < 1 || a.lockout_minutes < 1 || a.max_failed_logins < 1 {
            errors.push("auth: refresh_ttl_days, idle_timeout_minutes, lockout_minutes and max_failed_logins must be at least 1".to_string());
        }
        if !(1..=24 * 30).contains(&a.binding_code_hours) {
            errors.push("auth.binding_code_hours: must be 1-720".to_string());
        }
        if !(1..=365).contains(&a.password_max_age_days) {
            errors.push("auth.password_max_age_days: must be 1-365 (MLPS level 3 asks periodic change)".to_string());
        }
        if a.argon2_memory_kib < 8 || a.argon2_iterations < 1 {
            errors.push("auth.argon2_memory_kib / argon2_iterations: too small for argon2id".to_string());
        }
        if self.limits.requests_per_minute == 0 || self.limits.burst == 0 || self.limits.sign_in_per_minute == 0 {
            errors.push("limits: requests_per_minute, burst and sign_in_per_minute must be at least 1".to_string());
        }
        if !(self.wechat.base_url.starts_with("https://") || self.wechat.base_url.starts_with("http://")) {
            errors.push(format!("wechat.base_url: {:?} is not an http(s) URL", self.wechat.base_url));
        }
        let redis = self.cache.redis_url.expose();
        if !(redis.is_empty() || redis.starts_with("redis://")) {
            errors.push(format!("cache.redis_url: {} is not a redis:// URL (TLS is not built in)", redact_url(redis)));
        }
        errors.extend(self.storage.problems());
        errors.extend(self.evidence.problems());
        if !(1024..=1024 * 1024 * 1024).contains(&self.imports.max_bytes)
            || !(1..=366).contains(&self.imports.new_unit_days)
        {
            errors.push("imports: max_bytes 1 KiB-1 GiB, new_unit_days 1-366".to_string());
        }
        if !(1..=36).contains(&self.risk.horizon_months) || self.risk.refit_interval_hours == 0 {
            errors.push("risk: horizon_months 1-36, refit_interval_hours at least 1".to_string());
        }
        if !(100..=60_000).contains(&self.wechat.timeout_ms) {
            errors.push("wechat.timeout_ms: must be 100-60000".to_string());
        }
        if self.idempotency.keep_hours < 24 || self.idempotency.stale_after_seconds < 10 {
            errors.push("idempotency: keep_hours at least 24, stale_after_seconds at least 10".to_string());
        }
        if !(5..=3600).contains(&self.reminders.interval_seconds) || !(1..=20).contains(&self.reminders.max_attempts) {
            errors.push("reminders: interval_seconds 5-3600, max_attempts 1-20".to_string());
        }
        let x = &self.experts;
        if !(1..=24 * 14).contains(&x.accept_hours)
            || !(10.0..=100_000.0).contains(&x.site_radius_m)
            || !(5..=3600).contains(&x.interval_seconds)
        {
            errors.push("experts: accept_hours 1-336, site_radius_m 10-100000, interval_seconds 5-3600".to_string());
        }
        if !(1..=10_080).contains(&self.governance.interval_minutes) {
            errors.push("governance: interval_minutes 1-10080 (a week)".to_string());
        }
        if self.governance.delay_ms > 60_000 {
            errors.push("governance: delay_ms 0-60000".to_string());
        }
        if !(1..=64).contains(&self.governance.max_concurrent) {
            errors.push("governance: max_concurrent 1-64".to_string());
        }
        if !(10..=60_000).contains(&self.audit.seal_every_ms) {
            errors.push("audit: seal_every_ms 10-60000".to_string());
        }
        if !(1..=100_000).contains(&self.audit.seal_batch) {
            errors.push("audit: seal_batch 1-100000".to_string());
        }
        if self.audit.max_lag_seconds == 0 || self.audit.max_lag_seconds * 1000 < self.audit.seal_every_ms {
            errors.push("audit: max_lag_seconds at least 1 and at least seal_every_ms".to_string());
        }
        if !["text", "json"].contains(&self.log.format.as_str()) {
            errors.push(format!("log.format: {:?} is neither \"text\" nor \"json\"", self.log.format));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            errors.push(format!("log.level: {:?} is not a log filter", self.log.level));
        }
        if errors.is_empty() { Ok(()) } else { Err(ConfigErrors(errors)) }
    }

    /// Whether the WeChat stand-in answers sign-ins; an error when it is on with a
    /// production (PostgreSQL) database and not forced, which `serve` refuses.
    pub fn wechat_standin(&self) -> Result<bool, String> {
        let d = &self.demo;
        if d.wechat_standin && !d.wechat_standin_force && self.backend() == Ok(Backend::Postgres) {
            return Err("demo.wechat_standin: the WeChat stand-in signs anyone in with a demo code, so it is refused \
                 with PostgreSQL; set ZHICHA_DEMO__WECHAT_STANDIN=false (and wechat.app_id / app_secret), or \
                 ZHICHA_DEMO__WECHAT_STANDIN_FORCE=true for a throw-away demo"
                .to_string());
        }
        Ok(d.wechat_standin)
    }

    /// A replica is a PostgreSQL hot standby of a PostgreSQL primary.
    fn replica_problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let replica = self.database.replica_url.expose();
        if !replica.is_empty() {
            if !(replica.starts_with("postgres://") || replica.starts_with("postgresql://")) {
                errors.push(format!("database.replica_url: {} is not a postgres:// URL", redact_url(replica)));
            } else if self.backend() != Ok(Backend::Postgres) {
                errors.push(
                    "database.replica_url: a replica needs a PostgreSQL primary (database.url is SQLite)".to_string(),
                );
            }
        }
        if !(1..=3_600_000).contains(&self.database.replica_max_lag_ms) {
            errors.push("database.replica_max_lag_ms: must be 1-3600000 (an hour)".to_string());
        }
        errors
    }

    pub fn backend(&self) -> Result<Backend, String> {
        let url = self.database.url.expose();
        if url.is_empty() || url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(format!("database.url: scheme of {} is neither sqlite:// nor postgres://", redact_url(url)))
        }
    }

    /// The personal-data key file: as configured, or beside the embedded database.
    pub fn key_file(&self) -> PathBuf {
        if self.security.key_file.as_os_str().is_empty() {
            self.database.data_dir.join("zhicha-keys.toml")
        } else {
            self.security.key_file.clone()
        }
    }

    /// The URL to connect to: the configured one, or SQLite under `data_dir`.
    pub fn database_url(&self) -> String {
        let url = self.database.url.expose();
        if url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.database.data_dir.join("zhicha.db").display())
        } else {
            url.clone()
        }
    }
}

/// One line per figment error: the key, what is wrong, and where the value came from.
fn describe(e: figment::Error) -> String {
    let key = if e.path.is_empty() { "(top level)".to_string() } else { e.path.join(".") };
    let from = e.metadata.as_ref().map(|m| match &m.source {
        Some(figment::Source::File(p)) => format!(" (from {})", p.display()),
        _ if m.name.contains("environment") && key == "database.url" => {
            " (from DATABASE_URL or ZHICHA_DATABASE__URL)".to_string()
        }
        _ if m.name.contains("environment") => format!(" (from ZHICHA_{})", e.path.join("__").to_uppercase()),
        _ => format!(" (from {})", m.name),
    });
    let kind = match &e.kind {
        figment::error::Kind::UnknownField(f, _) => format!("unknown key `{f}`"),
        k => k.to_string(),
    };
    format!("{key}: {kind}{}", from.unwrap_or_default())
}

/// A database URL fit for logs: the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
        let mut f = Figment::from(Toml::string(DEFAULTS));
        for (k, v) in pairs {
            f = f.merge(Serialized::default(k, v));
        }
        Settings::from_figment(f)
    }

    #[test]
    fn defaults_are_valid_and_embedded() {
        let s = with(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.backend(), Ok(Backend::Sqlite));
        assert!(s.database_url().ends_with("data/zhicha.db?mode=rwc"));
        assert_eq!(s.key_file(), PathBuf::from("data/zhicha-keys.toml"), "keys beside the embedded database");
    }

    #[test]
    fn each_problem_is_one_line_naming_the_key() {
        let e = with(&[("server.addr", "nowhere"), ("log.format", "xml"), ("database.url", "mysql://u:pw@h/db")])
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("server.addr:"));
        assert!(e[1].starts_with("database.url:") && e[1].contains("u:***@h/db") && !e[1].contains("pw"));
        assert!(e[2].starts_with("log.format:"));
    }

    #[test]
    // figment's Jail fixes the closure's error type.
    #[allow(clippy::result_large_err)]
    fn file_overrides_defaults_and_environment_overrides_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("zhicha.toml", "[server]\naddr = \"0.0.0.0:9000\"\n[log]\nlevel = \"debug\"\n")?;
            jail.set_env("ZHICHA_LOG__LEVEL", "warn");
            jail.set_env("DATABASE_URL", "postgres://zhicha:pw@db/zhicha");
            jail.set_env("ZHICHA_TEST_PG_URL", "postgres://ignored");
            jail.set_env("ZHICHA_TEST_REDIS_URL", "redis://ignored");
            jail.set_env("ZHICHA_TEST_S3_URL", "http://ignored");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.server.addr, "0.0.0.0:9000", "from the file");
            assert_eq!(s.log.level, "warn", "the environment wins over the file");
            assert_eq!(s.backend(), Ok(Backend::Postgres), "DATABASE_URL selects the database");
            assert_eq!(s.database.max_connections, 10, "untouched keys keep their defaults");
            jail.set_env("ZHICHA_SERVER__MAX_BODY_BYTES", "lots");
            let e = Settings::load(None).err().map(|e| e.0).unwrap_or_default();
            assert_eq!(e.len(), 1, "{e:?}");
            assert!(
                e[0].starts_with("server.max_body_bytes:") && e[0].contains("ZHICHA_SERVER__MAX_BODY_BYTES"),
                "{e:?}"
            );
            Ok(())
        });
    }

    #[test]
    fn the_wechat_stand_in_is_refused_with_postgres_unless_forced() {
        let pg = "postgres://zhicha@db/zhicha";
        assert_eq!(with(&[]).map(|s| s.wechat_standin()).ok(), Some(Ok(true)), "on for the embedded demo");
        let e = with(&[("database.url", pg)]).map(|s| s.wechat_standin()).ok();
        assert!(matches!(&e, Some(Err(m)) if m.contains("ZHICHA_DEMO__WECHAT_STANDIN")), "{e:?}");
        let on_pg = |key: &str, v: bool| {
            let f = Figment::from(Toml::string(DEFAULTS))
                .merge(Serialized::default("database.url", pg))
                .merge(Serialized::default(key, v));
            Settings::from_figment(f).map(|s| s.wechat_standin()).ok()
        };
        assert_eq!(on_pg("demo.wechat_standin_force", true), Some(Ok(true)));
        assert_eq!(on_pg("demo.wechat_standin", false), Some(Ok(false)));
    }

    #[test]
    fn a_replica_needs_a_postgres_primary_and_its_url_stays_secret() {
        let replica = "postgres://zhicha:hunter2@standby/zhicha";
        let e = with(&[("database.replica_url", replica)]).err().map(|e| e.0).unwrap_or_default();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("database.replica_url:") && e[0].contains("PostgreSQL primary"), "{e:?}");
        let e = with(&[("database.url", "postgres://zhicha@db/zhicha"), ("database.replica_url", "mysql://u:pw@h/db")])
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(e.len() == 1 && e[0].starts_with("database.replica_url:") && !e[0].contains("pw"), "{e:?}");
        let e = with(&[("database.replica_max_lag_ms", "0")]).err().map(|e| e.0).unwrap_or_default();
        assert!(e.len() == 1 && e[0].starts_with("database.replica_max_lag_ms:"), "{e:?}");
        let s = with(&[("database.url", "postgres://zhicha@db/zhicha"), ("database.replica_url", replica)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.database.replica_max_lag_ms, 5000, "the default bound");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = with(&[("server.port", "8080")]).err().map(|e| e.0).unwrap_or_default();
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("unknown key `port`"), "{e:?}");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = with(&[("database.url", "postgres://zhicha:hunter2@db/zhicha")]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(redact_url(s.database.url.expose()), "postgres://zhicha:***@db/zhicha");
    }
}
