//! The ladder end to end (issue 7): a serious accident → a level-2 investigation;
//! hazards left overdue → a level-3 expert visit, dispatched to a qualified expert who
//! accepts, checks in on site, records a hazard and reports; the follow-up inspection
//! fails → level-5 joint supervision with both bureaus; every hazard rectified → the
//! joint supervision and the overdue backlog close with their reasons.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{accidents, enterprises, escalations, rectifications, tasks, users};
use zhicha_tests::{Opts, TestApp, both};

use crate::findings::{act, get, key, mp_token, photo, post};
use crate::support;

async fn evaluate(app: &TestApp, enterprise: i64) {
    zhicha_api::governance::evaluate_enterprise(&app.db, &app.state.rules(), enterprise, Utc::now()).await.unwrap();
}

async fn open_escalation(app: &TestApp, enterprise: i64, rule: &str) -> Option<escalations::Model> {
    escalations::Entity::find()
        .filter(escalations::Column::EnterpriseId.eq(enterprise))
        .filter(escalations::Column::RuleId.eq(rule))
        .one(&app.db)
        .await
        .unwrap()
}

async fn expert_post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key())
        .json(&body)
        .send()
        .await
        .unwrap();
    let (s, _, b) = support::json(res).await;
    (s, b)
}

/// Takes a finding from wherever it is to accepted, as officer and responsible person.
async fn rectify(app: &TestApp, officer: &str, rp: &str, rp_id: i64, enterprise: i64, id: i64) {
    let (_, f) = get(app, &format!("/mp/findings/{id}"), officer).await;
    let mut v = f["version"].as_i64().unwrap();
    if f["state"] == "submitted" {
        let (s, f) = act(
            app,
            officer,
            id,
            json!({"version": v, "action": "assign", "assignee": rp_id,
            "deadline": (Utc::now() + Duration::days(10)).date_naive(), "plan": {
            "responsibility": "安全科", "measures": "整改", "funds_fen": 1000, "contingency": "停用",
            "deadline": (Utc::now() + Duration::days(10)).date_naive() }}),
        )
        .await;
        assert_eq!(s, 200, "{f}");
        v = f["version"].as_i64().unwrap();
    }
    let after = photo(app, enterprise, id, "after", rp_id).await;
    let (s, f) = act(
        app,
        rp,
        id,
        json!({"version": v, "action": "submit_rectification", "note": "已整改", "evidence_ids": [after]}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    let (s, f) = act(app, officer, id, json!({"version": v + 1, "action": "accept"})).await;
    assert_eq!((s, &f["state"]), (200, &json!("accepted")), "{f}");
}

both!(
    ladder_from_accident_to_joint_supervision_and_back,
    Opts { demo: true, standin: true, limits: Some((60_000, 10_000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let (officer, _) = mp_token(app, "demo-officer-e06").await;
        let (rp, rp_id) = mp_token(app, "demo-rp-e06-1").await;
        let (_, e) = get(app, "/mp/enterprise", &officer).await;
        let enterprise = e["id"].as_i64().unwrap();

        // 1. A serious accident (as `zhicha import` stores it, then evaluates the enterprise).
        let now = Utc::now();
        accidents::ActiveModel {
            created_at: Set(now.fixed_offset()),
            enterprise_id: Set(enterprise),
            occurred_on: Set((now - Duration::days(2)).date_naive()),
            accident_type_system: Set(Some("gb6441-86".into())),
            accident_type_code: Set(Some("04".into())),
            accident_type_gb86: Set(Some("04".into())),
            severity: Set("serious".into()),
            lost_days: Set(Some(150)),
            injured_count: Set(1),
            source: Set("test".into()),
            source_key: Set("ladder-e2e-1".into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        evaluate(app, enterprise).await;
        let l2 = open_escalation(app, enterprise, "L2-SERIOUS-ACCIDENT").await.expect("an investigation");
        assert_eq!((l2.level, l2.state.as_str()), (2, "open"));
        let inv = tasks::Entity::find().filter(tasks::Column::EscalationId.eq(l2.id)).all(&app.db).await.unwrap();
        assert_eq!(inv.len(), 1);
        assert_eq!(inv[0].kind, "accident_investigation");
        // The officer investigates: every item of the 四不放过 checklist answered.
        let (s, mine) = get(app, "/mp/tasks", &officer).await;
        assert_eq!(s, 200, "{mine}");
        let task = mine.as_array().unwrap().iter().find(|t| t["id"] == inv[0].id).unwrap().clone();
        let checklist: Vec<String> = task["instructions"]["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(checklist.len(), 4, "{task}");
        assert!(!task["instructions"]["implicated_items"].as_array().unwrap().is_empty(), "{task}");
        let answers: Vec<Value> = checklist.iter().map(|c| json!({"item": c, "note": "已落实"})).collect();
        let path = format!("/mp/tasks/{}/complete", inv[0].id);
        let (s, e422) =
            post(app, &path, &officer, json!({"version": 1, "answers": answers[..3], "summary": "吊装作业违章"})).await;
        assert_eq!((s, &e422["error"]["details"]["field"]), (422, &json!("answers[3]")), "{e422}");
        let (s, done) =
            post(app, &path, &officer, json!({"version": 1, "answers": answers, "summary": "吊装作业违章，已处理"}))
                .await;
        assert_eq!((s, &done["status"]), (200, &json!("done")), "{done}");
        evaluate(app, enterprise).await;
        let l2 = escalations::Entity::find_by_id(l2.id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(l2.state, "closed", "the investigation done closes it: {l2:?}");

        // 2. Five hazards assigned and left 35 days past their deadline: the clock marks
        //    them overdue and the backlog opens an expert visit (level 3).
        let mut found = Vec::new();
        for n in 0..5 {
            let (s, f) = post(
                app,
                "/mp/findings",
                &officer,
                json!({"client_id": format!("ladder-{n:04}"),
                "location": format!("起重区{n}"), "description": "吊索具磨损超标", "grade": "general",
                "accident_types": ["04"], "submit": true}),
            )
            .await;
            assert_eq!(s, 201, "{f}");
            let id = f["id"].as_i64().unwrap();
            let (s, b) = act(
                app,
                &officer,
                id,
                json!({"version": 1, "action": "assign", "assignee": rp_id,
                "deadline": (Utc::now() + Duration::days(7)).date_naive()}),
            )
            .await;
            assert_eq!(s, 200, "{b}");
            let r = rectifications::Entity::find()
                .filter(rectifications::Column::FindingId.eq(id))
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            let mut r: rectifications::ActiveModel = r.into();
            r.deadline = Set(Utc::now().date_naive() - Duration::days(35));
            r.update(&app.db).await.unwrap();
            found.push(id);
        }
        let t = zhicha_api::governance::reminders::tick(&app.state, Utc::now()).await.unwrap();
        assert_eq!(t.marked_overdue, 5, "{t:?}");
        evaluate(app, enterprise).await;
        let l3 = open_escalation(app, enterprise, "L3-OVERDUE-BACKLOG").await.expect("an expert visit");
        let visit =
            tasks::Entity::find().filter(tasks::Column::EscalationId.eq(l3.id)).one(&app.db).await.unwrap().unwrap();
        assert_eq!((visit.kind.as_str(), visit.expert_id), ("expert_visit", None), "waiting for the dispatcher");

        // 3. Dispatched to a qualified expert, who accepts, checks in on site, records a
        //    hazard and reports with a one-enterprise-one-plan and a follow-up in 14 days.
        zhicha_api::governance::experts::dispatch_task(&app.state, visit.id, Utc::now()).await.unwrap();
        let visit = tasks::Entity::find_by_id(visit.id).one(&app.db).await.unwrap().unwrap();
        let expert_id = visit.expert_id.expect("offered to an expert");
        let user =
            users::Entity::find().filter(users::Column::ExpertId.eq(expert_id)).one(&app.db).await.unwrap().unwrap();
        let code = user.wx_openid.unwrap().trim_start_matches("demo-openid-").to_string();
        let (expert, _) = mp_token(app, &code).await;
        let base = format!("/expert/tasks/{}", visit.id);
        let (s, b) = expert_post(app, &expert, &format!("{base}/accept"), json!({})).await;
        assert_eq!(s, 200, "{b}");
        let site = enterprises::Entity::find_by_id(enterprise).one(&app.db).await.unwrap().unwrap();
        let (lat, lon) = (site.latitude.unwrap(), site.longitude.unwrap());
        let (s, b) =
            expert_post(app, &expert, &format!("{base}/checkin"), json!({"latitude": lat, "longitude": lon})).await;
        assert_eq!((s, &b["far"]), (201, &json!(false)), "{b}");
        let (s, ef) = expert_post(
            app,
            &expert,
            &format!("{base}/findings"),
            json!({"client_id": key(),
            "location": "行车轨道", "description": "行车限位器失效", "grade": "major", "accident_types": ["04"]}),
        )
        .await;
        assert!(s == 200 || s == 201, "{ef}");
        let expert_finding = ef["id"].as_i64().unwrap();
        assert_eq!(ef["origin"], "expert");
        let (s, rep) = expert_post(
            app,
            &expert,
            &format!("{base}/report"),
            json!({"summary": "起重作业管理薄弱",
            "plan": "一企一策：更换吊索具，限位器每日点检，起重作业专项培训", "follow_up_days": 14}),
        )
        .await;
        assert!(s == 200 || s == 201, "{rep}");
        let follow = tasks::Entity::find()
            .filter(tasks::Column::EnterpriseId.eq(enterprise))
            .filter(tasks::Column::Kind.eq("follow_up"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a follow-up scheduled");

        // 4. The follow-up finds the hazards not rectified: joint supervision (level 5)
        //    with tasks for both bureaus.
        let mut checked = found.clone();
        checked.push(expert_finding);
        let (s, b) = expert_post(
            app,
            &expert,
            &format!("/expert/tasks/{}/checkin", follow.id),
            json!({"latitude": lat, "longitude": lon}),
        )
        .await;
        assert_eq!(s, 201, "the follow-up is on site too: {b}");
        let (s, b) = expert_post(
            app,
            &expert,
            &format!("/expert/tasks/{}/follow-up", follow.id),
            json!({"verdict": "failed", "notes": "吊索具未更换", "finding_ids": checked}),
        )
        .await;
        assert!(s == 200 || s == 201, "{b}");
        evaluate(app, enterprise).await;
        let l5 = open_escalation(app, enterprise, "L5-FAILED-FOLLOW-UP").await.expect("joint supervision");
        assert_eq!((l5.level, l5.state.as_str()), (5, "open"));
        assert_eq!(l5.cause_key, format!("L5-FAILED-FOLLOW-UP/visit:{}", visit.id));
        let joint = tasks::Entity::find().filter(tasks::Column::EscalationId.eq(l5.id)).all(&app.db).await.unwrap();
        assert!(
            !joint.is_empty() && joint.iter().all(|t| t.kind == "joint_supervision" && t.organisation_id.is_some()),
            "{joint:?}"
        );
        // The emergency bureau carries out its joint supervision and records it.
        let emergency = crate::wechat::staff_token(app, "emergency.city").await;
        let mine = joint.iter().find(|t| t.organisation_id.is_some()).unwrap();
        let org = zhicha_api::entities::organisations::Entity::find_by_id(mine.organisation_id.unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let bureau = if org.kind == "emergency_bureau" {
            emergency.clone()
        } else {
            crate::wechat::staff_token(app, "hrss.city").await
        };
        let checklist: Vec<Value> = mine.instructions.as_ref().unwrap()["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| json!({"item": c, "note": "已督导"}))
            .collect();
        let res = app
            .client
            .post(app.url(&format!("/gov/tasks/{}/complete", mine.id)))
            .bearer_auth(&bureau)
            .json(&json!({"version": mine.version, "answers": checklist, "summary": "联合督导已开展"}))
            .send()
            .await
            .unwrap();
        let (s, _, b) = support::json(res).await;
        assert_eq!((s, &b["status"]), (200, &json!("done")), "{b}");
        // Evaluating again opens nothing new.
        let before = escalations::Entity::find()
            .filter(escalations::Column::EnterpriseId.eq(enterprise))
            .all(&app.db)
            .await
            .unwrap()
            .len();
        evaluate(app, enterprise).await;
        let after = escalations::Entity::find()
            .filter(escalations::Column::EnterpriseId.eq(enterprise))
            .all(&app.db)
            .await
            .unwrap()
            .len();
        assert_eq!(before, after);

        // 5. Every hazard rectified and accepted: the joint supervision and the backlog
        //    close with their reasons.
        for id in &checked {
            rectify(app, &officer, &rp, rp_id, enterprise, *id).await;
        }
        evaluate(app, enterprise).await;
        let l5 = escalations::Entity::find_by_id(l5.id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(l5.state, "closed", "{l5:?}");
        assert!(l5.close_reason.as_deref().is_some_and(|r| !r.is_empty()), "{l5:?}");
        let l3 = escalations::Entity::find_by_id(l3.id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(l3.state, "closed", "{l3:?}");
        let open_joint = tasks::Entity::find()
            .filter(tasks::Column::EscalationId.eq(l5.id))
            .filter(tasks::Column::Status.eq("open"))
            .all(&app.db)
            .await
            .unwrap();
        assert!(open_joint.is_empty(), "the closed escalation's tasks are cancelled");
        // The enterprise sees its escalations, closed ones with their reasons.
        let (s, mine) = get(app, "/mp/escalations", &officer).await;
        assert_eq!(s, 200, "{mine}");
        assert!(mine.to_string().contains("L5-FAILED-FOLLOW-UP"), "{mine}");
    }
);
