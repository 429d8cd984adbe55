//! Mini-program sign-in against a fake WeChat server on loopback, binding codes,
//! invitations, phone numbers and the demo stand-in.

use std::time::Instant;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{audit_log, binding_codes, enterprises, users};
use zhicha_tests::fake_wechat::{FakeWechat, SESSION_KEY};
use zhicha_tests::{Backend, Opts, TestApp, both, run_app};

use crate::support;

/// The body against an app wired to a fresh fake WeChat server, on both databases.
macro_rules! with_fake_wechat {
    ($name:ident, $demo:expr, $f:expr) => {
        mod $name {
            use super::*;

            async fn go(backend: Backend) {
                let fake = FakeWechat::start().await;
                let opts = Opts { demo: $demo, wechat: Some(fake.base_url()), ..Default::default() };
                run_app(backend, opts, async |app: &TestApp| {
                    app.ensure_demo().await;
                    ($f)(app, &fake).await
                })
                .await;
                fake.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                go(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                go(Backend::Postgres).await;
            }
        }
    };
}

pub async fn wx_login(app: &TestApp, code: &str) -> reqwest::Response {
    app.client.post(app.url("/mp/auth/login")).json(&json!({ "code": code })).send().await.unwrap()
}

/// A POST as the mini-program sends it: bearer token and an idempotency key.
pub async fn mp_post(app: &TestApp, path: &str, token: &str, key: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).bearer_auth(token).header("Idempotency-Key", key).json(&body).send().await.unwrap()
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

async fn access(app: &TestApp, code: &str) -> (String, Value) {
    let (status, _, body) = support::json(wx_login(app, code).await).await;
    assert_eq!(status, 200, "{body}");
    (body["access_token"].as_str().unwrap().to_string(), body)
}

pub async fn staff_token(app: &TestApp, username: &str) -> String {
    let code = crate::auth::totp_code(app, username).await;
    let body =
        json!({ "username": username, "password": zhicha_api::reference::seed::demo::DEMO_PASSWORD, "totp": code });
    let (status, _, t) = support::json(app.client.post(app.url("/auth/login")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, 200, "{t}");
    t["access_token"].as_str().unwrap().to_string()
}

with_fake_wechat!(sign_in_and_wechat_errors, false, async |app: &TestApp, fake: &FakeWechat| {
    // A new openid signs in as nobody.
    let res = wx_login(app, "ok-o6_bmjrPTlm6_2sgVt7hMZOPfL2M").await;
    let raw = res.text().await.unwrap();
    assert!(!raw.contains(SESSION_KEY) && !raw.contains("session_key"), "the session key never leaves: {raw}");
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["bound"], false, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    let (_, _, me) = support::json(get(app, "/auth/me", &token).await).await;
    assert_eq!(me["scope"], "unbound", "{me}");
    support::error(get(app, "/mp/enterprise", &token).await, 403, "forbidden").await;
    // The same WeChat user again is the same account, with its unionid kept.
    let (_, again) = access(app, "ok-o6_bmjrPTlm6_2sgVt7hMZOPfL2M").await;
    let (_, _, me2) = support::json(get(app, "/auth/me", again["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me2["user_id"], me["user_id"]);
    let u = users::Entity::find().filter(users::Column::WxOpenid.eq("o6_bmjrPTlm6_2sgVt7hMZOPfL2M")).all(&app.db).await;
    let u = u.unwrap();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].wx_unionid.as_deref(), Some("union-o6_bmjrPTlm6_2sgVt7hMZOPfL2M"));

    // WeChat's error codes, as the mini-program must hear them.
    for (code, status, name) in [
        ("invalid", 401, "invalid_wechat_code"),
        ("used", 401, "invalid_wechat_code"),
        ("blocked", 403, "wechat_user_blocked"),
        ("busy", 503, "wechat_unavailable"),
        ("freq", 503, "wechat_unavailable"),
        ("http500", 503, "wechat_unavailable"),
        ("garbage", 503, "wechat_unavailable"),
    ] {
        let res = wx_login(app, code).await;
        let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        support::error(res, status, name).await;
        assert_eq!(retry.is_some(), status == 503, "{code}: Retry-After {retry:?}");
    }
    // A slow WeChat fails fast (timeout 800 ms), not after WeChat's 5 s.
    let t = Instant::now();
    support::error(wx_login(app, "slow").await, 503, "wechat_unavailable").await;
    assert!(t.elapsed().as_millis() < 3000, "took {:?}", t.elapsed());
    assert!(fake.counters.sessions.load(std::sync::atomic::Ordering::SeqCst) >= 10);

    // Failures are on the audit trail, and no record holds the session key.
    let failed = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("auth.wechat_login"))
        .filter(audit_log::Column::Result.ne("ok"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(failed, 8);
    for r in audit_log::Entity::find().all(&app.db).await.unwrap() {
        assert!(!r.detail.unwrap_or_default().contains(SESSION_KEY));
    }
    // A bureau account's openid does not open a WeChat sign-in (it would skip TOTP).
    users::ActiveModel {
        display_name: Set("市人社局".into()),
        role: Set("hrss_bureau".into()),
        region_code: Set(Some("640200".into())),
        wx_openid: Set(Some("bureau-openid".into())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    support::error(wx_login(app, "ok-bureau-openid").await, 403, "forbidden").await;
});

with_fake_wechat!(binding_and_invites, true, async |app: &TestApp, _fake: &FakeWechat| {
    let service = staff_token(app, "service").await;
    let served = enterprises::Entity::find().filter(enterprises::Column::IsKey.eq(true)).one(&app.db).await.unwrap();
    let served = served.unwrap();
    // An enterprise the service organisation does not serve reads as not found.
    let other = enterprises::ActiveModel {
        name: Set("外市某企业".into()),
        region_code: Set(Some("640100".into())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let issue = |id: i64| {
        app.client
            .post(app.url(&format!("/gov/enterprises/{id}/binding-codes")))
            .bearer_auth(&service)
            .json(&json!({}))
            .send()
    };
    support::error(issue(other.id).await.unwrap(), 404, "not_found").await;
    let (status, _, issued) = support::json(issue(served.id).await.unwrap()).await;
    assert_eq!(status, 201, "{issued}");
    let code = issued["code"].as_str().unwrap().to_string();
    assert_eq!(issued["role"], "enterprise_officer");
    // Only a hash is stored.
    let stored = binding_codes::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].code_hash.contains(&code.replace('-', "")));

    let (officer, _) = access(app, "ok-new-officer").await;
    // Ownership fields cannot ride along in the body.
    let res =
        mp_post(app, "/mp/bind", &officer, "bind-officer-0001", json!({ "code": code, "enterprise_id": other.id }))
            .await;
    support::error(res, 422, "invalid_body").await;
    // Codes are case- and dash-insensitive; the holder's name is kept.
    let sloppy = code.to_lowercase().replace('-', " ");
    let (status, _, bound) = support::json(
        mp_post(app, "/mp/bind", &officer, "bind-officer-0002", json!({ "code": sloppy, "display_name": "张安全" }))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{bound}");
    assert_eq!(bound["enterprise_id"], served.id);
    assert_eq!(bound["role"], "enterprise_officer");
    let (_, _, own) = support::json(get(app, "/mp/enterprise", &officer).await).await;
    assert_eq!(own["id"], served.id, "the binding takes effect on the same token");
    // Bound once: a second bind is a conflict; a used code is refused to anyone else.
    support::error(
        mp_post(app, "/mp/bind", &officer, "bind-officer-0003", json!({ "code": code })).await,
        409,
        "conflict",
    )
    .await;
    let (stranger, _) = access(app, "ok-stranger").await;
    let e = support::error(
        mp_post(app, "/mp/bind", &stranger, "bind-stranger-01", json!({ "code": code })).await,
        422,
        "invalid_binding_code",
    )
    .await;
    assert_eq!(e["details"]["field"], "code");
    support::error(
        mp_post(app, "/mp/bind", &stranger, "bind-stranger-02", json!({ "code": "ABCD-EFGH" })).await,
        422,
        "invalid_binding_code",
    )
    .await;

    // The officer invites a responsible person, who binds as one.
    let (status, _, invite) =
        support::json(mp_post(app, "/mp/invites", &officer, "invite-000000001", json!({})).await).await;
    assert_eq!(status, 201, "{invite}");
    assert_eq!(invite["role"], "responsible_person");
    assert_eq!(invite["enterprise_id"], served.id);
    let (rp, _) = access(app, "ok-new-rp").await;
    let (status, _, b) =
        support::json(mp_post(app, "/mp/bind", &rp, "bind-rp-00000001", json!({ "code": invite["code"] })).await).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["role"], "responsible_person");
    // A responsible person cannot invite; a stranger (unbound) cannot either.
    support::error(mp_post(app, "/mp/invites", &rp, "invite-rp-000001", json!({})).await, 403, "forbidden").await;
    support::error(mp_post(app, "/mp/invites", &stranger, "invite-st-000001", json!({})).await, 403, "forbidden").await;
    // An expired code is refused.
    let (_, _, late) = support::json(issue(served.id).await.unwrap()).await;
    binding_codes::Entity::update_many()
        .col_expr(binding_codes::Column::ExpiresAt, sea_orm::sea_query::Expr::value(chrono_past()))
        .filter(binding_codes::Column::UsedAt.is_null())
        .exec(&app.db)
        .await
        .unwrap();
    support::error(
        mp_post(app, "/mp/bind", &stranger, "bind-stranger-03", json!({ "code": late["code"] })).await,
        422,
        "invalid_binding_code",
    )
    .await;
    let uses =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("binding_code.use")).all(&app.db).await.unwrap();
    assert_eq!(uses.iter().filter(|r| r.result == "ok").count(), 2);
    assert!(uses.iter().filter(|r| r.result == "denied").count() >= 2);
});

fn chrono_past() -> sea_orm::prelude::DateTimeWithTimeZone {
    (chrono::Utc::now() - chrono::Duration::hours(1)).fixed_offset()
}

with_fake_wechat!(phone_numbers, true, async |app: &TestApp, fake: &FakeWechat| {
    let officer =
        users::Entity::find().filter(users::Column::WxOpenid.eq("demo-openid-demo-officer-e01")).one(&app.db).await;
    let officer = officer.unwrap().unwrap();
    let mut o: users::ActiveModel = officer.clone().into();
    o.wx_openid = Set(Some("officer-e01".into()));
    o.update(&app.db).await.unwrap();
    let (token, _) = access(app, "ok-officer-e01").await;
    let (status, _, saved) = support::json(
        mp_post(app, "/mp/me/phone", &token, "phone-0000000001", json!({ "code": "phone-13812345678" })).await,
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["phone"], "138****5678");
    let u = users::Entity::find_by_id(officer.id).one(&app.db).await.unwrap().unwrap();
    assert!(!u.phone_cipher.clone().unwrap().contains("13812345678"));
    assert_eq!(u.phone_hash.as_deref(), Some(app.state.vault.lookup_hash("13812345678").as_str()));
    // The access token is cached; an expired one is renewed once and the call retried.
    fake.counters.expire_token.store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, _, again) = support::json(
        mp_post(app, "/mp/me/phone", &token, "phone-0000000002", json!({ "code": "phone-13912345678" })).await,
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(fake.counters.tokens.load(std::sync::atomic::Ordering::SeqCst), 2);
    support::error(
        mp_post(app, "/mp/me/phone", &token, "phone-0000000003", json!({ "code": "invalid" })).await,
        401,
        "invalid_wechat_code",
    )
    .await;
    // The people list masks; the full number is read one at a time and audited.
    let (_, _, people) = support::json(get(app, "/mp/people", &token).await).await;
    let items = people["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "the officer and two responsible persons: {people}");
    assert!(items.iter().all(|p| p["phone"].as_str().is_some_and(|s| s.contains("****"))), "{people}");
    let rp = items.iter().find(|p| p["role"] == "responsible_person").unwrap();
    let (status, _, full) = support::json(get(app, &format!("/mp/people/{}/phone", rp["id"]), &token).await).await;
    assert_eq!(status, 200);
    assert_eq!(full["phone"].as_str().map(str::len), Some(11));
    // Someone of another enterprise reads as not found.
    let foreign = users::Entity::find()
        .filter(users::Column::Role.eq("responsible_person"))
        .filter(users::Column::EnterpriseId.ne(officer.enterprise_id.unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    support::error(get(app, &format!("/mp/people/{}/phone", foreign.id), &token).await, 404, "not_found").await;
    for action in ["user.phone.set", "pii.list", "pii.read"] {
        let n = audit_log::Entity::find().filter(audit_log::Column::Action.eq(action)).count(&app.db).await.unwrap();
        assert!(n >= 1, "{action} is audited");
    }
});

both!(demo_stand_in, Opts { demo: true, standin: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let (status, _, t) = support::json(wx_login(app, "demo-officer-e01").await).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["bound"], true);
    assert_eq!(t["role"], "enterprise_officer");
    let (_, _, own) = support::json(get(app, "/mp/enterprise", t["access_token"].as_str().unwrap()).await).await;
    assert!(own["name"].as_str().is_some_and(|n| !n.is_empty()), "{own}");
    let (_, _, rp) = support::json(wx_login(app, "demo-rp-e01-1").await).await;
    assert_eq!(rp["role"], "responsible_person");
    support::error(wx_login(app, "071x9Ga1").await, 401, "invalid_wechat_code").await;
    // A phone through the stand-in.
    let token = t["access_token"].as_str().unwrap();
    let (status, _, p) = support::json(
        mp_post(app, "/mp/me/phone", token, "standin-phone-01", json!({ "code": "demo-phone-13700001111" })).await,
    )
    .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["phone"], "137****1111");
});

#[tokio::test]
async fn stand_in_is_refused_with_postgres() {
    let keys = tempfile::tempdir().unwrap();
    let mut settings = TestApp::settings(
        "postgres://nobody@127.0.0.1:1/none",
        &Opts { standin: true, ..Default::default() },
        &keys.path().join("k.toml"),
    );
    settings.demo.wechat_standin_force = false;
    let e = zhicha_api::startup::Application::build(settings).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("ZHICHA_DEMO__WECHAT_STANDIN"), "{e}");
}
