//! Idempotency keys on mini-program writes: replay, mismatch, in flight, stale, expiry.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use zhicha_api::entities::{binding_codes, idempotency_keys as keys};
use zhicha_api::http::idempotency::fingerprint;
use zhicha_tests::{Opts, TestApp, both};

use crate::support;
use crate::wechat::{mp_post, wx_login};

both!(idempotent_writes, Opts { demo: true, standin: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let (_, _, t) = support::json(wx_login(app, "demo-officer-e02").await).await;
    let token = t["access_token"].as_str().unwrap().to_string();
    let codes = || binding_codes::Entity::find().count(&app.db);

    // A retry with the same key gets the same answer and writes nothing new.
    let first = mp_post(app, "/mp/invites", &token, "key-aaaaaaaa-0001", json!({})).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (s1, _, b1) = support::json(first).await;
    assert_eq!(s1, 201, "{b1}");
    let again = mp_post(app, "/mp/invites", &token, "key-aaaaaaaa-0001", json!({})).await;
    assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let (s2, _, b2) = support::json(again).await;
    assert_eq!((s2, &b2), (201, &b1), "the stored answer, byte for byte");
    assert_eq!(codes().await.unwrap(), 1);
    // The stored answer is sealed: the binding code is not in the table in clear.
    let stored = keys::Entity::find().one(&app.db).await.unwrap().unwrap();
    let code = b1["code"].as_str().unwrap();
    assert!(!stored.response_body.clone().unwrap().contains(code));
    assert!(stored.expires_at > (chrono::Utc::now() + chrono::Duration::hours(23)).fixed_offset(), "kept ≥ 24 h");

    // The same key with another request is refused.
    let e = support::error(
        mp_post(app, "/mp/invites", &token, "key-aaaaaaaa-0001", json!({ "x": 1 })).await,
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(e["details"]["field"], "Idempotency-Key");
    // No key, or a malformed one.
    let res = app.client.post(app.url("/mp/invites")).bearer_auth(&token).json(&json!({})).send().await.unwrap();
    support::error(res, 428, "idempotency_key_required").await;
    support::error(mp_post(app, "/mp/invites", &token, "short", json!({})).await, 422, "invalid_field").await;
    assert_eq!(codes().await.unwrap(), 1, "refusals write nothing");

    // While the first request is still running, a retry gets 409 with Retry-After.
    let user = stored.user_id;
    keys::ActiveModel {
        created_at: Set(chrono::Utc::now().fixed_offset()),
        user_id: Set(user),
        key: Set("key-inflight-0002".into()),
        method: Set("POST".into()),
        path: Set("/mp/invites".into()),
        request_sha256: Set(fingerprint("POST", "/mp/invites", b"{}")),
        expires_at: Set((chrono::Utc::now() + chrono::Duration::hours(24)).fixed_offset()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let res = mp_post(app, "/mp/invites", &token, "key-inflight-0002", json!({})).await;
    assert!(res.headers().get("retry-after").is_some());
    support::error(res, 409, "request_in_progress").await;
    // A request left running by a dead server is taken over after a while.
    keys::Entity::update_many()
        .col_expr(
            keys::Column::CreatedAt,
            Expr::value((chrono::Utc::now() - chrono::Duration::minutes(10)).fixed_offset()),
        )
        .filter(keys::Column::Key.eq("key-inflight-0002"))
        .exec(&app.db)
        .await
        .unwrap();
    let (s, _, _) = support::json(mp_post(app, "/mp/invites", &token, "key-inflight-0002", json!({})).await).await;
    assert_eq!(s, 201);
    assert_eq!(codes().await.unwrap(), 2);

    // Once expired, the key is free for a new write.
    keys::Entity::update_many()
        .col_expr(
            keys::Column::ExpiresAt,
            Expr::value((chrono::Utc::now() - chrono::Duration::minutes(1)).fixed_offset()),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let (s, _, b3) = support::json(mp_post(app, "/mp/invites", &token, "key-aaaaaaaa-0001", json!({})).await).await;
    assert_eq!(s, 201);
    assert_ne!(b3["code"], b1["code"]);
    // Keys are per account: another officer's same key is its own.
    let (_, _, t2) = support::json(wx_login(app, "demo-officer-e03").await).await;
    let other = t2["access_token"].as_str().unwrap();
    let (s, _, b4) = support::json(mp_post(app, "/mp/invites", other, "key-aaaaaaaa-0001", json!({})).await).await;
    assert_eq!(s, 201);
    assert_ne!(b4["enterprise_id"], b1["enterprise_id"]);
});
