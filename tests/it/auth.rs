//! Sign-in, rotating tokens, lockout and scoped reads, on both databases.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{audit_log, enterprises, users};
use zhicha_api::identity::service::{self, Origin};
use zhicha_api::identity::totp;
use zhicha_api::reference::seed::demo::DEMO_PASSWORD;
use zhicha_tests::{Opts, TestApp, both};

use crate::support;

/// The demo city, however the backend got it.
async fn demo(app: &TestApp) {
    app.ensure_demo().await;
}

/// A TOTP code the account has not used yet (bureau accounts), as an authenticator
/// app would show it.
pub async fn totp_code(app: &TestApp, username: &str) -> Option<String> {
    let u = users::Entity::find().filter(users::Column::Username.eq(username)).one(&app.db).await.unwrap()?;
    let secret = totp::unseal(&app.state.vault, u.totp_secret.as_deref()?).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / 30;
    totp::code_at(&secret, now.max(u.totp_last_step.unwrap_or(0) + 1))
}

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    let code = totp_code(app, username).await;
    let body = json!({ "username": username, "password": password, "totp": code });
    app.client.post(app.url("/auth/login")).json(&body).send().await.unwrap()
}

async fn tokens(app: &TestApp, username: &str) -> Value {
    let (status, _, body) = support::json(login(app, username, DEMO_PASSWORD).await).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

/// A session for an account that cannot sign in with a password yet (officers use
/// WeChat), made the way sign-in makes them.
async fn session_for(app: &TestApp, user: &users::Model) -> String {
    service::issue(&app.db, &app.state, user, None, &Origin::default()).await.unwrap().access_token
}

both!(sign_in_and_scope, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    demo(app).await;
    // Wrong password and unknown user read alike.
    let e1 = support::error(login(app, "hrss.city", "nope").await, 401, "invalid_credentials").await;
    let e2 = support::error(login(app, "nobody", "nope").await, 401, "invalid_credentials").await;
    assert_eq!(e1["message"], e2["message"]);

    let t = tokens(app, "hrss.city").await;
    assert_eq!(t["role"], "hrss_bureau");
    assert!(t["expires_in"].as_i64().is_some_and(|s| s > 0 && s <= 7200), "access tokens live at most 2 h: {t}");
    let access = t["access_token"].as_str().unwrap().to_string();
    let (status, _, me) = support::json(get(app, "/auth/me", &access).await).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!((me["scope"].as_str(), me["scope_id"].as_str()), (Some("region"), Some("640200")));

    // A city bureau sees its city; an enterprise elsewhere does not exist for it.
    let other = enterprises::ActiveModel {
        name: Set("银川市某化工有限公司".into()),
        region_code: Set(Some("640104".into())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (status, _, page) = support::json(get(app, "/gov/enterprises?per_page=200", &access).await).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], zhicha_tests::demo_enterprise_keys().len(), "the demo city's enterprises");
    assert!(page["items"].as_array().unwrap().iter().all(|e| e["region_code"].as_str().unwrap().starts_with("6402")));
    support::error(get(app, &format!("/gov/enterprises/{}", other.id), &access).await, 404, "not_found").await;
    let mine = page["items"][0]["id"].as_i64().unwrap();
    let (status, _, one) = support::json(get(app, &format!("/gov/enterprises/{mine}"), &access).await).await;
    assert_eq!((status, one["id"].as_i64()), (200, Some(mine)));

    // The province sees both cities.
    let province = tokens(app, "hrss.province").await;
    let (_, _, page) =
        support::json(get(app, "/gov/enterprises?per_page=200", province["access_token"].as_str().unwrap()).await)
            .await;
    assert_eq!(
        page["total"],
        zhicha_tests::demo_enterprise_keys().len() + 1,
        "the demo city's and the one in Yinchuan"
    );

    // An administrator has no business with enterprises' data.
    let admin = tokens(app, "sysadmin").await;
    support::error(get(app, "/gov/enterprises", admin["access_token"].as_str().unwrap()).await, 403, "forbidden").await;

    // An officer sees its own enterprise, and nothing through the bureau routes.
    let officer =
        users::Entity::find().filter(users::Column::Role.eq("enterprise_officer")).one(&app.db).await.unwrap().unwrap();
    let token = session_for(app, &officer).await;
    let (status, _, own) = support::json(get(app, "/mp/enterprise", &token).await).await;
    assert_eq!((status, own["id"].as_i64()), (200, officer.enterprise_id));
    support::error(get(app, &format!("/gov/enterprises/{}", other.id), &token).await, 403, "forbidden").await;
    support::error(get(app, "/mp/enterprise", &access).await, 403, "forbidden").await;

    // No token, a malformed one, an unknown one.
    support::error(app.client.get(app.url("/gov/enterprises")).send().await.unwrap(), 401, "unauthenticated").await;
    support::error(get(app, "/gov/enterprises", "not-a-token").await, 401, "unauthenticated").await;
    support::error(get(app, "/gov/enterprises", &format!("zat_{}", "0".repeat(64))).await, 401, "unauthenticated")
        .await;

    // Sign-ins are in the audit trail, failures included.
    let logins =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("auth.login")).count(&app.db).await.unwrap();
    assert_eq!(logins, 5);
    assert!(matches!(
        zhicha_api::platform::audit::verify(&app.db).await.unwrap(),
        zhicha_api::platform::audit::Verdict::Intact { .. }
    ));
});

