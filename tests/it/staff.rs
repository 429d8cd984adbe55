//! Staff accounts from an empty database: the bootstrap security administrator, the
//! forced password change, TOTP enrolment through the API, organisations and accounts,
//! the password policy, disable/enable/reset and role separation, on both databases.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{audit_log, users};
use zhicha_api::identity::{staff, totp};
use zhicha_api::reference::seed::demo::DEMO_PASSWORD;
use zhicha_tests::{Opts, TestApp, both};

use crate::support;

/// The current TOTP step (30-second steps since the epoch).
pub fn step_now() -> i64 {
    Utc::now().timestamp() / 30
}

/// A code an authenticator holding `secret` (base32, as `/auth/totp/enrol` gives it)
/// shows at `step`, computed with the server's own routine.
pub fn code(secret: &str, step: i64) -> String {
    totp::code_at(secret, step).unwrap()
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() }
}

pub async fn login(app: &TestApp, username: &str, password: &str, totp: Option<String>) -> reqwest::Response {
    post(app, "/auth/login", None, json!({ "username": username, "password": password, "totp": totp })).await
}

pub async fn token(app: &TestApp, username: &str, password: &str, totp: Option<String>) -> (String, Value) {
    let pair = ok(login(app, username, password, totp).await, 200).await;
    (pair["access_token"].as_str().unwrap().to_string(), pair)
}

/// A 422 `invalid_field` naming `field` (and `details.rule` when given).
async fn refused(res: reqwest::Response, field: &str, rule: Option<&str>) {
    let e = support::error(res, 422, "invalid_field").await;
    assert_eq!(e["details"]["field"], field, "{e}");
    if let Some(r) = rule {
        assert_eq!(e["details"]["rule"], r, "{e}");
    }
}

/// The code an authenticator shows for `username`'s `secret` that the server has not
/// accepted yet: the current step, or the next one after the last accepted (the server
/// accepts one step of skew). A test that signs in more often than that within 30
/// seconds forgets the last accepted step, as if it had waited.
pub async fn next_code(app: &TestApp, username: &str, secret: &str) -> String {
    let u = users::Entity::find().filter(users::Column::Username.eq(username)).one(&app.db).await.unwrap().unwrap();
    let now = step_now();
    let last = u.totp_last_step;
    if last.is_some_and(|l| l > now) {
        let mut m: users::ActiveModel = u.into();
        m.totp_last_step = Set(None);
        m.update(&app.db).await.unwrap();
        return code(secret, now);
    }
    code(secret, last.map_or(now, |l| now.max(l + 1)))
}

/// Changes the password from the one-time one, enrols and confirms TOTP; the secret.
pub async fn first_sign_in(app: &TestApp, username: &str, one_time: &str, new: &str) -> String {
    let (t, pair) = token(app, username, one_time, None).await;
    assert_eq!(pair["password_change_required"], true, "{pair}");
    let body = json!({ "current_password": one_time, "new_password": new });
    ok(post(app, "/auth/password", Some(&t), body).await, 204).await;
    let e = ok(post(app, "/auth/totp/enrol", Some(&t), json!({})).await, 200).await;
    let secret = e["secret"].as_str().unwrap().to_string();
    ok(post(app, "/auth/totp/confirm", Some(&t), json!({ "code": code(&secret, step_now()) })).await, 204).await;
    secret
}

/// Day one's first steps, for other tests: the bootstrap security administrator
/// (`zhicha admin bootstrap`'s use case) with its password changed to `password` and
/// TOTP enrolled; its access token and TOTP secret.
pub async fn bootstrap_admin(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let (_, one_time) = staff::bootstrap(&app.db, &app.state.settings.auth, username, "安全管理员").await.unwrap();
    let secret = first_sign_in(app, username, &one_time, password).await;
    let (t, _) = token(app, username, password, Some(next_code(app, username, &secret).await)).await;
    (t, secret)
}

