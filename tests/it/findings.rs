//! Inspection rounds and findings through the API, as the mini-program drives them:
//! a round from recommendations, marks, findings with the whole state machine
//! (assignment, rectification, rejection, acceptance, extensions, overdue by the
//! clock, cancellation, reopening), stale versions and illegal actions refused with
//! nothing written, the sync feed, scope.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{evidence, finding_transitions, findings, rectifications};
use zhicha_tests::{Opts, TestApp, both};

use crate::support;
use crate::wechat::{mp_post, staff_token, wx_login};

pub async fn mp_token(app: &TestApp, code: &str) -> (String, i64) {
    let (s, _, t) = support::json(wx_login(app, code).await).await;
    assert_eq!(s, 200, "{t}");
    let token = t["access_token"].as_str().unwrap().to_string();
    let (_, _, me) = support::json(app.client.get(app.url("/auth/me")).bearer_auth(&token).send().await.unwrap()).await;
    (token, me["user_id"].as_i64().unwrap())
}

pub async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let (s, _, b) = support::json(app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()).await;
    (s, b)
}

pub fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let (s, _, b) = support::json(mp_post(app, path, token, &key(), body).await).await;
    (s, b)
}

pub async fn act(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    post(app, &format!("/mp/findings/{id}/actions"), token, body).await
}