both!(refresh_rotation, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    demo(app).await;
    let first = tokens(app, "emergency.city").await;
    let refresh =
        |token: &str| app.client.post(app.url("/auth/refresh")).json(&json!({ "refresh_token": token })).send();
    let (status, _, second) = support::json(refresh(first["refresh_token"].as_str().unwrap()).await.unwrap()).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    // The old access token ended with the rotation; the new one works.
    support::error(get(app, "/auth/me", first["access_token"].as_str().unwrap()).await, 401, "unauthenticated").await;
    assert_eq!(get(app, "/auth/me", second["access_token"].as_str().unwrap()).await.status(), 200);

    // Replaying the spent refresh token revokes the whole family.
    support::error(refresh(first["refresh_token"].as_str().unwrap()).await.unwrap(), 401, "refresh_token_reused").await;
    support::error(get(app, "/auth/me", second["access_token"].as_str().unwrap()).await, 401, "unauthenticated").await;
    support::error(refresh(second["refresh_token"].as_str().unwrap()).await.unwrap(), 401, "unauthenticated").await;

    // Logout ends the session.
    let t = tokens(app, "emergency.city").await;
    let access = t["access_token"].as_str().unwrap();
    let res = app.client.post(app.url("/auth/logout")).bearer_auth(access).send().await.unwrap();
    assert_eq!(res.status(), 204);
    support::error(get(app, "/auth/me", access).await, 401, "unauthenticated").await;
});

both!(second_factor, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    demo(app).await;
    let send = |body: Value| app.client.post(app.url("/auth/login")).json(&body).send();
    // A bureau account needs the code. Without it, or with a wrong one, the answer is the
    // one a wrong password gets, to the byte: no answer confirms the password alone.
    let answer = |body: Value| async move {
        let res = send(body).await.unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    let right_no_code = answer(json!({ "username": "hrss.city", "password": DEMO_PASSWORD })).await;
    let wrong_no_code = answer(json!({ "username": "hrss.city", "password": "not-the-password" })).await;
    let right_wrong_code =
        answer(json!({ "username": "hrss.city", "password": DEMO_PASSWORD, "totp": "000000" })).await;
    let unknown = answer(json!({ "username": "nobody.here", "password": DEMO_PASSWORD })).await;
    assert_eq!(right_no_code.0, 401);
    assert_eq!(right_no_code.1["error"]["code"], "invalid_credentials");
    for other in [&wrong_no_code, &right_wrong_code, &unknown] {
        assert_eq!(other.0, right_no_code.0);
        for part in ["code", "message", "details"] {
            assert_eq!(other.1["error"][part], right_no_code.1["error"][part], "{part}: {other:?}");
        }
    }
    // Each of the three counted as a failed sign-in of the account.
    let failed =
        users::Entity::find().filter(users::Column::Username.eq("hrss.city")).one(&app.db).await.unwrap().unwrap();
    assert_eq!(failed.failed_logins, 3);
    // A wrong code is a failed sign-in (the fourth; five lock the account).
    support::error(
        send(json!({ "username": "hrss.city", "password": DEMO_PASSWORD, "totp": "000000" })).await.unwrap(),
        401,
        "invalid_credentials",
    )
    .await;
    let failed =
        users::Entity::find().filter(users::Column::Username.eq("hrss.city")).one(&app.db).await.unwrap().unwrap();
    assert_eq!(failed.failed_logins, 4);
    // The right code works once.
    let code = totp_code(app, "hrss.city").await.unwrap();
    let body = json!({ "username": "hrss.city", "password": DEMO_PASSWORD, "totp": code });
    assert_eq!(send(body.clone()).await.unwrap().status(), 200);
    support::error(send(body).await.unwrap(), 401, "invalid_credentials").await;
    // Administrators need the code too (MLPS level 3).
    support::error(
        send(json!({ "username": "secadmin", "password": DEMO_PASSWORD })).await.unwrap(),
        401,
        "invalid_credentials",
    )
    .await;
    let code = totp_code(app, "secadmin").await.expect("the demo enrols administrators in TOTP");
    let body = json!({ "username": "secadmin", "password": DEMO_PASSWORD, "totp": code });
    assert_eq!(send(body).await.unwrap().status(), 200);
    // The service organisation signs in with its password alone.
    let (status, _, _) =
        support::json(send(json!({ "username": "service", "password": DEMO_PASSWORD })).await.unwrap()).await;
    assert_eq!(status, 200);
});

both!(lockout, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    demo(app).await;
    let max = app.state.settings.auth.max_failed_logins;
    for _ in 0..max {
        support::error(login(app, "service", "wrong").await, 401, "invalid_credentials").await;
    }
    // Locked: even the right password is refused, and says for how long.
    let e = support::error(login(app, "service", DEMO_PASSWORD).await, 403, "account_locked").await;
    assert!(e["details"]["retry_after_seconds"].as_i64().is_some_and(|s| s > 0), "{e}");
    // Other accounts are unaffected.
    tokens(app, "hrss.city").await;
});
