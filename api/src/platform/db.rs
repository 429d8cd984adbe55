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
    let _ = WRITER_WAIT.set(busy);
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(settings.database.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_millis(settings.database.acquire_timeout_ms))
        // A connection in steady use is not pinged before each statement (a round trip
        // apiece, doubling a write's); one idle for a second is, so a server restart
        // is still noticed before a request meets a dead connection.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
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
        format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_seal FROM {role}"),
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

/// Begins a transaction that will write. On SQLite it first waits its turn in the
/// database's writer queue ([`super::writer`]), then takes the write lock at `BEGIN
/// IMMEDIATE`, so it never fails with `SQLITE_BUSY_SNAPSHOT` when a deferred transaction
/// upgrades from reading to writing after another commit; PostgreSQL ignores both. Call
/// it on a connection, not inside a transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<super::writer::Write, sea_orm::DbErr> {
    let turn = super::writer::turn(db, *WRITER_WAIT.get().unwrap_or(&Duration::from_secs(5))).await?;
    Ok(super::writer::Write::new(begin_write_in(db).await?, turn))
}

/// [`begin_write`] for code that may be handed a transaction already (then this is a
/// savepoint in it) or a connection: no queue, since the caller's transaction, if any,
/// holds the turn.
pub async fn begin_write_in<C: sea_orm::TransactionTrait>(db: &C) -> Result<C::Transaction, sea_orm::DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Takes the transaction-scoped advisory lock `keys` (one `bigint`, or two `int`s) on
/// PostgreSQL: waiting for it with `wait`, else only trying. True when held (always on
/// SQLite, whose writer queue already serialises writes). Released at commit or rollback.
pub async fn xact_lock(db: &impl ConnectionTrait, keys: &[i64], wait: bool) -> Result<bool, sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let args = keys.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    if wait {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({args})")).await?;
        return Ok(true);
    }
    let sql = format!("SELECT pg_try_advisory_xact_lock({args}) AS locked");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(row.and_then(|r| r.try_get::<bool>("", "locked").ok()).unwrap_or(false))
}

/// How long a write waits for its turn on SQLite: `database.busy_timeout_ms`, set once
/// at connection.
static WRITER_WAIT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

// Which failures are transient is the error layer's judgement (`crate::db_error`), kept
// apart so `error` does not depend on `platform`.
pub use crate::db_error::{Transient, transient};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ApiError, ErrorCode};

    async fn sqlite(url: &str) -> DatabaseConnection {
        let mut opts = ConnectOptions::new(url.to_string());
        // No waiting for the lock: contention shows at once.
        opts.max_connections(1)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| o.journal_mode(SqliteJournalMode::Wal).busy_timeout(Duration::ZERO));
        Database::connect(opts).await.unwrap()
    }

    #[tokio::test]
    async fn a_write_lock_held_past_the_busy_timeout_is_busy_not_internal() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let (a, b) = (sqlite(&url).await, sqlite(&url).await);
        a.execute_unprepared("CREATE TABLE t (x INTEGER)").await.unwrap();
        let holding = begin_write(&a).await.unwrap();
        holding.execute_unprepared("INSERT INTO t VALUES (1)").await.unwrap();

        // SQLite's own answer, through the driver, as a request would meet it.
        let err = b.execute_unprepared("INSERT INTO t VALUES (2)").await.unwrap_err();
        assert_eq!(transient(&err), Some(Transient::Busy), "{err:?}");
        let api = ApiError::from(err);
        assert_eq!(api.code, ErrorCode::Busy);
        assert_eq!(api.code.status().as_u16(), 503);
        assert_eq!(api.details["retry_after_seconds"], 1);
        let err = begin_write(&b).await.map(|_| ()).unwrap_err();
        assert_eq!(ApiError::from(err).code, ErrorCode::Busy, "BEGIN IMMEDIATE meets it too");
        // Wrapped in another error on its way up, it is still not a 500.
        let err = b.execute_unprepared("INSERT INTO t VALUES (3)").await.unwrap_err();
        let wrapped = anyhow::Error::new(err).context("recording the finding");
        assert_eq!(ApiError::internal(wrapped).code, ErrorCode::Busy);

        holding.commit().await.unwrap();
        b.execute_unprepared("INSERT INTO t VALUES (2)").await.unwrap();
    }

    #[tokio::test]
    async fn sqlite_writers_take_turns_in_arrival_order() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("q.db").display());
        // Nine connections and busy timeout zero: without the queue the second writer
        // would fail at once rather than wait.
        let mut opts = ConnectOptions::new(url.clone());
        opts.max_connections(9)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| o.journal_mode(SqliteJournalMode::Wal).busy_timeout(Duration::ZERO));
        let db = Database::connect(opts).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (x INTEGER)").await.unwrap();
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let first = begin_write(&db).await.unwrap();
        let mut waiting = Vec::new();
        for n in 1..=8 {
            let (db, order) = (db.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let w = begin_write(&db).await.unwrap();
                w.execute_unprepared(&format!("INSERT INTO t VALUES ({n})")).await.unwrap();
                order.lock().unwrap().push(n);
                w.commit().await.unwrap();
            }));
            // Each is queued before the next arrives.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.commit().await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (1..=8).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_database_out_of_reach_is_unavailable_and_a_bad_query_is_internal() {
        // A port nobody listens on: connection refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut opts = ConnectOptions::new(format!("postgres://nobody@127.0.0.1:{port}/none"));
        opts.connect_timeout(Duration::from_secs(2)).sqlx_logging(false);
        let err = Database::connect(opts).await.unwrap_err();
        assert_eq!(transient(&err), Some(Transient::Unavailable), "{err:?}");
        let api = ApiError::from(err);
        assert_eq!((api.code, api.details["retry_after_seconds"].as_u64()), (ErrorCode::DatabaseUnavailable, Some(5)));

        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())).await;
        let err = db.execute_unprepared("SELECT * FROM no_such_table").await.unwrap_err();
        assert_eq!(transient(&err), None);
        assert_eq!(ApiError::from(err).code, ErrorCode::Internal);
    }
}
