//! Rate limits: 429 with Retry-After per token or IP, a tighter one for sign-in, and
//! health checks exempt.

use serde_json::json;
use zhicha_tests::{Opts, TestApp, both};

use crate::support;

both!(rate_limited, Opts { limits: Some((60, 3, 2)), ..Default::default() }, async |app: &TestApp| {
    let get = || app.client.get(app.url("/v1/codes/region")).send();
    for _ in 0..3 {
        assert_eq!(get().await.unwrap().status(), 200);
    }
    let res = get().await.unwrap();
    let retry: u64 =
        res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    let e = support::error(res, 429, "rate_limited").await;
    assert!(retry >= 1 && e["details"]["retry_after_seconds"] == retry, "{e} / {retry}");
    // Health checks are never limited.
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    // Another caller (a token, even a bad one) has its own bucket.
    let other = app.client.get(app.url("/v1/codes/region")).bearer_auth(format!("zat_{}", "1".repeat(64))).send();
    assert_eq!(other.await.unwrap().status(), 200);
});

// Sign-in has a tighter limit per IP than the general one.
both!(sign_in_limited, Opts { limits: Some((60, 10, 2)), ..Default::default() }, async |app: &TestApp| {
    let login = || app.client.post(app.url("/auth/login")).json(&json!({ "username": "x", "password": "y" })).send();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(login().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 429]);
});

/// With Redis, two instances of the service share one bucket per caller: what one
/// admitted counts against the other, and sign-in limits hold across both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_buckets_are_shared_between_instances() {
    let prefix = format!("zhicha-test-{}:", uuid::Uuid::new_v4().simple());
    let opts = Opts { limits: Some((60, 3, 2)), redis_prefix: Some(prefix.clone()), ..Default::default() };
    let Some(a) = TestApp::spawn(zhicha_tests::Backend::Sqlite, opts.clone()).await else {
        println!("skipped: redis (set {})", zhicha_tests::REDIS_URL_VAR);
        return;
    };
    let b = TestApp::spawn(zhicha_tests::Backend::Sqlite, opts).await.unwrap();
    // One caller (a token: its own bucket, apart from the IP's) on both instances.
    let token = format!("zat_{}", "2".repeat(64));
    let get = |app: &TestApp| app.client.get(app.url("/v1/codes/region")).bearer_auth(&token).send();
    assert_eq!(get(&a).await.unwrap().status(), 200);
    assert_eq!(get(&b).await.unwrap().status(), 200);
    assert_eq!(get(&a).await.unwrap().status(), 200);
    let res = get(&b).await.unwrap();
    let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    support::error(res, 429, "rate_limited").await;
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    // Sign-in: two per minute per IP, across both instances.
    let login = |app: &TestApp| {
        app.client.post(app.url("/auth/login")).json(&json!({ "username": "x", "password": "y" })).send()
    };
    assert_eq!(login(&a).await.unwrap().status(), 401);
    assert_eq!(login(&b).await.unwrap().status(), 401);
    assert_eq!(login(&a).await.unwrap().status(), 429);
    a.cleanup().await;
    b.cleanup().await;
}
