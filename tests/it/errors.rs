//! Every failure is `{"error":{"code","message","details","request_id"}}`, with the
//! request id of the `x-request-id` header.

use serde_json::json;
use zhicha_tests::{TestApp, both};

use crate::support::error;

async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client
        .post(app.url("/v1/codes/crosswalk"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

both!(body_errors, async |app: &TestApp| {
    let json_ct = "application/json";

    let e = error(post_raw(app, json_ct, r#"{"crosswalk":"#).await, 400, "malformed_json").await;
    assert!(e["details"]["line"].is_number(), "{e}");

    let e = error(post_raw(app, json_ct, r#"{"crosswalk":"nope","code":"1"}"#).await, 422, "invalid_body").await;
    assert_eq!(e["details"]["field"], "crosswalk", "{e}");

    let e = error(post_raw(app, json_ct, r#"{"crosswalk":"oiics-event"}"#).await, 422, "invalid_body").await;
    assert!(e["message"].as_str().unwrap().contains("code"), "{e}");

    let e = error(
        post_raw(app, "text/plain", r#"{"crosswalk":"oiics-event","code":"6411"}"#).await,
        415,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(e["details"], json!({}));

    let e =
        error(post_raw(app, json_ct, r#"{"crosswalk":"oiics-event","code":"!!"}"#).await, 422, "invalid_field").await;
    assert_eq!(e["details"]["field"], "code", "{e}");

    // A well-formed code no row maps is a domain error on the same field.
    let e = error(post_raw(app, json_ct, r#"{"crosswalk":"naics","code":"ZZZ"}"#).await, 422, "invalid_field").await;
    assert_eq!(e["details"]["field"], "code", "{e}");
});

// api/src/extract.rs `parse` appends the unknown field's name to a path that already
// ends with it, answering `"field": "extra.extra"`.
both!(unknown_field, async |app: &TestApp| {
    let body = r#"{"crosswalk":"oiics-event","code":"6411","extra":1}"#;
    let e = error(post_raw(app, "application/json", body).await, 422, "invalid_body").await;
    assert_eq!(e["details"]["field"], "extra", "{e}");
    assert!(e["message"].as_str().unwrap().contains("unknown field `extra`"), "{e}");
});

both!(too_large, async |app: &TestApp| {
    // Just over the default server.max_body_bytes (1 MiB), and otherwise valid JSON.
    let limit = app.state.settings.server.max_body_bytes;
    assert_eq!(limit, 1_048_576);
    let body = format!(r#"{{"crosswalk":"oiics-event","code":"6411","pad":"{}"}}"#, "x".repeat(limit));
    error(post_raw(app, "application/json", body).await, 413, "payload_too_large").await;
});

both!(path_and_query_errors, async |app: &TestApp| {
    let res = app.client.get(app.url("/v1/codes/not-a-table")).send().await.unwrap();
    error(res, 400, "invalid_path").await;

    let res = app.client.get(app.url("/v1/codes/region?bogus=1")).send().await.unwrap();
    let e = error(res, 400, "invalid_query").await;
    assert_eq!(e["details"]["field"], "bogus", "{e}");
});

both!(route_errors, async |app: &TestApp| {
    let res = app.client.get(app.url("/no/such/route")).send().await.unwrap();
    let e = error(res, 404, "not_found").await;
    assert!(e["message"].as_str().unwrap().contains("/no/such/route"), "{e}");

    let res = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    let e = error(res, 405, "method_not_allowed").await;
    assert!(e["message"].as_str().unwrap().contains("DELETE"), "{e}");

    // A path with two methods names both, before any sign-in is asked for.
    let res = app.client.put(app.url("/mp/findings")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET, POST");
    error(res, 405, "method_not_allowed").await;

    let res = app.client.get(app.url("/v1/codes/crosswalk/extra/segments")).send().await.unwrap();
    error(res, 404, "not_found").await;
});
