//! The enterprise register by API: create, edit, deactivate and reactivate, each value
//! refused with the field at fault, the region kept inside the caller's scope, every
//! change audited with the enterprise before and after.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use zhicha_api::entities::{audit_log, enterprises};
use zhicha_tests::roster::{bad_credit_code, credit_code};
use zhicha_tests::{Opts, TestApp, both};

use crate::support;
use crate::wechat::staff_token;

fn opts() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    send(app, reqwest::Method::POST, path, token, Some(body)).await
}

fn valid(n: usize) -> Value {
    json!({
        "credit_code": credit_code(n),
        "name": format!("登记测试{n}号有限公司"),
        "industry_code": "C3311",
        "region_code": "640202",
        "address": "大武口区测试路1号",
        "latitude": 39.01,
        "longitude": 106.38,
        "workforce": 120,
        "insured_workers": 110,
        "process_conditions": ["有限空间", "动火作业"],
        "equipment": ["压力容器"],
    })
}

async fn refused(res: reqwest::Response, status: u16, code: &str, field: &str) {
    let e = support::error(res, status, code).await;
    assert_eq!(e["details"]["field"], field, "{e}");
}

/// The audit record of `action` on enterprise `id`, its detail parsed.
async fn audited(app: &TestApp, action: &str, id: i64) -> Value {
    let row = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::ObjectId.eq(id.to_string()))
        .order_by_desc(audit_log::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {action} record for {id}"));
    serde_json::from_str(row.detail.as_deref().unwrap()).unwrap()
}

