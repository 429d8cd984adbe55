//! The audit trail: append-only, chained by the sealer, and `verify` names the first
//! record that was altered, removed or slipped in around the trail.

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
        DbBackend::Postgres => {
            exec(app, "ALTER TABLE audit_log DISABLE TRIGGER USER").await.unwrap();
            exec(app, "ALTER TABLE audit_seal DISABLE TRIGGER USER").await.unwrap()
        }
        _ => {
            for t in ["audit_log_no_update", "audit_log_no_delete", "audit_seal_no_update", "audit_seal_no_delete"] {
                exec(app, &format!("DROP TRIGGER {t}")).await.unwrap();
            }
            0
        }
    };
}

/// The record id sealed at `seq`.
async fn record_at(app: &TestApp, seq: i64) -> i64 {
    let sql = format!("SELECT audit_id FROM audit_seal WHERE seq = {seq}");
    let row = app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "audit_id").unwrap()
}

fn intact(records: u64) -> impl Fn(&Verdict) -> bool {
    move |v| matches!(v, Verdict::Intact { records: r, waiting: 0, .. } if *r == records)
}

both!(audit_chain, async |app: &TestApp| {
    // Concurrent appends wait for nothing; concurrent sealers must not fork the chain.
    let mut handles = Vec::new();
    for n in 1..=20 {
        let db = app.db.clone();
        handles.push(tokio::spawn(async move { audit::append(&db, entry(n)).await.map(|r| r.id) }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Intact { records: 0, waiting: 20, .. } => {}
        v => panic!("20 records wait for the sealer: {v:?}"),
    }
    let sealers: Vec<_> = (0..4)
        .map(|_| {
            let db = app.db.clone();
            tokio::spawn(async move { audit::seal(&db, 7).await })
        })
        .collect();
    for s in sealers {
        s.await.unwrap().unwrap();
    }
    // Whatever the racing sealers left (a skipped one on PostgreSQL) is sealed now.
    audit::seal_all(&app.db).await.unwrap();
    let v = audit::verify(&app.db).await.unwrap();
    assert!(intact(20)(&v), "{v:?}");

    // The application cannot change or remove what was written, nor its seals.
    let tenth = record_at(app, 10).await;
    assert!(exec(app, &format!("UPDATE audit_log SET action = 'x' WHERE id = {tenth}")).await.is_err());
    assert!(exec(app, &format!("DELETE FROM audit_log WHERE id = {tenth}")).await.is_err());
    assert!(exec(app, "UPDATE audit_seal SET hash = 'x' WHERE seq = 3").await.is_err());
    assert!(exec(app, "DELETE FROM audit_seal WHERE seq = 3").await.is_err());
    let v = audit::verify(&app.db).await.unwrap();
    assert!(intact(20)(&v), "{v:?}");

    // Someone with the keys alters the record sealed at 10: verify names it.
    disable_guard(app).await;
    exec(app, &format!("UPDATE audit_log SET action = 'enterprise.export' WHERE id = {tenth}")).await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq, id, reason } => {
            assert_eq!((seq, id), (10, Some(tenth)));
            assert!(reason.contains("altered"), "{reason}");
        }
        v => panic!("tampering went unnoticed: {v:?}"),
    }
});

both!(audit_removal, async |app: &TestApp| {
    for n in 1..=5 {
        audit::append(&app.db, entry(n)).await.unwrap();
    }
    assert_eq!(audit::seal_all(&app.db).await.unwrap(), 5);
    disable_guard(app).await;
    let third = record_at(app, 3).await;
    exec(app, &format!("DELETE FROM audit_log WHERE id = {third}")).await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq: 3, reason, .. } => assert!(reason.contains("removed"), "{reason}"),
        v => panic!("{v:?}"),
    }
    // Removing a seal in the middle breaks the sequence; removing the tail is caught by the head.
    exec(app, "DELETE FROM audit_seal WHERE seq = 2").await.unwrap();
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Broken { seq: 3, .. }));
    exec(app, "DELETE FROM audit_seal WHERE seq >= 2").await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { id: None, seq: 5, reason } => assert!(reason.contains("removed"), "{reason}"),
        v => panic!("{v:?}"),
    }
});

both!(audit_records_around_the_trail, async |app: &TestApp| {
    for n in 1..=3 {
        audit::append(&app.db, entry(n)).await.unwrap();
    }
    audit::seal_all(&app.db).await.unwrap();
    // A record waiting for the sealer is reported, not broken.
    let waiting = audit::append(&app.db, entry(4)).await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Intact { records: 3, waiting: 1, .. } => {}
        v => panic!("{v:?}"),
    }
    // Taken off the queue, it would never be sealed: verify names it.
    exec(app, &format!("DELETE FROM audit_unsealed WHERE audit_id = {}", waiting.id)).await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { id, reason, .. } => {
            assert_eq!(id, Some(waiting.id));
            assert!(reason.contains("neither sealed nor waiting"), "{reason}");
        }
        v => panic!("{v:?}"),
    }
    // Put back, it is sealed after the others and the trail is whole again.
    exec(app, &format!("INSERT INTO audit_unsealed (audit_id) VALUES ({})", waiting.id)).await.unwrap();
    assert_eq!(audit::seal_all(&app.db).await.unwrap(), 1);
    let v = audit::verify(&app.db).await.unwrap();
    assert!(intact(4)(&v), "{v:?}");
    // A sealed record queued again would be chained twice.
    exec(app, &format!("INSERT INTO audit_unsealed (audit_id) VALUES ({})", waiting.id)).await.unwrap();
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Broken { .. }));
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
    // The sealer runs as the service's role too.
    assert_eq!(audit::seal_all(&conn).await.unwrap(), 3);
    let pg = |sql: &str| Statement::from_string(DbBackend::Postgres, sql);
    for sql in [
        "UPDATE audit_log SET detail = 'x' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 3",
        "TRUNCATE audit_log",
        "UPDATE audit_seal SET hash = 'x' WHERE seq = 2",
        "DELETE FROM audit_seal WHERE seq = 3",
        "TRUNCATE audit_seal",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE audit_seal DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TRIGGER audit_log_enqueue ON audit_log",
        "DELETE FROM seaql_migrations",
    ] {
        let e = conn.execute_raw(pg(sql)).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("permission denied") || e.contains("must be owner"), "{sql}: {e}");
    }
    let v = audit::verify(&conn).await.unwrap();
    assert!(intact(3)(&v), "{v:?}");
    conn.close().await.unwrap();
    db.cleanup().await;
    admin.execute_unprepared(&format!("DROP ROLE {role}")).await.unwrap();
}
