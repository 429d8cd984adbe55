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