/// An after-photo record for `finding` as the upload path leaves it (the upload
/// routes are tested on their own).
pub async fn photo(app: &TestApp, enterprise: i64, finding: i64, phase: &str, by: i64) -> i64 {
    let now = Utc::now().fixed_offset();
    let sha = format!("{:064x}", uuid::Uuid::new_v4().as_u128());
    evidence::ActiveModel {
        created_at: Set(now),
        enterprise_id: Set(enterprise),
        client_id: Set(key()),
        owner_kind: Set("finding".into()),
        owner_id: Set(finding),
        phase: Set(phase.into()),
        upload_path: Set("multipart".into()),
        storage_key: Set(format!("evidence/{enterprise}/{sha}")),
        display_key: Set(format!("evidence/{enterprise}/{sha}.display.jpg")),
        content_type: Set("image/jpeg".into()),
        size_bytes: Set(1000),
        sha256: Set(sha),
        width: Set(10),
        height: Set(10),
        received_at: Set(now),
        flags: Set(json!([])),
        uploaded_by: Set(by),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

fn demo() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

both!(a_round_and_its_findings, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    let (officer, officer_id) = mp_token(app, "demo-officer-e01").await;
    let (rp, rp_id) = mp_token(app, "demo-rp-e01-1").await;
    let (_, e) = get(app, "/mp/enterprise", &officer).await;
    let enterprise = e["id"].as_i64().unwrap();

    // A round from recommendations; the same client id again is the same round.
    let (s, round) = post(app, "/mp/recommendations", &officer, json!({})).await;
    assert_eq!(s, 201, "{round}");
    let start = json!({ "client_id": "round-0001-e01", "recommendation_round_id": round["id"] });
    let (s, insp) = post(app, "/mp/inspections", &officer, start.clone()).await;
    assert_eq!(s, 201, "{insp}");
    assert_eq!(insp["items"]["pending"], round["item_count"], "{insp}");
    let (s, again) = post(app, "/mp/inspections", &officer, start).await;
    assert_eq!((s, &again["id"]), (200, &insp["id"]));
    let iid = insp["id"].as_i64().unwrap();
    let (s, page) = get(app, &format!("/mp/inspections/{iid}?per_page=200"), &officer).await;
    assert_eq!(s, 200, "{page}");
    let items = page["items"].as_array().unwrap().clone();
    assert!(items.len() >= 150);

    // A finding against the first item, submitted at once: the item becomes found.
    let new = json!({
        "client_id": "finding-0001-e01", "inspection_item_id": items[0]["id"],
        "location": "二车间 3号反应釜", "description": "控制室机柜间面向装置一侧未做防爆处理", "grade": "major", "submit": true,
    });
    let (s, f) = post(app, "/mp/findings", &officer, new.clone()).await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(f["state"], "submitted");
    assert_eq!(f["item_id"], items[0]["item_id"]);
    assert_eq!(f["history"].as_array().unwrap().len(), 1);
    let fid = f["id"].as_i64().unwrap();
    let (s, replay) = post(app, "/mp/findings", &officer, new).await;
    assert_eq!((s, &replay["id"]), (200, &f["id"]), "an offline replay makes it once");
    let (_, page) = get(app, &format!("/mp/inspections/{iid}?result=found"), &officer).await;
    assert_eq!(page["total"], 1, "{page}");

    // Illegal for the state: 409 with the state, nothing written.
    let e = support::error(
        mp_post(
            app,
            &format!("/mp/findings/{fid}/actions"),
            &officer,
            &key(),
            json!({"version": 1, "action": "accept"}),
        )
        .await,
        409,
        "invalid_state",
    )
    .await;
    assert_eq!(e["details"]["state"], "submitted", "{e}");
    // Unknown fields are refused even though actions share one body.
    let e = support::error(
        mp_post(
            app,
            &format!("/mp/findings/{fid}/actions"),
            &officer,
            &key(),
            json!({"version": 1, "action": "cancel", "reason": "x", "state": "accepted"}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;
    assert_eq!(e["details"]["field"], "state");

    // Assign: a major grade needs the 五落实 plan (due tomorrow: within any item's
    // rectification deadline); the assignee must be the enterprise's.
    let grade = f["grade"].as_str().unwrap().to_string();
    let assign = |version: i64, assignee: i64| {
        let plan = json!({ "responsibility": "设备部 张工", "measures": "加装防爆隔墙", "funds_fen": 5_000_000,
                           "deadline": (Utc::now() + Duration::days(1)).date_naive(), "contingency": "停用并疏散" });
        json!({ "version": version, "action": "assign", "assignee": assignee, "plan": plan })
    };
    assert_eq!(grade, "major");
    let (s, err) = act(app, &officer, fid, json!({"version": 1, "action": "assign", "assignee": rp_id})).await;
    assert_eq!((s, &err["error"]["details"]["field"]), (422, &json!("plan")), "a major hazard needs the plan: {err}");
    let (s, err) = act(app, &officer, fid, assign(1, 999_999)).await;
    assert_eq!((s, &err["error"]["details"]["field"]), (422, &json!("assignee")), "{err}");
    let (s, f) = act(app, &officer, fid, assign(1, rp_id)).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["state"], "to_rectify");
    assert_eq!(f["rectification"]["assignee_id"], rp_id);
    assert!(f["rectification"]["plan"]["measures"].is_string(), "{f}");
    // The same version again is stale.
    let e = support::error(
        mp_post(app, &format!("/mp/findings/{fid}/actions"), &officer, &key(), assign(1, rp_id)).await,
        409,
        "version_conflict",
    )
    .await;
    assert_eq!(e["details"]["current_version"], 2);

    // The responsible person sees it, reports progress, asks for more time.
    let (_, mine) = get(app, "/mp/findings", &rp).await;
    assert_eq!(mine["total"], 1, "{mine}");
    let (s, p) =
        post(app, &format!("/mp/findings/{fid}/progress"), &rp, json!({"note": "已订购防爆材料", "progress_pct": 30}))
            .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["progress"].as_array().unwrap().len(), 1);
    let old_deadline = f["rectification"]["deadline"].as_str().unwrap().to_string();
    let later =
        (chrono::NaiveDate::parse_from_str(&old_deadline, "%Y-%m-%d").unwrap() + Duration::days(10)).to_string();
    let (s, f) = act(
        app,
        &rp,
        fid,
        json!({"version": 2, "action": "request_extension", "deadline": later, "reason": "材料到货延迟"}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["rectification"]["pending_extension"]["requested_deadline"], later.as_str());
    // The requester cannot decide their own request.
    let (s, _) = act(app, &rp, fid, json!({"version": 3, "action": "approve_extension"})).await;
    assert_eq!(s, 403);
    let (s, f) = act(app, &officer, fid, json!({"version": 3, "action": "approve_extension", "note": "同意"})).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["rectification"]["deadline"], later.as_str());
    assert!(f["rectification"]["pending_extension"].is_null());

    // Rectification needs an after-photo of this finding.
    let (s, err) = act(
        app,
        &rp,
        fid,
        json!({"version": 4, "action": "submit_rectification", "note": "已完成", "evidence_ids": [424242]}),
    )
    .await;
    assert_eq!((s, &err["error"]["details"]["field"]), (422, &json!("evidence_ids")), "{err}");
    let before = photo(app, enterprise, fid, "before", officer_id).await;
    let (s, _) = act(
        app,
        &rp,
        fid,
        json!({"version": 4, "action": "submit_rectification", "note": "已完成", "evidence_ids": [before]}),
    )
    .await;
    assert_eq!(s, 422, "a before-photo is not an after-photo");
    let after = photo(app, enterprise, fid, "after", rp_id).await;
    let (s, f) = act(
        app,
        &rp,
        fid,
        json!({"version": 4, "action": "submit_rectification", "note": "隔墙已完工", "evidence_ids": [after]}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["state"], "rectification_submitted");
    // The rectifier cannot accept; the officer rejects, it comes back, then accepts.
    let (s, _) = act(app, &rp, fid, json!({"version": 5, "action": "accept"})).await;
    assert_eq!(s, 403);
    let (s, f) = act(app, &officer, fid, json!({"version": 5, "action": "reject", "reason": "隔墙高度不足"})).await;
    assert_eq!((s, &f["state"]), (200, &json!("to_rectify")), "{f}");
    let (s, _) = act(
        app,
        &rp,
        fid,
        json!({"version": 6, "action": "submit_rectification", "note": "已加高", "evidence_ids": [after]}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, f) = act(app, &officer, fid, json!({"version": 7, "action": "accept", "note": "验收合格"})).await;
    assert_eq!((s, &f["state"]), (200, &json!("accepted")), "{f}");
    assert_eq!(f["rectification"]["accepted_by"], officer_id);
    let actions: Vec<&str> = f["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "report",
            "assign",
            "request_extension",
            "approve_extension",
            "submit_rectification",
            "reject",
            "submit_rectification",
            "accept"
        ]
    );
    assert_eq!(f["photos"].as_array().unwrap().len(), 2);
    // Reopen, with a reason.
    let (s, f) = act(app, &officer, fid, json!({"version": 8, "action": "reopen", "reason": "复查发现隔墙开裂"})).await;
    assert_eq!((s, &f["state"]), (200, &json!("to_rectify")), "{f}");

    // Overdue: the clock marks a finding whose deadline day has ended, once.
    let (_, g) = post(
        app,
        "/mp/findings",
        &officer,
        json!({
        "client_id": "finding-0002-e01", "inspection_id": iid, "location": "仓库", "description": "消防通道堆放杂物",
        "grade": "general", "accident_types": ["08"], "submit": true }),
    )
    .await;
    let gid = g["id"].as_i64().unwrap();
    let (s, g) = act(
        app,
        &officer,
        gid,
        json!({"version": 1, "action": "assign", "assignee": rp_id,
        "deadline": Utc::now().date_naive() + Duration::days(1)}),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    let r = rectifications::Entity::find()
        .filter(rectifications::Column::FindingId.eq(gid))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut r: rectifications::ActiveModel = r.into();
    r.deadline = Set(Utc::now().date_naive() - Duration::days(2));
    r.update(&app.db).await.unwrap();
    let tick = zhicha_api::governance::reminders::tick(&app.state, Utc::now()).await.unwrap();
    assert_eq!(tick.marked_overdue, 1, "{tick:?}");
    let again = zhicha_api::governance::reminders::tick(&app.state, Utc::now()).await.unwrap();
    assert_eq!(again.marked_overdue, 0);
    let (_, g) = get(app, &format!("/mp/findings/{gid}"), &officer).await;
    assert_eq!(g["state"], "overdue");
    let last = g["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((&last["actor_role"], &last["action"]), (&json!("system"), &json!("mark_overdue")), "{last}");
    // Cancelling needs a reason.
    let (s, _) = act(app, &officer, gid, json!({"version": 3, "action": "cancel", "reason": ""})).await;
    assert_eq!(s, 422);
    let (s, g) = act(app, &officer, gid, json!({"version": 3, "action": "cancel", "reason": "重复上报"})).await;
    assert_eq!((s, &g["state"]), (200, &json!("cancelled")), "{g}");

    // A closed round takes no marks; closing needs every item marked.
    let e = support::error(
        mp_post(app, &format!("/mp/inspections/{iid}/close"), &officer, &key(), json!({"version": insp["version"]}))
            .await,
        409,
        "invalid_state",
    )
    .await;
    assert!(e["details"]["pending_items"].as_u64().unwrap() > 0, "{e}");
    let (_, page) = get(app, &format!("/mp/inspections/{iid}?result=pending&per_page=200"), &officer).await;
    let mut marks: Vec<Value> =
        page["items"].as_array().unwrap().iter().map(|i| json!({"item_id": i["id"], "result": "not_found"})).collect();
    marks[0] = json!({"item_id": marks[0]["item_id"], "result": "not_applicable"});
    let e = support::error(
        mp_post(app, &format!("/mp/inspections/{iid}/marks"), &officer, &key(), json!({"marks": marks.clone()})).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(e["details"]["field"], "marks[0].reason", "a bad mark among good ones stores nothing");
    let (_, still) = get(app, &format!("/mp/inspections/{iid}?result=pending"), &officer).await;
    assert_eq!(still["total"], page["total"]);
    marks[0]["reason"] = json!("本企业无此设备");
    let (s, v) = post(app, &format!("/mp/inspections/{iid}/marks"), &officer, json!({"marks": marks})).await;
    assert_eq!((s, v["items"]["pending"].as_u64()), (200, Some(0)), "{v}");
    let (s, closed) =
        post(app, &format!("/mp/inspections/{iid}/close"), &officer, json!({"version": v["version"]})).await;
    assert_eq!((s, &closed["status"]), (200, &json!("closed")), "{closed}");
    let (s, _) = post(
        app,
        "/mp/findings",
        &officer,
        json!({"client_id": "finding-0003-e01", "inspection_id": iid,
        "location": "x", "description": "y", "grade": "general"}),
    )
    .await;
    assert_eq!(s, 409, "no findings into a closed round");
    // A phone replaying a finding it made in the round before it closed gets that one.
    let (s, replay) = post(
        app,
        "/mp/findings",
        &officer,
        json!({
        "client_id": "finding-0002-e01", "inspection_id": iid, "location": "仓库", "description": "消防通道堆放杂物",
        "grade": "general", "accident_types": ["08"], "submit": true }),
    )
    .await;
    assert_eq!((s, replay["id"].as_i64()), (200, Some(gid)), "{replay}");

    // The sync feed: everything once, at its latest change; a cursor continues.
    let (s, feed) = get(app, "/mp/sync?cursor=0", &officer).await;
    assert_eq!(s, 200, "{feed}");
    let kinds: Vec<(String, i64)> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap().to_string(), c["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(kinds.contains(&("finding".into(), fid)) && kinds.contains(&("inspection".into(), iid)));
    let cursor = feed["next_cursor"].as_i64().unwrap();
    let (_, none) = get(app, &format!("/mp/sync?cursor={cursor}"), &officer).await;
    assert!(none["changes"].as_array().unwrap().is_empty());
    let (s, _) = act(app, &officer, fid, json!({"version": 9, "action": "cancel", "reason": "误报"})).await;
    assert_eq!(s, 200);
    let (_, one) = get(app, &format!("/mp/sync?cursor={cursor}"), &officer).await;
    assert_eq!(one["changes"], json!([{ "seq": cursor + 1, "kind": "finding", "id": fid }]));

    // Scope: another enterprise's officer reads nothing; the city bureau reads it.
    let (other, _) = mp_token(app, "demo-officer-e02").await;
    let (s, _) = get(app, &format!("/mp/findings/{fid}"), &other).await;
    assert_eq!(s, 404);
    let (s, _) = act(app, &other, fid, json!({"version": 10, "action": "reopen", "reason": "x"})).await;
    assert_eq!(s, 404);
    let bureau = staff_token(app, "hrss.city").await;
    let (s, gf) = get(app, &format!("/gov/enterprises/{enterprise}/findings/{fid}"), &bureau).await;
    assert_eq!((s, &gf["state"]), (200, &json!("cancelled")), "{gf}");
    let (_, list) = get(app, &format!("/gov/enterprises/{enterprise}/findings"), &bureau).await;
    assert_eq!(list["total"], 2);
    let transitions = finding_transitions::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(transitions, 14, "one history row per change");
    let stored = findings::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(stored, 2, "replays and refusals made nothing");
});

both!(a_finding_is_checked_at_the_edge, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    let (officer, _) = mp_token(app, "demo-officer-e05").await;
    let count = || findings::Entity::find().count(&app.db);
    let before = count().await.unwrap();
    let good = json!({"client_id": key(), "location": "一车间", "description": "护栏缺失", "grade": "general"});
    let refused = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    for (body, field) in [
        (refused("location", json!(" \t ")), "location"),
        (refused("description", json!("隐".repeat(2001))), "description"),
        (refused("client_id", json!("short")), "client_id"),
        (refused("accident_types", json!(vec!["01"; 21])), "accident_types"),
    ] {
        let (s, e) = post(app, "/mp/findings", &officer, body).await;
        assert_eq!((s, &e["error"]["code"]), (422, &json!("invalid_field")), "{field}: {e}");
        assert_eq!(e["error"]["details"]["field"], field, "{e}");
    }
    // Not a grade at all: the body does not parse, and says where.
    let (s, e) = post(app, "/mp/findings", &officer, refused("grade", json!("severe"))).await;
    assert_eq!((s, &e["error"]["details"]["field"]), (422, &json!("grade")), "{e}");
    assert_eq!(count().await.unwrap(), before, "nothing refused was stored");
    // At the limits it is taken: 200 characters of place, 2000 of description.
    let body =
        json!({"client_id": key(), "location": "位".repeat(200), "description": "述".repeat(2000), "grade": "major"});
    let (s, f) = post(app, "/mp/findings", &officer, body).await;
    assert_eq!((s, &f["grade"]), (201, &json!("major")), "{f}");
});
