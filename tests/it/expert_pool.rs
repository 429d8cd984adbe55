//! The expert pool kept through the API: the service organisation adds an expert
//! (codes checked, the field at fault), the dispatcher offers it a task at once, the
//! regions it serves bound its offers, conflicts and deactivation (offers withdrawn);
//! the bureau reads the pool with its workload; other roles may not write.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{audit_log, enterprises, experts, tasks, users};
use zhicha_api::governance::experts::{self as dispatcher, Dispatched};
use zhicha_tests::{Opts, TestApp, both};

use crate::findings::{get, mp_token};
use crate::programme::send;
use crate::support;
use crate::wechat::staff_token;

fn demo() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let res = app.client.patch(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let (s, _, b) = support::json(res).await;
    (s, b)
}

/// An open expert visit of `enterprise` awaiting an expert, as the ladder leaves it.
async fn visit(app: &TestApp, enterprise: i64) -> i64 {
    tasks::ActiveModel {
        created_at: Set(Utc::now().fixed_offset()),
        enterprise_id: Set(enterprise),
        kind: Set("expert_visit".into()),
        status: Set("open".into()),
        due_at: Set(Some((Utc::now() + Duration::days(30)).fixed_offset())),
        version: Set(1),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

both!(expert_pool_create_dispatch_regions_conflicts_and_deactivation, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    // Only the pool made here takes tasks; e01 is a chemical plant (C2614) in 640205.
    experts::Entity::update_many().col_expr(experts::Column::Active, Expr::value(false)).exec(&app.db).await.unwrap();
    let officer = users::Entity::find()
        .filter(users::Column::WxOpenid.eq("demo-openid-demo-officer-e01"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let e = officer.enterprise_id.unwrap();
    let firm = enterprises::Entity::find_by_id(e).one(&app.db).await.unwrap().unwrap();
    assert_eq!((firm.industry_division.as_deref(), firm.region_code.as_deref()), (Some("26"), Some("640205")));
    let service = staff_token(app, "service").await;
    let bureau = staff_token(app, "hrss.city").await;

    let good = json!({
        "name": "新入库专家",
        "title": "注册安全工程师（化工安全）",
        "region_code": "640205",
        "regions_served": ["640200"],
        "latitude": 39.23, "longitude": 106.77,
        "industries": ["26", "25"],
        "accident_types": ["07", "08"],
        "max_open_tasks": 3,
    });
    // Codes are checked against the code tables, the field at fault named.
    for (field, value, at) in [
        ("industries", json!(["26", "2X"]), "industries[1]"),
        ("industries", json!(["C"]), "industries[0]"),
        ("industries", json!(["99"]), "industries[0]"),
        ("accident_types", json!(["21"]), "accident_types[0]"),
        ("regions_served", json!(["110000"]), "regions_served[0]"),
        ("regions_served", json!([]), "regions_served"),
        ("region_code", json!("64"), "region_code"),
        ("max_open_tasks", json!(0), "max_open_tasks"),
        ("latitude", json!(91.0), "latitude"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let (s, b) = send(app, "/gov/experts", &service, body).await;
        assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some(at)), "{field}: {b}");
    }
    let mut body = good.clone();
    body.as_object_mut().unwrap().remove("longitude");
    let (s, b) = send(app, "/gov/experts", &service, body).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("longitude")), "{b}");
    let (s, _) = send(app, "/gov/experts", &bureau, good.clone()).await;
    assert_eq!(s, 403, "the bureau reads the pool, it does not keep it");
    assert_eq!(experts::Entity::find().filter(experts::Column::Active.eq(true)).all(&app.db).await.unwrap().len(), 0);

    let (s, x) = send(app, "/gov/experts", &service, good.clone()).await;
    assert_eq!(s, 201, "{x}");
    let id = x["id"].as_i64().unwrap();
    assert_eq!(x["industries"], json!(["25", "26"]));
    assert_eq!(x["regions_served"], json!(["640200"]));
    assert_eq!(x["workload"], json!({ "open_tasks": 0, "open_offers": 0, "max_open_tasks": 3, "available": true }));

    // The dispatcher offers the new expert a task; its account (made by the security
    // administrator, here directly) sees the offer.
    // Junk is refused as a client error, never a fault.
    for junk in
        [json!([]), json!({ "name": 5 }), json!({ "name": "x", "regions_served": ["640200"], "industries": [1] })]
    {
        let (s, b) = send(app, "/gov/experts", &service, junk).await;
        assert!((400..500).contains(&s), "{b}");
    }
    for junk in [json!({ "name": "" }), json!({ "latitude": 1.0 }), json!({ "regions_served": [] }), json!(null)] {
        let (s, b) = patch(app, &format!("/gov/experts/{id}"), &service, junk).await;
        assert!((400..500).contains(&s), "{b}");
    }
    let t = visit(app, e).await;
    let d = dispatcher::dispatch_task(&app.state, t, Utc::now()).await.unwrap();
    assert!(matches!(d, Dispatched::Offered { expert_id, .. } if expert_id == id), "{d:?}");
    users::ActiveModel {
        display_name: Set("新入库专家".into()),
        role: Set("expert".into()),
        expert_id: Set(Some(id)),
        wx_openid: Set(Some(format!("demo-openid-demo-t-expert-{id}"))),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (xt, _) = mp_token(app, &format!("demo-t-expert-{id}")).await;
    let (s, mine) = get(app, "/expert/tasks", &xt).await;
    assert_eq!(s, 200, "{mine}");
    assert!(mine.as_array().unwrap().iter().any(|m| m["id"] == t && m["offer"]["status"] == "offered"), "{mine}");

    // The pool at a glance, for the service organisation and the bureau alike.
    for token in [&service, &bureau] {
        let (s, page) = get(app, "/gov/experts?active=true", token).await;
        assert_eq!(s, 200, "{page}");
        let row = page["experts"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap();
        assert_eq!(
            (row["workload"]["open_offers"].as_i64(), row["workload"]["open_tasks"].as_i64()),
            (Some(1), Some(0))
        );
    }
    let (s, _) = get(app, "/gov/experts", &xt).await;
    assert_eq!(s, 403);
    let (s, _) = get(app, &format!("/gov/experts/{id}"), &bureau).await;
    assert_eq!(s, 200);

    // Regions served bound the offers: moved to Yinchuan, e01's next task is no one's.
    let (s, b) = patch(app, &format!("/gov/experts/{id}"), &service, json!({ "industries": ["2Y"] })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("industries[0]")), "{b}");
    let (s, moved) = patch(app, &format!("/gov/experts/{id}"), &service, json!({ "regions_served": ["640100"] })).await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!((moved["regions_served"].clone(), moved["name"].clone()), (json!(["640100"]), good["name"].clone()));
    let t2 = visit(app, e).await;
    assert_eq!(dispatcher::dispatch_task(&app.state, t2, Utc::now()).await.unwrap(), Dispatched::NoExpert);
    let (s, _) = patch(app, &format!("/gov/experts/{id}"), &service, json!({ "regions_served": ["640200"] })).await;
    assert_eq!(s, 200);
    // Widening the expert offers it the waiting task at once.
    let held = tasks::Entity::find_by_id(t2).one(&app.db).await.unwrap().unwrap();
    assert_eq!(held.expert_id, Some(id), "t2 offered after the edit");
    let edits =
        audit_log::Entity::find().filter(audit_log::Column::Action.eq("expert.edit")).all(&app.db).await.unwrap();
    assert!(edits.iter().any(|a| a.detail.as_deref().is_some_and(|d| d.contains("before") && d.contains("640100"))));

    // A declared conflict: never that enterprise's tasks.
    let conflicts = format!("/gov/experts/{id}/conflicts");
    let (s, b) = send(app, &conflicts, &service, json!({ "enterprise_id": e, "reason": "" })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("reason")), "{b}");
    let long = "长".repeat(256);
    let (s, b) = send(app, &conflicts, &service, json!({ "enterprise_id": e, "reason": long })).await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("reason")), "{b}");
    let (s, b) = send(app, &conflicts, &service, json!({ "enterprise_id": 999_999, "reason": "前雇员" })).await;
    assert_eq!(s, 404, "{b}");
    let (s, c) = send(app, &conflicts, &service, json!({ "enterprise_id": e, "reason": "曾任该企业安全主管" })).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["conflicts"][0]["enterprise_id"], e);
    let (s, _) = send(app, &conflicts, &service, json!({ "enterprise_id": e, "reason": "曾任该企业安全主管" })).await;
    assert_eq!(s, 409);
    let t4 = visit(app, e).await;
    assert_eq!(dispatcher::dispatch_task(&app.state, t4, Utc::now()).await.unwrap(), Dispatched::NoExpert);

    // Deactivated: its open offer is withdrawn, and it is offered nothing more.
    let (s, b) = send(app, &format!("/gov/experts/{id}/deactivate"), &service, json!({})).await;
    assert_eq!(s, 422, "{b}");
    let (s, off) = send(app, &format!("/gov/experts/{id}/deactivate"), &service, json!({ "reason": "退休" })).await;
    assert_eq!(s, 200, "{off}");
    assert_eq!((off["active"].as_bool(), off["deactivation_reason"].as_str()), (Some(false), Some("退休")));
    assert_eq!(off["workload"]["open_offers"], 0);
    for task in [t, t2] {
        let held = tasks::Entity::find_by_id(task).one(&app.db).await.unwrap().unwrap();
        assert_eq!((held.expert_id, held.status.as_str()), (None, "open"), "offer of {task} withdrawn");
    }
    let (s, _) = send(app, &format!("/gov/experts/{id}/deactivate"), &service, json!({ "reason": "退休" })).await;
    assert_eq!(s, 409);
    // e02, a chemical plant of the same county, was the expert's to take.
    let e02 = users::Entity::find()
        .filter(users::Column::WxOpenid.eq("demo-openid-demo-officer-e02"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .enterprise_id
        .unwrap();
    let t3 = visit(app, e02).await;
    assert_eq!(dispatcher::dispatch_task(&app.state, t3, Utc::now()).await.unwrap(), Dispatched::NoExpert);
});
