//! The audit trail: append-only, hash-chained, and `verify` names the first record
//! that was altered or removed.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use zhicha_api::platform::audit::{self, Entry, Outcome, Verdict};
use zhicha_tests::{TestApp, both};

fn entry(n: usize) -> Entry {
    Entry {
        actor_id: Some(n as i64),
        actor_role: "hrss_bureau".into(),
        organisation_id: Some(1),
        action: "enterprise.read".into(),
        object_kind: "enterprise".into(),
        object_id: Some(format!("{n}")),
        enterprise_id: Some(n as i64),
        region_code: Some("640200".into()),
        outcome: if n.is_multiple_of(5) { Outcome::Denied } else { Outcome::Ok },
        request_id: Some(format!("req{n:08}")),
        ip: Some("127.0.0.1".into()),
        detail: Some(format!("{{\"n\":{n},\"note\":\"读取\"}}")),
    }
}

async fn exec(app: &TestApp, sql: &str) -> Result<u64, sea_orm::DbErr> {
    app.db.execute_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.map(|r| r.rows_affected())
}

/// Lifts the append-only guard, as only someone with the database's keys could.
async fn disable_guard(app: &TestApp) {
    match app.db.get_database_backend() {
        DbBackend::Postgres => exec(app, "ALTER TABLE audit_log DISABLE TRIGGER USER").await.unwrap(),
        _ => {
            exec(app, "DROP TRIGGER audit_log_no_update").await.unwrap();
            exec(app, "DROP TRIGGER audit_log_no_delete").await.unwrap()
        }
    };
}

both!(audit_chain, async |app: &TestApp| {
    // Concurrent appends must not fork the chain.
    let mut handles = Vec::new();
    for n in 1..=20 {
        let db = app.db.clone();
        handles.push(tokio::spawn(async move { audit::append(&db, entry(n)).await.map(|r| r.seq) }));
    }
    let mut seqs: Vec<i64> = Vec::new();
    for h in handles {
        seqs.push(h.await.unwrap().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=20).collect::<Vec<i64>>());
    assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { records: 20 });

    // The application cannot change or remove what was written.
    assert!(exec(app, "UPDATE audit_log SET action = 'x' WHERE seq = 3").await.is_err());
    assert!(exec(app, "DELETE FROM audit_log WHERE seq = 3").await.is_err());
    assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { records: 20 });

    // Someone with the keys alters record 10: verify names it.
    disable_guard(app).await;
    exec(app, "UPDATE audit_log SET action = 'enterprise.export' WHERE seq = 10").await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq, id, reason } => {
            assert_eq!(seq, 10);
            assert!(id.is_some());
            assert!(reason.contains("altered"), "{reason}");
        }
        v => panic!("tampering went unnoticed: {v:?}"),
    }
});

both!(audit_removal, async |app: &TestApp| {
    for n in 1..=5 {
        audit::append(&app.db, entry(n)).await.unwrap();
    }
    disable_guard(app).await;
    exec(app, "DELETE FROM audit_log WHERE seq = 3").await.unwrap();
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Broken { seq: 4, .. }));
    // Removing the tail is caught by the head.
    exec(app, "DELETE FROM audit_log WHERE seq >= 3").await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { id: None, seq: 5, reason } => assert!(reason.contains("removed"), "{reason}"),
        v => panic!("{v:?}"),
    }
});

/// `url` signing in as `user` with its password instead.
fn as_user(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{password}@{rest}")
}

/// On PostgreSQL the service runs as a role of its own: it appends to the trail but
/// cannot change, delete or truncate records, nor switch the guard triggers off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_role_cannot_rewrite_the_trail() {
    let Some(db) = zhicha_tests::TestDb::create(zhicha_tests::Backend::Postgres).await else {
        println!("skipped: postgres (set {})", zhicha_tests::PG_URL_VAR);
        return;
    };
    let role = format!("zhicha_app_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let admin = zhicha_tests::admin_connect(&zhicha_tests::pg_admin_url().unwrap()).await.unwrap();
    admin.execute_unprepared(&format!("CREATE ROLE {role} LOGIN PASSWORD '{role}'")).await.unwrap();
    let owner = db.connect().await;
    zhicha_api::platform::db::migrate(&owner, Some(&role)).await.unwrap();
    owner.close().await.unwrap();

    // The whole service starts as that role, without migrating, and writes the trail.
    let keys = tempfile::tempdir().unwrap();
    let mut settings =
        TestApp::settings(&as_user(&db.url, &role, &role), &Default::default(), &keys.path().join("k.toml"));
    settings.database.migrate_on_start = false;
    let app = zhicha_api::startup::Application::build(settings).await.unwrap_or_else(|e| panic!("{e:#}"));
    let conn = app.state.db.clone();
    let server = app.into_server();
    let handle = server.handle();
    tokio::spawn(server);
    handle.stop(false).await;
    for n in 1..=3 {
        audit::append(&conn, entry(n)).await.unwrap();
    }
    let pg = |sql: &str| Statement::from_string(DbBackend::Postgres, sql);
    for sql in [
        "UPDATE audit_log SET detail = 'x' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DELETE FROM seaql_migrations",
    ] {
        let e = conn.execute_raw(pg(sql)).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("permission denied") || e.contains("must be owner"), "{sql}: {e}");
    }
    assert_eq!(audit::verify(&conn).await.unwrap(), Verdict::Intact { records: 3 });
    conn.close().await.unwrap();
    db.cleanup().await;
    admin.execute_unprepared(&format!("DROP ROLE {role}")).await.unwrap();
}
