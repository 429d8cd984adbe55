//! The trigger engine against the database (动态精准治理): a serious accident opens one
//! level-2 investigation with the 四不放过 checklist and the implicated hazard items, and
//! evaluating again opens nothing; an overdue major hazard goes to the HRSS bureau at
//! level 4 and closes with its reason once accepted; a bureau escalates and closes by
//! hand (recorded and audited); reads are scoped to the caller's region; two instances
//! evaluating at once on PostgreSQL record each cause once.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use zhicha_api::entities::{accidents, audit_log, escalations, findings, organisations, outbox, rectifications, tasks};
use zhicha_api::governance::{self, view};
use zhicha_api::identity::{Caller, Role, Scope};
use zhicha_tests::{Backend, Opts, TestApp, both, run_app};

use crate::findings::{get, mp_token};
use crate::support;
use crate::wechat::staff_token;

fn demo() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

async fn serious_accident(app: &TestApp, enterprise: i64, source_key: &str) -> i64 {
    let now = Utc::now();
    accidents::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(enterprise),
        occurred_on: Set((now - Duration::days(3)).date_naive()),
        accident_type_system: Set(Some("gb6441-86".into())),
        accident_type_code: Set(Some("09".into())),
        accident_type_gb86: Set(Some("09".into())),
        severity: Set("serious".into()),
        lost_days: Set(Some(120)),
        injured_count: Set(1),
        source: Set("test".into()),
        source_key: Set(source_key.into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn escalation(app: &TestApp, enterprise: i64, key: &str) -> Option<escalations::Model> {
    escalations::Entity::find()
        .filter(escalations::Column::EnterpriseId.eq(enterprise))
        .filter(escalations::Column::CauseKey.eq(key))
        .one(&app.db)
        .await
        .unwrap()
}

async fn tasks_of(app: &TestApp, escalation: i64) -> Vec<tasks::Model> {
    tasks::Entity::find().filter(tasks::Column::EscalationId.eq(escalation)).all(&app.db).await.unwrap()
}

both!(governance_ladder, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    let (officer, officer_id) = mp_token(app, "demo-officer-e01").await;
    let (_, own) = get(app, "/mp/enterprise", &officer).await;
    let e = own["id"].as_i64().unwrap();
    let rules = app.state.rules();

    // A serious fall from height: one L2 investigation with 四不放过 and the implicated items.
    let acc = serious_accident(app, e, "gov-test-1").await;
    let applied = governance::evaluate_enterprise(&app.db, &rules, e, Utc::now()).await.unwrap();
    let key = format!("L2-SERIOUS-ACCIDENT/accident:{acc}");
    let l2 = escalation(app, e, &key).await.expect("an L2 escalation for the accident");
    assert!(applied.opened.contains(&l2.id), "{applied:?}");
    assert_eq!((l2.level, l2.state.as_str(), l2.manual), (2, "open", false));
    assert_eq!(l2.rule_version.as_deref(), Some("1"));
    let observed = l2.inputs["observed"].as_array().unwrap();
    assert!(observed.iter().any(|o| o["value"] == json!(1.0) && o["threshold"] == json!(1.0)), "{}", l2.inputs);
    let t = tasks_of(app, l2.id).await;
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].kind.as_str(), t[0].status.as_str(), t[0].accident_id),
        ("accident_investigation", "open", Some(acc))
    );
    let ins = t[0].instructions.clone().unwrap();
    let checklist: Vec<&str> = ins["checklist"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(checklist.len(), 4, "{ins}");
    assert!(checklist.contains(&"事故原因未查清不放过"));
    assert_eq!(ins["accident_ids"], json!([acc]));
    let items = ins["implicated_items"].as_array().unwrap();
    assert!(!items.is_empty(), "items linked to falls from height");
    assert!(items.iter().all(|i| i["accident_types"].as_array().unwrap().contains(&json!("09"))), "{ins}");
    assert!(t[0].due_at.unwrap() > Utc::now() + Duration::days(14));
    let notes = outbox::Entity::find()
        .filter(outbox::Column::Topic.eq("escalation"))
        .filter(outbox::Column::DedupeKey.eq(format!("escalation:{e}:{key}:opened")))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(notes, 1);

    // Again: nothing new.
    let before = escalations::Entity::find().count(&app.db).await.unwrap();
    let again = governance::evaluate_enterprise(&app.db, &rules, e, Utc::now()).await.unwrap();
    assert!(again.opened.is_empty() && again.escalated.is_empty(), "{again:?}");
    assert_eq!(escalations::Entity::find().count(&app.db).await.unwrap(), before);

    // A major hazard past its deadline: level 4, a joint task for the city's HRSS bureau.
    let now = Utc::now();
    let f = findings::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(e),
        location: Set("二号车间".into()),
        description: Set("有限空间作业未检测".into()),
        grade: Set("major".into()),
        accident_types: Set(json!(["19"])),
        state: Set("overdue".into()),
        reported_by: Set(officer_id),
        version: Set(3),
        updated_at: Set(now.fixed_offset()),
        origin: Set("expert".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    rectifications::ActiveModel {
        created_at: Set(now.fixed_offset()),
        finding_id: Set(f.id),
        enterprise_id: Set(e),
        assignee_id: Set(officer_id),
        deadline: Set((now - Duration::days(3)).date_naive()),
        status: Set("open".into()),
        version: Set(1),
        updated_at: Set(now.fixed_offset()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    governance::evaluate_enterprise(&app.db, &rules, e, Utc::now()).await.unwrap();
    let l4 =
        escalation(app, e, &format!("L4-OVERDUE-MAJOR/finding:{}", f.id)).await.expect("L4 for the overdue hazard");
    assert_eq!((l4.level, l4.state.as_str()), (4, "open"));
    let hrss = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq("hrss_bureau"))
        .filter(organisations::Column::RegionCode.eq("640200"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let t4 = tasks_of(app, l4.id).await;
    assert_eq!(t4.len(), 1);
    assert_eq!((t4[0].kind.as_str(), t4[0].organisation_id), ("joint_research", Some(hrss.id)));

    // Accepted (销号): the cause is resolved and the escalation closes with the reason.
    let mut am: findings::ActiveModel = f.into();
    am.state = Set("accepted".into());
    am.update(&app.db).await.unwrap();
    let closed = governance::evaluate_enterprise(&app.db, &rules, e, Utc::now()).await.unwrap();
    assert!(closed.closed.contains(&l4.id), "{closed:?}");
    let l4 = escalations::Entity::find_by_id(l4.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(l4.state, "closed");
    assert!(l4.closed_at.is_some());
    assert!(l4.close_reason.as_deref().unwrap_or_default().starts_with("resolved"), "{:?}", l4.close_reason);
    assert_eq!(tasks_of(app, l4.id).await[0].status, "cancelled");

    // The city's HRSS bureau escalates by hand: recorded with who and why, audited.
    let bureau = staff_token(app, "hrss.city").await;
    let (_, me) = get(app, "/auth/me", &bureau).await;
    let res = app
        .client
        .post(app.url(&format!("/gov/enterprises/{e}/escalations")))
        .bearer_auth(&bureau)
        .json(&json!({"level": 3, "reason": "群众举报现场管理混乱"}))
        .send()
        .await
        .unwrap();
    let (s, _, m) = support::json(res).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!((m["manual"].as_bool(), m["level"].as_i64()), (Some(true), Some(3)));
    assert_eq!(m["created_by"], me["user_id"]);
    assert_eq!(m["reason"], "群众举报现场管理混乱");
    assert_eq!(m["tasks"][0]["kind"], "expert_visit");
    assert!(m["tasks"][0]["expert_id"].is_null(), "left to the expert dispatcher");
    let manual_id = m["id"].as_i64().unwrap();
    let queued = governance::awaiting_dispatch(&app.db, 100).await.unwrap();
    assert!(queued.iter().any(|t| t.escalation_id == Some(manual_id)));
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("escalation.manual"))
        .filter(audit_log::Column::ObjectId.eq(manual_id.to_string()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("audited");
    assert_eq!(audited.actor_id, me["user_id"].as_i64());
    // A reason is required; the service organisation may read but not escalate.
    let res = app
        .client
        .post(app.url(&format!("/gov/enterprises/{e}/escalations")))
        .bearer_auth(&bureau)
        .json(&json!({"level": 3, "reason": " "}))
        .send()
        .await
        .unwrap();
    support::error(res, 422, "invalid_field").await;

    // The bureau lists its city's escalations; filters work; detail has the tasks.
    let (s, all) = get(app, "/gov/escalations", &bureau).await;
    assert_eq!(s, 200, "{all}");
    let ids: Vec<i64> = all["escalations"].as_array().unwrap().iter().filter_map(|x| x["id"].as_i64()).collect();
    assert!(ids.contains(&l2.id) && ids.contains(&l4.id) && ids.contains(&manual_id), "{all}");
    let (_, lvl2) = get(app, "/gov/escalations?level=2&state=open", &bureau).await;
    assert!(lvl2["escalations"].as_array().unwrap().iter().all(|x| x["level"] == 2 && x["state"] == "open"));
    let (s, d) = get(app, &format!("/gov/escalations/{}", l2.id), &bureau).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["tasks"][0]["kind"], "accident_investigation");
    assert_eq!(d["cause_key"], key);
    let (_, per) = get(app, &format!("/gov/enterprises/{e}/escalations"), &bureau).await;
    assert!(per["escalations"].as_array().unwrap().iter().all(|x| x["enterprise_id"] == e));
    let (_, mine) = get(app, "/mp/escalations", &officer).await;
    assert!(mine["total"].as_u64().unwrap() >= 3, "{mine}");
    let (s, _) = get(app, "/gov/escalations?level=9", &bureau).await;
    assert_eq!(s, 400);

    // Another region's bureau sees none of them.
    let elsewhere = Caller {
        user_id: 0,
        display_name: "银川市人社局".into(),
        role: Role::HrssBureau,
        scope: Scope::Region(zhicha_engine::RegionCode::parse("640100").unwrap()),
        organisation_id: None,
        session_id: 0,
        family_id: String::new(),
    };
    let page = view::list(&app.state, &elsewhere, &view::Filter::default(), (1, 50)).await.unwrap();
    assert_eq!(page.total, 0);
    assert!(view::detail(&app.state, &elsewhere, l2.id).await.is_err());

    // Closed by hand: the reason is kept, its task cancelled, audited.
    let res = app
        .client
        .post(app.url(&format!("/gov/escalations/{manual_id}/close")))
        .bearer_auth(&bureau)
        .json(&json!({"reason": "现场核查属实已整改"}))
        .send()
        .await
        .unwrap();
    let (s, _, c) = support::json(res).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["state"], "closed");
    assert!(c["close_reason"].as_str().unwrap().contains("现场核查属实已整改"));
    assert_eq!(c["tasks"][0]["status"], "cancelled");
    let n = audit_log::Entity::find().filter(audit_log::Column::Action.eq("escalation.close")).count(&app.db).await;
    assert_eq!(n.unwrap(), 1);
});

/// Two instances evaluate one enterprise at the same moment: each cause once, no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_two_instances_postgres() {
    run_app(Backend::Postgres, demo(), async |app: &TestApp| {
        app.ensure_demo().await;
        let (officer, _) = mp_token(app, "demo-officer-e01").await;
        let (_, own) = get(app, "/mp/enterprise", &officer).await;
        let e = own["id"].as_i64().unwrap();
        let acc = serious_accident(app, e, "gov-race-1").await;
        let other = app.test_db_connect().await;
        let rules = app.state.rules();
        let now = Utc::now();
        let (a, b) = tokio::join!(
            governance::evaluate_enterprise(&app.db, &rules, e, now),
            governance::evaluate_enterprise(&other, &rules, e, now),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let l2 = escalation(app, e, &format!("L2-SERIOUS-ACCIDENT/accident:{acc}")).await.unwrap();
        assert!(a.opened.contains(&l2.id) ^ b.opened.contains(&l2.id), "one of them opened it: {a:?} {b:?}");
        let keys: Vec<String> = escalations::Entity::find()
            .filter(escalations::Column::EnterpriseId.eq(e))
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|x| x.cause_key)
            .collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
        assert_eq!(tasks_of(app, l2.id).await.len(), 1);
        other.close().await.unwrap();
    })
    .await;
}

// Instances tick at their own moments: on PostgreSQL a round swept by one is not swept
// again by another within half an interval (the mark in job_marks, read under the
// sweep's lock); SQLite has one process and sweeps whenever asked.
both!(a_sweep_round_runs_once_across_instances, async |app: &TestApp| {
    let now = Utc::now();
    let first = governance::job::sweep(&app.state, now).await.unwrap();
    assert!(!first.busy, "{first:?}");
    let second = governance::job::sweep(&app.state, now + Duration::minutes(5)).await.unwrap();
    let later = governance::job::sweep(&app.state, now + Duration::minutes(31)).await.unwrap();
    assert!(!later.busy, "half an interval (60 min) later the next round runs: {later:?}");
    match app.backend {
        Backend::Postgres => assert!(second.busy, "the round was swept already: {second:?}"),
        _ => assert!(!second.busy, "{second:?}"),
    }
});
