//! Every migration runs up, down and up again, leaving the same schema.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use zhicha_migrations::{Migrator, MigratorTrait};
use zhicha_tests::{TestDb, both};

const KEY_TABLES: &[&str] = &[
    "enterprises",
    "accidents",
    "import_runs",
    "findings",
    "finding_transitions",
    "escalations",
    "outbox",
    "idempotency_keys",
    "audit_log",
];

/// The user tables, sorted.
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

/// The whole schema as text (tables, columns with types, nullability and defaults,
/// indexes), Lemmy-style, so up → down → up must reproduce it exactly.
async fn schema(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT coalesce(sql, name) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') \
             FROM information_schema.columns WHERE table_schema = 'public' \
             UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        }
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

both!(db up_down_up, async |t: &TestDb| {
    let db = t.connect().await;
    assert!(tables(&db).await.is_empty(), "a fresh database");

    Migrator::up(&db, None).await.unwrap();
    let first = tables(&db).await;
    for key in KEY_TABLES {
        assert!(first.iter().any(|t| t == key), "table {key} missing from {first:?}");
    }
    assert!(first.iter().any(|t| t == "seaql_migrations"));
    assert!(Migrator::get_pending_migrations(&db).await.unwrap().is_empty());
    let first_schema = schema(&db).await;
    assert!(first_schema.len() > 60, "tables, columns and indexes: {}", first_schema.len());

    Migrator::reset(&db).await.unwrap();
    let after_reset = tables(&db).await;
    assert!(
        after_reset.is_empty() || after_reset == ["seaql_migrations"],
        "after reset only seaql_migrations may remain: {after_reset:?}"
    );

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(tables(&db).await, first, "up after reset gives the same tables");
    assert_eq!(schema(&db).await, first_schema, "up after reset gives the same columns and indexes");
    let _ = db.close().await;
});
