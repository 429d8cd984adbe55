//! Connecting to the configured database and bringing its schema up to date.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
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

/// Brings the schema up to date; on PostgreSQL, then grants `app_role` what the
/// service needs (see [`grant_app_role`]).
pub async fn migrate(db: &DatabaseConnection, app_role: Option<&str>) -> anyhow::Result<()> {
    Migrator::up(db, None).await.map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if let Some(role) = app_role.filter(|r| !r.is_empty()) {
        grant_app_role(db, role).await?;
    }
    Ok(())
}

/// Refuses to serve a schema that is behind the code (when start-up does not migrate).
pub async fn ensure_migrated(db: &DatabaseConnection) -> anyhow::Result<()> {
    // Read the table directly: the migrator's own check first tries to create it,
    // which a role without CREATE on the schema may not.
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT version FROM seaql_migrations"))
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the applied migrations (run `zhicha migrate` first): {e}"))?;
    let applied: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String>("", "version").ok()).collect();
    let pending: Vec<String> =
        Migrator::migrations().iter().map(|m| m.name().to_string()).filter(|n| !applied.contains(n)).collect();
    if !pending.is_empty() {
        anyhow::bail!(
            "{} migrations are pending ({}); run `zhicha migrate` as the schema owner first",
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(())
}

/// Grants the service's own PostgreSQL role (not the schema owner) what it needs and
/// no more: it reads and writes the tables, but only appends to the audit trail and
/// cannot disable its triggers (only the owner can). Run as the owner after each
/// migration; repeating it is harmless.
pub async fn grant_app_role(db: &DatabaseConnection, role: &str) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let ok = role.len() <= 63
        && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && role.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        anyhow::bail!("database.app_role: {role:?} is not a plain lower-case role name");
    }
    let statements = [
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role}"),
        format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON seaql_migrations FROM {role}"),
    ];
    for sql in statements {
        db.execute_unprepared(&sql).await.map_err(|e| anyhow::anyhow!("{sql}: {e}"))?;
    }
    Ok(())
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN
/// IMMEDIATE`, so a concurrent writer makes it wait (`busy_timeout`) instead of failing
/// with `SQLITE_BUSY_SNAPSHOT` when a deferred transaction upgrades from reading to
/// writing after another commit; PostgreSQL ignores the mode. Call it on a connection,
/// not inside a transaction.
pub async fn begin_write<C: sea_orm::TransactionTrait>(db: &C) -> Result<C::Transaction, sea_orm::DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