/// A staff account made by the security administrator `admin` (`POST /admin/users` with
/// `body`), signed in for the first time: password changed to `password`, TOTP enrolled
/// and confirmed when `totp`; its id, access token and TOTP secret.
pub async fn staff_account(
    app: &TestApp,
    admin: &str,
    body: Value,
    password: &str,
    totp: bool,
) -> (i64, String, Option<String>) {
    let username = body["username"].as_str().unwrap().to_string();
    let made = ok(post(app, "/admin/users", Some(admin), body).await, 201).await;
    let one_time = made["one_time_password"].as_str().unwrap().to_string();
    let id = made["id"].as_i64().unwrap();
    if !totp {
        let (t, _) = token(app, &username, &one_time, None).await;
        let body = json!({ "current_password": one_time, "new_password": password });
        ok(post(app, "/auth/password", Some(&t), body).await, 204).await;
        let (t, _) = token(app, &username, password, None).await;
        return (id, t, None);
    }
    let secret = first_sign_in(app, &username, &one_time, password).await;
    let (t, _) = token(app, &username, password, Some(next_code(app, &username, &secret).await)).await;
    (id, t, Some(secret))
}

both!(staff_accounts_from_an_empty_database, Opts::default(), async |app: &TestApp| {
    // An empty, migrated database (regions come from the built-in code tables).
    assert!(users::Entity::find().one(&app.db).await.unwrap().is_none());
    let (root, one_time) = staff::bootstrap(&app.db, &app.state.settings.auth, "root.sec", "安全管理员").await.unwrap();
    assert_eq!(root.role, "security_admin");
    assert!(root.must_change_password);
    let again = staff::bootstrap(&app.db, &app.state.settings.auth, "second.sec", "x").await;
    assert!(again.unwrap_err().to_string().contains("exists already"));

    // Sign-in with the one-time password: a session that may only change it.
    let (t, pair) = token(app, "root.sec", &one_time, None).await;
    assert_eq!(
        (pair["password_change_required"].as_bool(), pair["role"].as_str()),
        (Some(true), Some("security_admin"))
    );
    assert_eq!(pair["second_factor_enrolment_required"], true);
    support::error(get(app, "/admin/users", &t).await, 403, "password_change_required").await;
    let me = ok(get(app, "/auth/me", &t).await, 200).await;
    assert_eq!((me["password_change_required"].as_bool(), me["second_factor"].as_str()), (Some(true), Some("none")));

    // The password policy, each refusal naming the field and the rule.
    let change = |current: &str, new: &str| json!({ "current_password": current, "new_password": new });
    refused(post(app, "/auth/password", Some(&t), change(&one_time, "Sh0rt!")).await, "new_password", Some("length"))
        .await;
    refused(
        post(app, "/auth/password", Some(&t), change(&one_time, "onlylowercaseletters")).await,
        "new_password",
        Some("character_classes"),
    )
    .await;
    refused(
        post(app, "/auth/password", Some(&t), change(&one_time, "My-root.sec-2026")).await,
        "new_password",
        Some("contains_username"),
    )
    .await;
    refused(post(app, "/auth/password", Some(&t), change(&one_time, &one_time)).await, "new_password", Some("reused"))
        .await;
    refused(
        post(app, "/auth/password", Some(&t), change("wrong-Password-1", "Fresh-Pass-2026")).await,
        "current_password",
        None,
    )
    .await;
    support::error(
        post(app, "/auth/password", Some(&t), json!({ "current_password": one_time })).await,
        422,
        "invalid_body",
    )
    .await;
    ok(post(app, "/auth/password", Some(&t), change(&one_time, "Fresh-Pass-2026")).await, 204).await;

    // Now the second factor, which the security administrator's role signs in with.
    support::error(get(app, "/admin/users", &t).await, 403, "second_factor_enrolment_required").await;
    support::error(post(app, "/auth/totp/confirm", Some(&t), json!({ "code": "123456" })).await, 409, "invalid_state")
        .await;
    let e = ok(post(app, "/auth/totp/enrol", Some(&t), json!({})).await, 200).await;
    let uri = e["otpauth_uri"].as_str().unwrap();
    let secret = e["secret"].as_str().unwrap().to_string();
    assert!(uri.starts_with("otpauth://totp/zhicha:root%2Esec?secret=") && uri.contains(&secret), "{uri}");
    assert!(e["qr_svg"].as_str().unwrap().starts_with("<?xml") || e["qr_svg"].as_str().unwrap().contains("<svg"));
    assert_eq!(ok(get(app, "/auth/me", &t).await, 200).await["second_factor"], "pending");
    let wrong = code(&secret, step_now() + 20);
    refused(post(app, "/auth/totp/confirm", Some(&t), json!({ "code": wrong })).await, "code", None).await;
    ok(post(app, "/auth/totp/confirm", Some(&t), json!({ "code": code(&secret, step_now()) })).await, 204).await;
    support::error(post(app, "/auth/totp/enrol", Some(&t), json!({})).await, 409, "invalid_state").await;
    // The same session is free now.
    ok(get(app, "/admin/users", &t).await, 200).await;
    // From now on sign-in asks for the code.
    support::error(login(app, "root.sec", "Fresh-Pass-2026", None).await, 401, "invalid_credentials").await;
    let (admin, pair) =
        token(app, "root.sec", "Fresh-Pass-2026", Some(next_code(app, "root.sec", &secret).await)).await;
    assert_eq!(
        (pair["password_change_required"].as_bool(), pair["second_factor_enrolment_required"].as_bool()),
        (Some(false), Some(false))
    );
    let me = ok(get(app, "/auth/me", &admin).await, 200).await;
    assert_eq!(me["second_factor"], "active");
    assert!(me["password_expires_at"].as_str().is_some(), "{me}");

    // Organisations: kind, name and a region of the table; a bureau's is a province or a city.
    let a = Some(admin.as_str());
    let org = |kind: &str, name: &str, region: &str| json!({ "kind": kind, "name": name, "region_code": region });
    let hrss =
        ok(post(app, "/admin/organisations", a, org("hrss_bureau", "石嘴山市人社局", "640200")).await, 201).await;
    let hrss_id = hrss["id"].as_i64().unwrap();
    let service = ok(post(app, "/admin/organisations", a, org("service_org", "某服务机构", "640200")).await, 201).await;
    refused(post(app, "/admin/organisations", a, org("hrss_bureau", "县人社局", "640202")).await, "region_code", None)
        .await;
    refused(post(app, "/admin/organisations", a, org("hrss_bureau", "无此地", "999900")).await, "region_code", None)
        .await;
    refused(post(app, "/admin/organisations", a, org("hrss_bureau", "  ", "640200")).await, "name", None).await;
    let e =
        support::error(post(app, "/admin/organisations", a, org("ministry", "x", "640200")).await, 422, "invalid_body")
            .await;
    assert_eq!(e["details"]["field"], "kind");
    support::error(
        post(app, "/admin/organisations", a, org("hrss_bureau", "石嘴山市人社局", "640200")).await,
        409,
        "conflict",
    )
    .await;
    let orgs = ok(get(app, "/admin/organisations", &admin).await, 200).await;
    assert_eq!(orgs.as_array().unwrap().len(), 2, "{orgs}");
    assert!(orgs.as_array().unwrap().iter().any(|o| o["kind"] == "hrss_bureau" && o["region_code"] == "640200"));

    // Accounts: the role must fit the organisation.
    let account = |username: &str, role: &str, extra: Value| {
        let mut b = json!({ "username": username, "display_name": "某人", "role": role });
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let created = ok(
        post(app, "/admin/users", a, account("hrss.szs", "hrss_bureau", json!({ "organisation_id": hrss_id }))).await,
        201,
    )
    .await;
    assert_eq!(
        (created["role"].as_str(), created["must_change_password"].as_bool()),
        (Some("hrss_bureau"), Some(true))
    );
    let hrss_user = created["id"].as_i64().unwrap();
    let hrss_pass = created["one_time_password"].as_str().unwrap().to_string();
    let svc = ok(
        post(app, "/admin/users", a, account("svc.szs", "service_org", json!({ "organisation_id": service["id"] })))
            .await,
        201,
    )
    .await;
    assert_eq!(svc["role"], "service_org");
    for (body, field) in [
        (account("em.szs", "emergency_bureau", json!({ "organisation_id": hrss_id })), "organisation_id"),
        (
            account("hr2.szs", "hrss_bureau", json!({ "organisation_id": hrss_id, "region_code": "640100" })),
            "region_code",
        ),
        (account("hr3.szs", "hrss_bureau", json!({})), "organisation_id"),
        (account("audit.one", "audit_admin", json!({ "organisation_id": hrss_id })), "organisation_id"),
        (account("ex.one", "expert", json!({ "expert_id": 999999 })), "expert_id"),
        (account("Bad Name", "audit_admin", json!({})), "username"),
    ] {
        refused(post(app, "/admin/users", a, body).await, field, None).await;
    }
    let e = support::error(
        post(app, "/admin/users", a, account("off.one", "enterprise_officer", json!({}))).await,
        422,
        "invalid_body",
    )
    .await;
    assert_eq!(e["details"]["field"], "role");
    let e = support::error(
        post(app, "/admin/users", a, account("hrss.szs", "audit_admin", json!({}))).await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(e["details"]["field"], "username");
    let audit_admin = ok(post(app, "/admin/users", a, account("audit.one", "audit_admin", json!({}))).await, 201).await;
    // A province's emergency bureau: the account takes the organisation's region.
    let em =
        ok(post(app, "/admin/organisations", a, org("emergency_bureau", "宁夏应急管理厅", "640000")).await, 201).await;
    let body = account("em.nx", "emergency_bureau", json!({ "organisation_id": em["id"], "region_code": "640000" }));
    let em_user = ok(post(app, "/admin/users", a, body).await, 201).await;
    let row = users::Entity::find_by_id(em_user["id"].as_i64().unwrap()).one(&app.db).await.unwrap().unwrap();
    assert_eq!((row.region_code.as_deref(), row.organisation_id), (Some("640000"), em["id"].as_i64()));

    // The bureau account signs in, changes its password, enrols and confirms TOTP.
    let hrss_secret = first_sign_in(app, "hrss.szs", &hrss_pass, "Bureau-Pass-2026").await;
    let (bureau, _) =
        token(app, "hrss.szs", "Bureau-Pass-2026", Some(next_code(app, "hrss.szs", &hrss_secret).await)).await;
    let me = ok(get(app, "/auth/me", &bureau).await, 200).await;
    assert_eq!((me["scope"].as_str(), me["scope_id"].as_str()), (Some("region"), Some("640200")));
    ok(get(app, "/gov/enterprises", &bureau).await, 200).await;
    // Administrators' functions are not the bureau's.
    support::error(get(app, "/admin/organisations", &bureau).await, 403, "forbidden").await;

    // An expired password is a forced change too.
    let u = users::Entity::find_by_id(hrss_user).one(&app.db).await.unwrap().unwrap();
    let mut m: users::ActiveModel = u.into();
    m.password_changed_at = Set(Some((Utc::now() - Duration::days(91)).fixed_offset()));
    m.update(&app.db).await.unwrap();
    support::error(get(app, "/gov/enterprises", &bureau).await, 403, "password_change_required").await;
    let change = json!({ "current_password": "Bureau-Pass-2026", "new_password": "Bureau-Pass-2027" });
    ok(post(app, "/auth/password", Some(&bureau), change).await, 204).await;
    ok(get(app, "/gov/enterprises", &bureau).await, 200).await;

    // Disable ends the sessions and refuses sign-in; enable restores it.
    ok(post(app, &format!("/admin/users/{hrss_user}/disable"), a, json!({})).await, 204).await;
    support::error(get(app, "/auth/me", &bureau).await, 401, "unauthenticated").await;
    let c = next_code(app, "hrss.szs", &hrss_secret).await;
    support::error(login(app, "hrss.szs", "Bureau-Pass-2027", Some(c)).await, 401, "invalid_credentials").await;
    ok(post(app, &format!("/admin/users/{hrss_user}/enable"), a, json!({})).await, 204).await;
    let (_, _) = token(app, "hrss.szs", "Bureau-Pass-2027", Some(next_code(app, "hrss.szs", &hrss_secret).await)).await;

    // Reset: a new one-time password, the second factor cleared, enrolled again.
    let reset = ok(post(app, &format!("/admin/users/{hrss_user}/reset-password"), a, json!({})).await, 200).await;
    let new_pass = reset["one_time_password"].as_str().unwrap().to_string();
    assert_ne!(new_pass, hrss_pass);
    support::error(login(app, "hrss.szs", "Bureau-Pass-2027", None).await, 401, "invalid_credentials").await;
    let (t, pair) = token(app, "hrss.szs", &new_pass, None).await;
    assert_eq!(
        (pair["password_change_required"].as_bool(), pair["second_factor_enrolment_required"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(ok(get(app, "/auth/me", &t).await, 200).await["second_factor"], "none");
    // The last five passwords may not come back.
    let back = json!({ "current_password": new_pass, "new_password": "Bureau-Pass-2026" });
    refused(post(app, "/auth/password", Some(&t), back).await, "new_password", Some("reused")).await;
    let secret2 = first_sign_in(app, "hrss.szs", &new_pass, "Bureau-Pass-2028").await;
    token(app, "hrss.szs", "Bureau-Pass-2028", Some(next_code(app, "hrss.szs", &secret2).await)).await;

    // Role separation: no administrator acts on its own account; WeChat accounts have
    // no password to reset; unknown accounts are 404.
    for act in ["disable", "enable", "reset-password"] {
        let e =
            support::error(post(app, &format!("/admin/users/{}/{act}", root.id), a, json!({})).await, 403, "forbidden")
                .await;
        assert_eq!(e["details"]["rule"], "own_account");
        support::error(post(app, &format!("/admin/users/999999/{act}"), a, json!({})).await, 404, "not_found").await;
    }
    support::error(post(app, "/admin/users/abc/disable", a, json!({})).await, 400, "invalid_path").await;
    // Another security administrator may be made, and may disable the first, who is
    // then not the last.
    let sec2 = ok(post(app, "/admin/users", a, account("sec.two", "security_admin", json!({}))).await, 201).await;
    assert_eq!(sec2["role"], "security_admin");
    // The audit administrator cannot keep accounts.
    let audit_pass = audit_admin["one_time_password"].as_str().unwrap().to_string();
    let audit_secret = first_sign_in(app, "audit.one", &audit_pass, "Audit-Pass-2026").await;
    let (auditor, _) =
        token(app, "audit.one", "Audit-Pass-2026", Some(next_code(app, "audit.one", &audit_secret).await)).await;
    support::error(
        post(app, &format!("/admin/users/{hrss_user}/disable"), Some(&auditor), json!({})).await,
        403,
        "forbidden",
    )
    .await;
    support::error(
        post(app, "/admin/users", Some(&auditor), account("x.y", "audit_admin", json!({}))).await,
        403,
        "forbidden",
    )
    .await;

    // Guessing the current password locks like sign-in does (the session goes on).
    for _ in 0..5 {
        let guess = json!({ "current_password": "Guess-Pass-0000", "new_password": "Audit-Pass-2027" });
        refused(post(app, "/auth/password", Some(&auditor), guess).await, "current_password", None).await;
    }
    let right = json!({ "current_password": "Audit-Pass-2026", "new_password": "Audit-Pass-2027" });
    let e = support::error(post(app, "/auth/password", Some(&auditor), right).await, 403, "account_locked").await;
    assert!(e["details"]["retry_after_seconds"].as_i64().is_some_and(|s| s > 0), "{e}");
    ok(get(app, "/auth/me", &auditor).await, 200).await;

    // The listing shows status, the forced change and the second factor.
    let page = ok(get(app, "/admin/users?per_page=200", &admin).await, 200).await;
    let row = |name: &str| page["items"].as_array().unwrap().iter().find(|u| u["username"] == name).unwrap().clone();
    assert_eq!(
        (row("hrss.szs")["second_factor"].as_bool(), row("hrss.szs")["must_change_password"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(
        (row("sec.two")["must_change_password"].as_bool(), row("sec.two")["status"].as_str()),
        (Some(true), Some("active"))
    );

    // The helpers other tests use: a service organisation account without TOTP.
    let body = json!({ "username": "svc.two", "display_name": "服务机构二", "role": "service_org", "organisation_id": service["id"] });
    let (_, svc_token, none) = staff_account(app, &admin, body, "Service-Pass-2026", false).await;
    assert!(none.is_none());
    ok(get(app, "/gov/enterprises", &svc_token).await, 200).await;

    // Every act is on the audit trail.
    let actions: Vec<String> =
        audit_log::Entity::find().all(&app.db).await.unwrap().into_iter().map(|r| r.action).collect();
    for a in [
        "user.bootstrap",
        "user.password.change",
        "user.totp.enrol",
        "user.totp.confirm",
        "organisation.create",
        "user.create",
        "user.disable",
        "user.enable",
        "user.password.reset",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited: {actions:?}");
    }
    // The one-time password is in no audit record.
    let details: Vec<String> =
        audit_log::Entity::find().all(&app.db).await.unwrap().into_iter().filter_map(|r| r.detail).collect();
    assert!(details.iter().all(|d| !d.contains(&new_pass) && !d.contains(&one_time)));
});

both!(staff_demo_accounts_sign_in_as_before, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let u = users::Entity::find().filter(users::Column::Username.eq("secadmin")).one(&app.db).await.unwrap().unwrap();
    assert!(!u.must_change_password && u.password_changed_at.is_some());
    let secret = totp::unseal(&app.state.vault, u.totp_secret.as_deref().unwrap()).unwrap();
    let (t, pair) = token(app, "secadmin", DEMO_PASSWORD, Some(next_code(app, "secadmin", &secret).await)).await;
    assert_eq!(
        (pair["password_change_required"].as_bool(), pair["second_factor_enrolment_required"].as_bool()),
        (Some(false), Some(false))
    );
    let me = ok(get(app, "/auth/me", &t).await, 200).await;
    assert_eq!((me["second_factor"].as_str(), me["password_change_required"].as_bool()), (Some("active"), Some(false)));
    ok(get(app, "/admin/users", &t).await, 200).await;
    // A demo expert (WeChat) has no password to change or factor to enrol.
    let expert = users::Entity::find().filter(users::Column::Role.eq("expert")).one(&app.db).await.unwrap().unwrap();
    let reset = post(app, &format!("/admin/users/{}/reset-password", expert.id), Some(&t), json!({})).await;
    support::error(reset, 409, "invalid_state").await;
    // An expert of the pool gets an account of its own through the API... unless it has one.
    let body =
        json!({ "username": "expert.one", "display_name": "专家", "role": "expert", "expert_id": expert.expert_id });
    let e = support::error(post(app, "/admin/users", Some(&t), body).await, 409, "conflict").await;
    assert_eq!(e["details"]["field"], "expert_id");
});

both!(staff_day_one_helpers, Opts::default(), async |app: &TestApp| {
    let (admin, _) = bootstrap_admin(app, "root.sec", "Root-Pass-2026").await;
    let org = json!({ "kind": "emergency_bureau", "name": "石嘴山市应急管理局", "region_code": "640200" });
    let org = ok(post(app, "/admin/organisations", Some(&admin), org).await, 201).await;
    let body = json!({ "username": "em.szs", "display_name": "应急局", "role": "emergency_bureau", "organisation_id": org["id"] });
    let (_, bureau, secret) = staff_account(app, &admin, body, "Emergency-Pass-2026", true).await;
    let me = ok(get(app, "/auth/me", &bureau).await, 200).await;
    assert_eq!(
        (me["role"].as_str(), me["scope_id"].as_str(), me["second_factor"].as_str()),
        (Some("emergency_bureau"), Some("640200"), Some("active"))
    );
    ok(get(app, "/gov/dashboard/summary", &bureau).await, 200).await;
    // Its sign-in asks for the code from now on.
    support::error(login(app, "em.szs", "Emergency-Pass-2026", None).await, 401, "invalid_credentials").await;
    let c = next_code(app, "em.szs", &secret.unwrap()).await;
    token(app, "em.szs", "Emergency-Pass-2026", Some(c)).await;
});
