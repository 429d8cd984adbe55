//! Connecting to the configured database and bringing its schema up to date.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;
use zhicha_migrations::Migrator;

use crate::config::{Backend, Settings, redact_url};

pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    if settings.backend().map_err(anyhow::Error::msg)? == Backend::Sqlite && settings.database.url.expose().is_empty() {
        std::fs::create_dir_all(&settings.database.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", settings.database.data_dir.display()))?;
    }
    let busy = Duration::from_millis(settings.database.busy_timeout_ms);
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(settings.database.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        // WAL lets the dashboard read while an officer writes; foreign keys are off
        // in SQLite unless asked for.
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(busy)
        });
    Database::connect(opts).await.map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", redact_url(&url)))
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}
