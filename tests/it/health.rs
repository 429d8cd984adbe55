//! Liveness, readiness and request ids.

use zhicha_tests::{TestApp, both};

use crate::support;

both!(healthz, async |app: &TestApp| {
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    let (status, id, body) = support::json(res).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
    assert!(!id.is_empty(), "every response carries x-request-id");
});

both!(readyz, async |app: &TestApp| {
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    let (status, id, body) = support::json(res).await;
    assert_eq!(status, 200, "{body}");
    assert!(!id.is_empty());
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.backend.name());
    let rules = body["rules"].as_array().unwrap_or_else(|| panic!("rules: {body}"));
    assert!(!rules.is_empty(), "{body}");
    assert!(
        rules.iter().all(|r| r["table"].is_string() && r["version"].as_str().is_some_and(|v| !v.is_empty())),
        "{body}"
    );
    assert_eq!(body["audit"]["stalled"], false, "{body}");
});

// The running server's sealer chains what writes append, within moments, and /readyz
// shows the backlog going to zero.
both!(readyz_reports_the_audit_sealer_catching_up, async |app: &TestApp| {
    let entry = zhicha_api::platform::audit::Entry {
        actor_id: None,
        actor_role: "system".into(),
        organisation_id: None,
        action: "test.mark".into(),
        object_kind: "test".into(),
        object_id: None,
        enterprise_id: None,
        region_code: None,
        outcome: zhicha_api::platform::audit::Outcome::Ok,
        request_id: None,
        ip: None,
        detail: None,
    };
    let mark = zhicha_api::platform::audit::append(&app.db, entry).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let res = app.client.get(app.url("/readyz")).send().await.unwrap();
        let (_, _, body) = support::json(res).await;
        if body["audit"]["waiting"] == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the sealer did not catch up: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    match zhicha_api::platform::audit::verify(&app.db).await.unwrap() {
        zhicha_api::platform::audit::Verdict::Intact { records, .. } => assert!(records >= 1, "{mark:?}"),
        v => panic!("{v:?}"),
    }
});

both!(request_id, async |app: &TestApp| {
    // A well-formed id from the client is echoed back.
    let res = app.client.get(app.url("/healthz")).header("X-Request-Id", "abcdef123456").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abcdef123456");
    // A malformed one is replaced by a fresh id.
    let res = app.client.get(app.url("/healthz")).header("X-Request-Id", "bad id!").send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id, "bad id!");
    assert!(id.len() >= 8 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    // Two requests, two ids.
    let a = app.client.get(app.url("/healthz")).send().await.unwrap();
    let b = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
    // Error bodies carry the client's id too.
    let res = app.client.get(app.url("/no/such/route")).header("X-Request-Id", "abcdef123456").send().await.unwrap();
    let e = support::error(res, 404, "not_found").await;
    assert_eq!(e["request_id"], "abcdef123456");
});

// The operator's view when the database goes away: /readyz says so with 503 and a
// Retry-After, /healthz still answers, and nothing internal leaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_a_lost_database_postgres() {
    let Some(app) = TestApp::spawn(zhicha_tests::Backend::Postgres, zhicha_tests::Opts::default()).await else {
        println!("skipped: postgres (set {})", zhicha_tests::PG_URL_VAR);
        return;
    };
    let url = app.state.settings.database_url();
    let name = url.rsplit('/').next().unwrap_or_default().split('?').next().unwrap_or_default().to_string();
    let admin = zhicha_tests::admin_connect(&zhicha_tests::pg_admin_url().unwrap()).await.unwrap();
    use sea_orm::ConnectionTrait;
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        .await
        .unwrap();

    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_string());
    let (status, _, body) = support::json(res).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    assert_eq!(retry.as_deref(), Some("5"));
    assert!(!body.to_string().contains(&name), "no internals in the body: {body}");
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the process is still up");

    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true")).await.unwrap();
    let _ = admin.close().await;
    app.cleanup().await;
}
