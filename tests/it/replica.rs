//! The dashboard and the analysis read from a PostgreSQL replica when one is configured
//! and within its lag bound, and from the primary otherwise; the answers are the same.
//! PostgreSQL only (skipped without `ZHICHA_TEST_PG_URL`). A real streaming replica is
//! exercised by the multi-instance script; here the test database stands in as its own
//! replica (a server not in recovery has no lag), or the replica is a closed port.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use zhicha_tests::{Backend, Opts, REPLICA_APP_NAME, TestApp, TestReplica, demo_enterprise_keys};

use crate::fault_proxy::FaultProxy;
use crate::findings::{get, mp_token, post};
use crate::wechat::staff_token;

fn opts(replica: TestReplica) -> Opts {
    Opts { standin: true, limits: Some((6000, 1000, 1000)), replica: Some(replica), ..Default::default() }
}

/// The city's summary as the primary computes it, bypassing the read handle and the cache.
async fn on_primary(app: &TestApp) -> Value {
    let s = zhicha_api::oversight::dashboard::summary(&app.db, "640200", "6402").await.unwrap();
    serde_json::to_value(s).unwrap()
}

/// Sessions of the replica's pool (its connections carry their own application name)
/// whose last statement was something other than the lag measurement.
async fn replica_sessions_that_read(app: &TestApp) -> i64 {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_stat_activity \
         WHERE application_name = '{REPLICA_APP_NAME}' AND datname = current_database() \
         AND query <> '' AND query NOT LIKE '%pg_is_in_recovery%'"
    );
    let row = app.db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_analysis_read_from_a_replica_and_answer_as_the_primary_does() {
    let Some(app) = TestApp::spawn(Backend::Postgres, opts(TestReplica::ItsOwnDatabase)).await else {
        println!("skipped: postgres (set {})", zhicha_tests::PG_URL_VAR);
        return;
    };
    assert!(app.state.read.on_replica(), "a server not in recovery measures lag 0: the replica is used");
    app.ensure_demo().await;
    let city = staff_token(&app, "hrss.city").await;
    let (officer, _) = mp_token(&app, "demo-officer-e02").await;
    let (s, f) = post(
        &app,
        "/mp/findings",
        &officer,
        json!({"client_id": "replica-0001-e02", "location": "锅炉房", "description": "安全阀未校验",
               "grade": "general", "submit": true}),
    )
    .await;
    assert_eq!(s, 201, "{f}");

    // A measurement now, so the summary below starts none (one a second at most) and the
    // last statement on the replica's connections is the summary's own.
    let _ = app.state.read.pick();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.state.read.on_replica(), "measured again, still within the bound");
    assert_eq!(replica_sessions_that_read(&app).await, 0, "so far only the lag was measured there");
    let (s, summary) = get(&app, "/gov/dashboard/summary", &city).await;
    assert_eq!(s, 200, "{summary}");
    assert!(replica_sessions_that_read(&app).await >= 1, "the summary was read through the replica's pool");
    assert_eq!(summary, on_primary(&app).await, "the replica's answer is the primary's");
    assert!(summary["found"].as_i64() >= Some(1), "the write is there: {summary}");

    let (s, list) = get(&app, "/gov/dashboard/enterprises?per_page=5", &city).await;
    assert_eq!((s, &list["total"]), (200, &json!(demo_enterprise_keys().len())), "{list}");
    let (s, report) = get(&app, "/gov/analysis/report", &city).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["region_code"], "640200", "{report}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let _ = app.state.read.pick();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.state.read.on_replica(), "still within the bound");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_is_served_by_the_primary_when_the_replica_is_unreachable_at_start() {
    let started = Instant::now();
    let Some(app) = TestApp::spawn(Backend::Postgres, opts(TestReplica::ClosedPort)).await else {
        println!("skipped: postgres (set {})", zhicha_tests::PG_URL_VAR);
        return;
    };
    assert!(started.elapsed() < Duration::from_secs(20), "start-up is not held up by the replica");
    assert!(!app.state.read.on_replica(), "an unreachable replica is not used");
    app.ensure_demo().await;
    let city = staff_token(&app, "hrss.city").await;
    for _ in 0..3 {
        let asked = Instant::now();
        let (s, summary) = get(&app, "/gov/dashboard/summary", &city).await;
        assert_eq!(s, 200, "{summary}");
        assert_eq!(summary, on_primary(&app).await);
        assert!(asked.elapsed() < Duration::from_secs(3), "no request waits for the replica");
        // Past the measurement interval: the next request starts a fresh (failing) check.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let (s, report) = get(&app, "/gov/analysis/report", &city).await;
    assert_eq!(s, 200, "{report}");
    assert!(!app.state.read.on_replica());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_falls_back_to_the_primary_when_the_replica_goes_away_and_returns_to_it() {
    let Some(admin) = zhicha_tests::pg_admin_url() else {
        println!("skipped: postgres (set {})", zhicha_tests::PG_URL_VAR);
        return;
    };
    let (proxy, _) = FaultProxy::for_url(&admin).await;
    let replica = TestReplica::ItsOwnDatabaseThrough(proxy.addr.port());
    let Some(app) = TestApp::spawn(Backend::Postgres, opts(replica)).await else { return };
    assert!(app.state.read.on_replica(), "the replica answers through the proxy");
    app.ensure_demo().await;
    let city = staff_token(&app, "hrss.city").await;
    // A fresh measurement, so the next request trusts the replica without measuring.
    let _ = app.state.read.pick();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.state.read.on_replica());
    let (s, list) = get(&app, "/gov/dashboard/enterprises?per_page=5", &city).await;
    assert_eq!((s, &list["total"]), (200, &json!(demo_enterprise_keys().len())), "{list}");

    // The replica goes away between measurements: the read it fails is answered by the
    // primary, within the replica pool's one-second wait, and the replica is dropped.
    proxy.stop();
    let asked = Instant::now();
    let (s, list) = get(&app, "/gov/dashboard/enterprises?per_page=5", &city).await;
    assert_eq!((s, &list["total"]), (200, &json!(demo_enterprise_keys().len())), "{list}");
    assert!(asked.elapsed() < Duration::from_secs(4), "took {:?}", asked.elapsed());
    assert!(!app.state.read.on_replica(), "a failed read takes the replica out of use");
    let (s, summary) = get(&app, "/gov/dashboard/summary", &city).await;
    assert_eq!(s, 200, "{summary}");
    assert_eq!(summary, on_primary(&app).await);

    // Back: the next measurement puts it in use again.
    proxy.resume().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let _ = app.state.read.pick();
    let mut back = false;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        back = app.state.read.on_replica();
        if back {
            break;
        }
    }
    assert!(back, "the replica is used again once it answers within the bound");
    app.cleanup().await;
}
