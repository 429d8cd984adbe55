//! Rate limits: 429 with Retry-After per verified token or IP, a tighter one for
//! sign-in, and health checks exempt.

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
    // A made-up bearer string buys no bucket of its own: it is charged to the IP.
    let other = app.client.get(app.url("/v1/codes/region")).bearer_auth(format!("zat_{}", "1".repeat(64))).send();
    support::error(other.await.unwrap(), 429, "rate_limited").await;
});

// Only a token the guard has resolved gets a bucket apart from its IP's; random bearer
// strings (once a way to get a fresh bucket per request) are all charged to the IP.
both!(
    made_up_tokens_share_the_ip_bucket,
    Opts { demo: true, standin: true, limits: Some((1, 3, 10)), ..Default::default() },
    async |app: &TestApp| {
        let me = |token: &str| app.client.get(app.url("/auth/me")).bearer_auth(token.to_string()).send();
        // Sign-in (1 of the IP's 3) and the token's first use (2, in `mp_token`), charged
        // to the IP; the guard then resolved it: from here on it has a bucket of its own.
        let (officer, _) = crate::findings::mp_token(app, "demo-officer-e01").await;
        assert_eq!(me(&officer).await.unwrap().status(), 200);
        let junk = || format!("junk-{}", uuid::Uuid::new_v4());
        assert_eq!(me(&junk()).await.unwrap().status(), 401);
        for _ in 0..20 {
            support::error(me(&junk()).await.unwrap(), 429, "rate_limited").await;
        }
        // The verified token has its own bucket of 3 (one used above), untouched by the junk.
        for _ in 0..2 {
            assert_eq!(me(&officer).await.unwrap().status(), 200);
        }
        support::error(me(&officer).await.unwrap(), 429, "rate_limited").await;
    }
);

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
    // One request a minute after a burst of 5; two sign-ins a minute.
    let opts = Opts { limits: Some((1, 5, 2)), redis_prefix: Some(prefix.clone()), ..Default::default() };
    let Some(a) = TestApp::spawn(zhicha_tests::Backend::Sqlite, opts.clone()).await else {
        println!("skipped: redis (set {})", zhicha_tests::REDIS_URL_VAR);
        return;
    };
    let b = TestApp::spawn(zhicha_tests::Backend::Sqlite, opts).await.unwrap();
    // Sign-in: two per minute per IP, across both instances (each also takes one of the
    // IP's general five; the refused third does not).
    let login = |app: &TestApp| {
        app.client.post(app.url("/auth/login")).json(&json!({ "username": "x", "password": "y" })).send()
    };
    assert_eq!(login(&a).await.unwrap().status(), 401);
    assert_eq!(login(&b).await.unwrap().status(), 401);
    assert_eq!(login(&a).await.unwrap().status(), 429);
    // One caller (its IP) on both instances: three more of the five, then refused.
    let get = |app: &TestApp| app.client.get(app.url("/v1/codes/region")).send();
    assert_eq!(get(&a).await.unwrap().status(), 200);
    assert_eq!(get(&b).await.unwrap().status(), 200);
    assert_eq!(get(&a).await.unwrap().status(), 200);
    let res = get(&b).await.unwrap();
    let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    support::error(res, 429, "rate_limited").await;
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    a.cleanup().await;
    b.cleanup().await;
}
