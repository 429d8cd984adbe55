//! A city's first day, as its operator lives it, from an empty database and by API only
//! (issue 17): the bootstrap security administrator creates the bureaus' and the service
//! organisation's accounts, each bureau enrols its second factor, the service
//! organisation imports a roster with bad rows (reported, nothing written), then the
//! good roster and a year of accidents, the bureau asks for 30 key enterprises with
//! reasons and confirms them, an officer binds and gets a round of at least 150 items,
//! an expert joins the pool and is offered the visit a bureau ordered, and a unit that
//! first appears in a later roster is scored and covered the same day.

use chrono::{Datelike, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use zhicha_api::entities::{enterprises, task_dispatches};
use zhicha_api::identity::{staff, totp};
use zhicha_tests::{Opts, TestApp, both, roster};

use crate::support;
use crate::wechat::{mp_post, wx_login};

fn opts() -> Opts {
    Opts { standin: true, limits: Some((100_000, 10_000, 10_000)), ..Default::default() }
}

async fn send(req: reqwest::RequestBuilder, status: u16) -> Value {
    let res = req.send().await.unwrap();
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() }
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value, status: u16) -> Value {
    let mut req = app.client.post(app.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    send(req, status).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    send(app.client.get(app.url(path)).bearer_auth(token), 200).await
}

/// The code an authenticator holding `secret` shows `ahead` steps after now (each
/// sign-in of one account takes a fresh step; the server accepts one step of skew).
fn code(secret: &str, ahead: i64) -> String {
    totp::code_at(secret, Utc::now().timestamp() / 30 + ahead).unwrap()
}

/// An account's first sign-in: the one-time password is changed and, where the role
/// signs in with a second factor, it is enrolled and confirmed. Then a full session;
/// the TOTP secret, if any.
async fn first_sign_in(app: &TestApp, username: &str, one_time: &str) -> (String, Option<String>) {
    let pair = post(app, "/auth/login", None, json!({ "username": username, "password": one_time }), 200).await;
    assert_eq!(pair["password_change_required"], true, "{pair}");
    let t = pair["access_token"].as_str().unwrap().to_string();
    // A restricted session reaches nothing but its own credentials.
    let res = app.client.get(app.url("/gov/enterprises")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // Not containing the username (the policy refuses that).
    let new = format!("Day-One-{}-2026!", username.len());
    post(app, "/auth/password", Some(&t), json!({ "current_password": one_time, "new_password": new }), 204).await;
    let mut secret = None;
    if pair["second_factor_enrolment_required"] == true {
        let e = post(app, "/auth/totp/enrol", Some(&t), json!({}), 200).await;
        assert!(e["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/"), "{e}");
        assert!(e["qr_svg"].as_str().unwrap().contains("<svg"), "a QR image");
        let s = e["secret"].as_str().unwrap().to_string();
        post(app, "/auth/totp/confirm", Some(&t), json!({ "code": code(&s, 0) }), 204).await;
        secret = Some(s);
    }
    // Signed in again with the new password (and the next code): a full session.
    let totp = secret.as_deref().map(|s| code(s, 1));
    let pair =
        post(app, "/auth/login", None, json!({ "username": username, "password": new, "totp": totp }), 200).await;
    assert_eq!(
        (pair["password_change_required"].as_bool(), pair["second_factor_enrolment_required"].as_bool()),
        (Some(false), Some(false)),
        "{pair}"
    );
    (pair["access_token"].as_str().unwrap().to_string(), secret)
}

/// A year of work-injury records for roster units: every third unit has one to four,
/// unit 0 a death, so the proposal has accidents, severity and payouts to read.
fn accidents(units: usize, year: i32) -> String {
    let mut out = String::from(
        "记录编号,统一社会信用代码,单位名称,事故日期,事故类别,受伤部位,伤害性质,岗位,伤害程度,伤残等级,损失工作日,基金支付金额,事故经过\n",
    );
    let last_month = Utc::now().month().max(2) - 1;
    for n in (0..units).step_by(3) {
        for k in 0..(1 + n % 4) {
            let month = 1 + (n + k) as u32 % last_month;
            let (severity, grade, days, payout) = match (n, k) {
                (0, 0) => ("死亡", "", 0, 950_000),
                (_, 0) if n % 9 == 0 => ("伤残", "8", 120, 96_000),
                _ => ("轻伤", "", 10 + (n % 30), 2_000 + 100 * n),
            };
            out.push_str(&format!(
                "day1-{n}-{k},{},{},{year}-{month:02}-{:02},03,A1.13,A2.10,操作工,{severity},{grade},{days},{payout}.00,作业中发生机械伤害。\n",
                roster::credit_code(n),
                roster::name(n),
                1 + (n + k) % 27,
            ));
        }
    }
    out
}

fn accident_mapping() -> String {
    let demo =
        std::fs::read_to_string(zhicha_tests::workspace_dir().join("seeds/demo/accidents.mapping.toml")).unwrap();
    demo.replace("source = \"demo\"", "source = \"hrss-feed\"")
}

both!(the_operators_day_one, opts(), async |app: &TestApp| {
    const UNITS: usize = 220;
    let year = Utc::now().year();
    assert_eq!(enterprises::Entity::find().count(&app.db).await.unwrap(), 0, "an empty database");

    // The bootstrap command's work: the first security administrator and its one-time
    // password, shown once.
    let (_, one_time) = staff::bootstrap(&app.db, &app.state.settings.auth, "sec.admin", "安全管理员").await.unwrap();
    let (sec, _) = first_sign_in(app, "sec.admin", &one_time).await;

    // Organisations and accounts of the city.
    let mut accounts = Vec::new();
    for (kind, name, role, username) in [
        ("hrss_bureau", "石嘴山市人力资源和社会保障局", "hrss_bureau", "hrss.sz"),
        ("emergency_bureau", "石嘴山市应急管理局", "emergency_bureau", "emergency.sz"),
        ("service_org", "石嘴山市安信安全技术服务有限公司", "service_org", "service.sz"),
    ] {
        let org = post(
            app,
            "/admin/organisations",
            Some(&sec),
            json!({ "kind": kind, "name": name, "region_code": "640200" }),
            201,
        )
        .await;
        let body = json!({ "username": username, "display_name": name, "role": role, "organisation_id": org["id"] });
        let account = post(app, "/admin/users", Some(&sec), body, 201).await;
        let one_time = account["one_time_password"].as_str().unwrap().to_string();
        let (token, secret) = first_sign_in(app, username, &one_time).await;
        assert_eq!(secret.is_some(), role != "service_org", "{role}: bureaus sign in with a second factor");
        accounts.push(token);
    }
    let (hrss, _emergency, service) = (accounts[0].clone(), accounts[1].clone(), accounts[2].clone());

    // A roster with bad rows: each reported with its line, nothing written.
    let bad = roster::csv(0, UNITS, &[5, 77]);
    let (status, queued) = roster::upload(app, &service, &[("kind", "roster")], "参保单位.csv", bad.as_bytes()).await;
    let feed = if status == 202 { roster::wait(app, &service, queued["id"].as_i64().unwrap()).await } else { queued };
    let lines: Vec<i64> =
        feed["errors"].as_array().unwrap_or(&Vec::new()).iter().filter_map(|e| e["line"].as_i64()).collect();
    assert_eq!(lines, vec![7, 79], "{feed}");
    assert_eq!(enterprises::Entity::find().count(&app.db).await.unwrap(), 0, "nothing half-written");

    // The good roster, then a year of accidents, both over HTTP.
    let good = roster::csv(0, UNITS, &[]);
    let (status, queued) = roster::upload(app, &service, &[("kind", "roster")], "参保单位.csv", good.as_bytes()).await;
    assert_eq!(status, 202, "{queued}");
    let feed = roster::wait(app, &service, queued["id"].as_i64().unwrap()).await;
    assert_eq!(feed["status"], "done", "{feed}");
    assert_eq!(enterprises::Entity::find().count(&app.db).await.unwrap(), UNITS as u64);
    let mapping = accident_mapping();
    let fields = [("kind", "accidents"), ("profile", "generic"), ("mapping", mapping.as_str())];
    let (status, queued) = roster::upload(app, &service, &fields, "工伤.csv", accidents(UNITS, year).as_bytes()).await;
    assert_eq!(status, 202, "{queued}");
    let feed = roster::wait(app, &service, queued["id"].as_i64().unwrap()).await;
    assert_eq!(feed["status"], "done", "{feed}");

    // The bureau asks for 30 key enterprises and gets each with its reasons.
    let proposal = post(
        app,
        "/gov/programme/proposals",
        Some(&hrss),
        json!({ "region_code": "640200", "count": 30, "year": year }),
        201,
    )
    .await;
    let items = proposal["items"].as_array().unwrap();
    assert_eq!(items.len(), 30, "{proposal}");
    for i in items {
        let reasons = i["reasons"].as_array().unwrap();
        assert!(!reasons.is_empty() && reasons.iter().all(|r| !r["text"].as_str().unwrap().is_empty()), "{i}");
    }
    // Unit 0, the one with a death and the largest payout, leads.
    assert_eq!(items[0]["name"], roster::name(0), "{}", items[0]);
    let first = items[0]["enterprise_id"].as_i64().unwrap();
    assert!(
        items[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "serious_accident" || r["kind"] == "fund_payout"),
        "the unit with a death leads with it: {}",
        items[0]
    );
    let id = proposal["id"].as_i64().unwrap();
    post(app, &format!("/gov/programme/proposals/{id}/confirm"), Some(&hrss), json!({}), 201).await;
    let enrolled = get(app, "/gov/programme/enrolments?current=true&per_page=200", &hrss).await;
    assert_eq!(enrolled["total"], 30, "{enrolled}");

    // Binding codes for an enrolled enterprise; its officer binds and gets a round.
    let issued = post(app, &format!("/gov/enterprises/{first}/binding-codes"), Some(&service), json!({}), 201).await;
    let (status, _, officer) = support::json(wx_login(app, "demo-day-one-officer").await).await;
    assert_eq!(status, 200, "{officer}");
    let officer = officer["access_token"].as_str().unwrap().to_string();
    let res = mp_post(app, "/mp/bind", &officer, "day-one-bind-0001", json!({ "code": issued["code"] })).await;
    let (status, _, bound) = support::json(res).await;
    assert_eq!((status, bound["enterprise_id"].as_i64()), (200, Some(first)), "{bound}");
    let (status, _, round) =
        support::json(mp_post(app, "/mp/recommendations", &officer, "day-one-round-01", json!({})).await).await;
    assert!(status == 201 || status == 200, "{round}");
    assert!(round["item_count"].as_i64().unwrap() >= 150, "{round}");

    // The bureau orders an expert visit; an expert added to the pool is offered it.
    post(
        app,
        &format!("/gov/enterprises/{first}/escalations"),
        Some(&hrss),
        json!({ "level": 3, "reason": "首日重点企业专家上门" }),
        201,
    )
    .await;
    // Unit 0 is of class C2614 (the roster generator's first industry): division 26.
    let division = "26";
    let body = json!({ "name": "张专家", "industries": [division], "accident_types": ["03"], "regions_served": ["640200"],
                        "latitude": 39.0, "longitude": 106.4, "max_open_tasks": 3 });
    let expert = post(app, "/gov/experts", Some(&service), body, 201).await;
    let expert_id = expert["id"].as_i64().unwrap();
    let offered = task_dispatches::Entity::find().all(&app.db).await.unwrap();
    assert!(offered.iter().any(|d| d.expert_id == expert_id), "the new expert is offered the visit: {offered:?}");
    let body =
        json!({ "username": "zhang.expert", "display_name": "张专家", "role": "expert", "expert_id": expert_id });
    let account = post(app, "/admin/users", Some(&sec), body, 201).await;
    let (expert_token, _) = first_sign_in(app, "zhang.expert", account["one_time_password"].as_str().unwrap()).await;
    let tasks = get(app, "/expert/tasks", &expert_token).await;
    assert!(tasks.to_string().contains(&format!("\"enterprise_id\":{first}")), "{tasks}");

    // A later roster brings a new unit: scored and covered the same day.
    let later = roster::csv(UNITS, 1, &[]);
    let (status, queued) =
        roster::upload(app, &service, &[("kind", "roster")], "参保单位-12月.csv", later.as_bytes()).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(roster::wait(app, &service, queued["id"].as_i64().unwrap()).await["status"], "done");
    // Scored by a refit and given a checklist by the jobs it sets off, in seconds.
    let path = format!("/gov/dashboard/enterprises?new_within_days=1&q={}", roster::name(UNITS));
    let mut covered = false;
    for _ in 0..600 {
        let page = get(app, &path, &hrss).await;
        let row = page["enterprises"].as_array().unwrap().iter().find(|e| e["name"] == roster::name(UNITS)).cloned();
        if row.is_some_and(|r| r["new_unit"] == true && r["covered"] == true) {
            covered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(covered, "the new unit is scored and has a checklist the day it appears");
});