both!(create_edit_deactivate_with_the_field_at_fault, opts(), async |app: &TestApp| {
    app.ensure_demo().await;
    let hrss = staff_token(app, "hrss.city").await;
    // Each bad value is refused naming its field, and nothing is written.
    let before = enterprises::Entity::find().all(&app.db).await.unwrap().len();
    let mut bad = valid(1);
    bad["credit_code"] = json!(bad_credit_code(1));
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 422, "invalid_field", "credit_code").await;
    let mut bad = valid(1);
    bad["credit_code"] = json!("91640200RT000001");
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 422, "invalid_field", "credit_code").await;
    let mut bad = valid(1);
    bad["industry_code"] = json!("C9911");
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 422, "invalid_field", "industry_code").await;
    let mut bad = valid(1);
    bad["region_code"] = json!("640999");
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 422, "invalid_field", "region_code").await;
    // Yinchuan is in the province, not in the city bureau's jurisdiction.
    let mut bad = valid(1);
    bad["region_code"] = json!("640104");
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 403, "forbidden", "region_code").await;
    let mut bad = valid(1);
    bad["process_conditions"] = json!(["有限空间", "飞行作业"]);
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 422, "invalid_field", "process_conditions[1]").await;
    let mut bad = valid(1);
    bad["latitude"] = json!(91.0);
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 422, "invalid_field", "latitude").await;
    let mut bad = valid(1);
    bad.as_object_mut().unwrap().remove("name");
    refused(post(app, "/gov/enterprises", &hrss, bad).await, 422, "invalid_field", "name").await;
    assert_eq!(enterprises::Entity::find().all(&app.db).await.unwrap().len(), before, "nothing written");

    // Created: active, from the API, seen now, with its declared terms; audited with after.
    let (status, _, e) = support::json(post(app, "/gov/enterprises", &hrss, valid(1)).await).await;
    assert_eq!(status, 201, "{e}");
    let id = e["id"].as_i64().unwrap();
    assert_eq!(e["credit_code"], credit_code(1));
    assert_eq!(e["industry_code"], "C3311");
    assert_eq!(e["active"], true);
    assert_eq!(e["origin"], "api");
    assert!(e["first_seen_at"].is_string(), "{e}");
    assert_eq!(e["process_conditions"], json!(["有限空间", "动火作业"]));
    assert_eq!(e["equipment"], json!(["压力容器"]));
    let created = audited(app, "enterprise.create", id).await;
    assert_eq!(created["before"], Value::Null);
    assert_eq!(created["after"]["name"], "登记测试1号有限公司");
    // The same credit code again is a conflict on that field.
    refused(post(app, "/gov/enterprises", &hrss, valid(1)).await, 409, "conflict", "credit_code").await;

    // An edit changes what it gives; the audit holds before and after.
    let patch = json!({ "name": "登记测试一号有限公司", "workforce": 130 });
    let (status, _, e) =
        support::json(send(app, reqwest::Method::PATCH, &format!("/gov/enterprises/{id}"), &hrss, Some(patch)).await)
            .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["name"], "登记测试一号有限公司");
    assert_eq!(e["workforce"], 130);
    assert_eq!(e["insured_workers"], 110, "untouched");
    let edited = audited(app, "enterprise.update", id).await;
    assert_eq!(edited["before"]["name"], "登记测试1号有限公司");
    assert_eq!(edited["after"]["name"], "登记测试一号有限公司");
    assert_eq!(edited["before"]["workforce"], 120);
    assert_eq!(edited["after"]["workforce"], 130);
    let bad = json!({ "credit_code": bad_credit_code(1) });
    let res = send(app, reqwest::Method::PATCH, &format!("/gov/enterprises/{id}"), &hrss, Some(bad)).await;
    refused(res, 422, "invalid_field", "credit_code").await;
    let bad = json!({ "region_code": "640104" });
    let res = send(app, reqwest::Method::PATCH, &format!("/gov/enterprises/{id}"), &hrss, Some(bad)).await;
    refused(res, 403, "forbidden", "region_code").await;

    // Deactivated: out of the list, still readable, its history kept; twice is a 409.
    let (status, _, e) =
        support::json(post(app, &format!("/gov/enterprises/{id}/deactivate"), &hrss, json!({})).await).await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["active"], false);
    assert!(e["deactivated_at"].is_string());
    let off = audited(app, "enterprise.deactivate", id).await;
    assert_eq!((off["before"]["active"].clone(), off["after"]["active"].clone()), (json!(true), json!(false)));
    let list = |q: &'static str| {
        let hrss = hrss.clone();
        async move {
            let (_, _, page) = support::json(
                send(app, reqwest::Method::GET, &format!("/gov/enterprises?per_page=200{q}"), &hrss, None).await,
            )
            .await;
            page["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert!(!list("").await.contains(&id), "a deactivated enterprise leaves the list");
    assert!(list("&include_inactive=true").await.contains(&id));
    let res = send(app, reqwest::Method::GET, &format!("/gov/enterprises/{id}"), &hrss, None).await;
    assert_eq!(res.status().as_u16(), 200);
    let res = post(app, &format!("/gov/enterprises/{id}/deactivate"), &hrss, json!({})).await;
    support::error(res, 409, "invalid_state").await;
    let (status, _, e) =
        support::json(post(app, &format!("/gov/enterprises/{id}/reactivate"), &hrss, json!({})).await).await;
    assert_eq!((status, e["active"].clone()), (200, json!(true)), "{e}");
    assert!(list("").await.contains(&id));

    // The service organisation registers its own clients; it may not name another.
    let service = staff_token(app, "service").await;
    let mut mine = valid(2);
    mine["region_code"] = json!("640104");
    let (status, _, e) = support::json(post(app, "/gov/enterprises", &service, mine).await).await;
    assert_eq!(status, 201, "{e}");
    assert!(e["service_org_id"].is_i64(), "{e}");
    let sid = e["id"].as_i64().unwrap();
    let res = send(app, reqwest::Method::GET, &format!("/gov/enterprises/{sid}"), &service, None).await;
    assert_eq!(res.status().as_u16(), 200);
    let mut other = valid(3);
    other["service_org_id"] = json!(e["service_org_id"].as_i64().unwrap() + 1000);
    refused(post(app, "/gov/enterprises", &service, other).await, 403, "forbidden", "service_org_id").await;
    // Out of the city bureau's scope, its enterprise reads as not found.
    let res =
        send(app, reqwest::Method::PATCH, &format!("/gov/enterprises/{sid}"), &hrss, Some(json!({"workforce": 1})))
            .await;
    support::error(res, 404, "not_found").await;
    // The emergency bureau reads the register and does not keep it.
    let emergency = staff_token(app, "emergency.city").await;
    support::error(post(app, "/gov/enterprises", &emergency, valid(4)).await, 403, "forbidden").await;
});
