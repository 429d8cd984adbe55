//! The programme's key enterprises through the API: a bureau's proposal for its region
//! (ranked, every item with its reasons and figures), confirmation with a removal and an
//! addition (reasons required), enrolment (is_key, the first self-inspection task, the
//! service organisation told through the outbox), un-enrolment keeping the history,
//! scope and roles.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{audit_log, enterprises, outbox, tasks};
use zhicha_api::reference::scoring::{self, Trigger};
use zhicha_engine::risk::RiskConfig;
use zhicha_tests::{Opts, TestApp, both};

use crate::findings::get;
use crate::support;
use crate::wechat::staff_token;

fn demo() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

pub async fn send(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let res = app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let (s, _, b) = support::json(res).await;
    (s, b)
}

async fn is_key(app: &TestApp, id: i64) -> bool {
    enterprises::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().is_key
}

both!(programme_proposal_confirmation_enrolment_and_end, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    // A unit first seen in yesterday's roster: a chemical plant with no history.
    let new_unit = enterprises::ActiveModel {
        name: Set("石嘴山市新登记化工有限公司".into()),
        industry_code: Set(Some("C2614".into())),
        industry_division: Set(Some("26".into())),
        region_code: Set(Some("640205".into())),
        origin: Set(Some("roster".into())),
        first_seen_at: Set(Some((Utc::now() - chrono::Duration::days(1)).fixed_offset())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id;
    scoring::refit(&app.db, Trigger::Manual, Utc::now().date_naive(), &RiskConfig::default(), None).await.unwrap();
    // The demo marks every enterprise key; the programme decides it here.
    enterprises::Entity::update_many()
        .col_expr(enterprises::Column::IsKey, Expr::value(false))
        .exec(&app.db)
        .await
        .unwrap();
    let bureau = staff_token(app, "hrss.city").await;

    // Bad input names its field; another region is not found; other roles may not.
    let (s, b) = send(app, "/gov/programme/proposals", &bureau, json!({ "region_code": "64", "count": 10 })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("region_code")), "{b}");
    let (s, b) = send(app, "/gov/programme/proposals", &bureau, json!({ "region_code": "640200", "count": 0 })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("count")), "{b}");
    let (s, b) = send(app, "/gov/programme/proposals", &bureau, json!({ "region_code": "640200", "count": 501 })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("count")), "{b}");
    let (s, b) = send(app, "/gov/programme/proposals", &bureau, json!({ "region_code": "640100" })).await;
    assert_eq!(s, 404, "Yinchuan is outside the Shizuishan bureau's jurisdiction: {b}");
    let emergency = staff_token(app, "emergency.city").await;
    let service = staff_token(app, "service").await;
    for t in [&emergency, &service] {
        let (s, _) = send(app, "/gov/programme/proposals", t, json!({ "region_code": "640200" })).await;
        assert_eq!(s, 403);
    }

    // A proposal of ten: ranked, each with its reasons and figures.
    let (s, p) = send(app, "/gov/programme/proposals", &bureau, json!({ "region_code": "640200", "count": 10 })).await;
    assert_eq!(s, 201, "{p}");
    let items = p["items"].as_array().unwrap().clone();
    assert_eq!((items.len(), p["count"].as_i64(), p["region_code"].as_str()), (10, Some(10), Some("640200")), "{p}");
    assert!(p["fit_id"].is_i64(), "the current risk fit is read: {p}");
    for (i, it) in items.iter().enumerate() {
        assert_eq!(it["rank"], i + 1, "{it}");
        let reasons = it["reasons"].as_array().unwrap();
        assert!(!reasons.is_empty(), "{it}");
        for r in reasons {
            assert!(r["kind"].is_string() && r["figure"].is_number() && !r["text"].as_str().unwrap().is_empty(), "{r}");
        }
        let sum: f64 = reasons.iter().map(|r| r["points"].as_f64().unwrap()).sum();
        assert!((sum - it["score"].as_f64().unwrap()).abs() < 0.05, "{it}");
        if i > 0 {
            assert!(items[i - 1]["score"].as_f64() >= it["score"].as_f64(), "ranked by score");
        }
        assert_eq!(it["enrolled"], false);
    }
    let kinds: std::collections::HashSet<&str> =
        items.iter().flat_map(|i| i["reasons"].as_array().unwrap()).map(|r| r["kind"].as_str().unwrap()).collect();
    for k in ["risk_model", "key_industry", "serious_accident", "fund_payout", "accident_focus"] {
        assert!(kinds.contains(k), "{k} among the reasons: {kinds:?}");
    }
    assert!(items.iter().all(|i| i["new_unit"] == false), "the demo's enterprises are seeded, not new");
    // Every enterprise with a signal: the new unit is among them, scored by its prior.
    let (s, wide) =
        send(app, "/gov/programme/proposals", &bureau, json!({ "region_code": "640200", "count": 500 })).await;
    assert_eq!(s, 201, "{wide}");
    let unit = wide["items"].as_array().unwrap().iter().find(|i| i["enterprise_id"] == new_unit).cloned();
    let unit = unit.unwrap_or_else(|| panic!("the new unit is proposed: {wide}"));
    assert_eq!(unit["new_unit"], true, "{unit}");
    let kinds: Vec<&str> = unit["reasons"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"new_unit") && kinds.contains(&"key_industry"), "{unit}");
    let id = p["id"].as_i64().unwrap();
    let (s, again) = get(app, &format!("/gov/programme/proposals/{id}"), &bureau).await;
    assert_eq!((s, &again["items"]), (200, &p["items"]), "stored whole");
    let (s, _) = get(app, &format!("/gov/programme/proposals/{id}"), &service).await;
    assert_eq!(s, 403);

    // Confirmation: reasons are required, removals among the proposed, additions not.
    let proposed: Vec<i64> = items.iter().map(|i| i["enterprise_id"].as_i64().unwrap()).collect();
    let dropped = proposed[9];
    let all = enterprises::Entity::find().filter(enterprises::Column::RegionCode.starts_with("6402")).all(&app.db);
    let extra = all.await.unwrap().into_iter().map(|e| e.id).find(|e| !proposed.contains(e)).unwrap();
    let confirm = format!("/gov/programme/proposals/{id}/confirm");
    let (s, b) = send(app, &confirm, &bureau, json!({ "remove": [{ "enterprise_id": dropped }] })).await;
    assert_eq!(s, 422, "a removal without a reason: {b}");
    assert_eq!(b["error"]["details"]["field"], "remove[0].reason", "{b}");
    let (s, b) =
        send(app, &confirm, &bureau, json!({ "remove": [{ "enterprise_id": dropped, "reason": "  " }] })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("remove[0].reason")), "{b}");
    let (s, b) =
        send(app, &confirm, &bureau, json!({ "add": [{ "enterprise_id": proposed[0], "reason": "重复" }] })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("add[0].enterprise_id")), "{b}");
    let (s, b) =
        send(app, &confirm, &bureau, json!({ "add": [{ "enterprise_id": 999_999, "reason": "不存在" }] })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("add[0].enterprise_id")), "{b}");
    assert_eq!(
        tasks::Entity::find().filter(tasks::Column::Kind.eq("self_inspection")).all(&app.db).await.unwrap().len(),
        0,
        "nothing written"
    );

    let body = json!({
        "remove": [{ "enterprise_id": dropped, "reason": "已列入省级重点企业名单" }],
        "add": [{ "enterprise_id": extra, "reason": "新登记单位，行业风险高" }],
    });
    let (s, c) = send(app, &confirm, &bureau, body.clone()).await;
    assert_eq!(s, 201, "{c}");
    let enrolments = c["enrolments"].as_array().unwrap();
    assert_eq!(enrolments.len(), 10, "nine kept and one added: {c}");
    let added = enrolments.iter().find(|e| e["enterprise_id"] == extra).unwrap();
    assert_eq!((added["basis"].as_str(), added["reason"].as_str()), (Some("added"), Some("新登记单位，行业风险高")));
    assert_eq!(added["checkpoints"].as_array().unwrap().len(), 2);
    assert!(added["programme_start"].is_string() && added["current"] == true, "{added}");
    assert!(!enrolments.iter().any(|e| e["enterprise_id"] == dropped));
    let (s, b) = send(app, &confirm, &bureau, body).await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("conflict")), "confirming twice: {b}");

    // Enrolment: key, the first self-inspection task, the service organisation told.
    assert!(is_key(app, extra).await && is_key(app, proposed[0]).await);
    assert!(!is_key(app, dropped).await);
    let task_id = added["first_task_id"].as_i64().unwrap();
    let task = tasks::Entity::find_by_id(task_id).one(&app.db).await.unwrap().unwrap();
    assert_eq!((task.kind.as_str(), task.status.as_str(), task.enterprise_id), ("self_inspection", "open", extra));
    assert!(task.due_at.is_some() && task.escalation_id.is_none());
    let told =
        outbox::Entity::find().filter(outbox::Column::Topic.eq("programme_enrolment")).all(&app.db).await.unwrap();
    assert_eq!(told.len(), 10);
    let msg = told.iter().find(|m| m.payload["enterprise_id"] == extra).unwrap();
    assert_eq!(msg.payload["event"], "enrolled");
    assert_eq!(msg.payload["first_task_id"], task_id);
    assert!(msg.payload["organisation_id"].is_i64(), "{}", msg.payload);
    let (s, p) = get(app, &format!("/gov/programme/proposals/{id}"), &bureau).await;
    assert_eq!(s, 200);
    assert!(p["confirmed_at"].is_string() && p["confirmation"]["remove"][0]["enterprise_id"] == dropped, "{p}");

    // The enrolments, as each role with a scope sees them.
    for t in [&bureau, &emergency, &service] {
        let (s, page) = get(app, "/gov/programme/enrolments?current=true", t).await;
        assert_eq!((s, page["total"].as_u64()), (200, Some(10)), "{page}");
    }
    let (s, b) = get(app, "/gov/programme/enrolments?per_page=0", &bureau).await;
    assert_eq!(s, 400, "{b}");

    // Ending keeps the history and clears the key mark; a reason is required.
    let end = format!("/gov/programme/enrolments/{extra}/end");
    let (s, b) = send(app, &end, &bureau, json!({})).await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = send(app, &end, &service, json!({ "reason": "企业关停" })).await;
    assert_eq!(s, 403, "{b}");
    let (s, ended) = send(app, &end, &bureau, json!({ "reason": "企业关停" })).await;
    assert_eq!(s, 200, "{ended}");
    assert_eq!((ended["current"].as_bool(), ended["end_reason"].as_str()), (Some(false), Some("企业关停")));
    assert!(ended["ended_at"].is_string());
    assert!(!is_key(app, extra).await);
    let (s, b) = send(app, &end, &bureau, json!({ "reason": "企业关停" })).await;
    assert_eq!(s, 404, "nothing current to end: {b}");
    let (s, history) = get(app, &format!("/gov/programme/enrolments?enterprise_id={extra}"), &bureau).await;
    assert_eq!((s, history["total"].as_u64()), (200, Some(1)), "{history}");
    assert_eq!(history["enrolments"][0]["current"], false);
    let (_, current) = get(app, "/gov/programme/enrolments?current=true", &bureau).await;
    assert_eq!(current["total"], 9);

    // Every step is audited.
    let actions: Vec<String> =
        audit_log::Entity::find().all(&app.db).await.unwrap().into_iter().map(|a| a.action).collect();
    for a in ["programme.propose", "programme.confirm", "programme.enrol", "programme.end"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited");
    }

    // A later proposal marks who is enrolled already; confirming it leaves them be.
    let (s, p2) = send(app, "/gov/programme/proposals", &bureau, json!({ "region_code": "640200", "count": 10 })).await;
    assert_eq!(s, 201, "{p2}");
    assert!(p2["items"].as_array().unwrap().iter().any(|i| i["enrolled"] == true), "{p2}");
    let (s, c2) = send(app, &format!("/gov/programme/proposals/{}/confirm", p2["id"]), &bureau, json!({})).await;
    assert_eq!(s, 201, "{c2}");
    assert!(!c2["already_enrolled"].as_array().unwrap().is_empty(), "{c2}");
});
