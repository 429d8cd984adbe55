//! The expert pool at work through the API: dispatch by competence, workload and
//! distance (never to a conflicted expert), ties drawn and recorded, decline and
//! expiry re-dispatch, and a visit on site (check-in near and far, a finding in the
//! enterprise's list, the report with its follow-up, a failed follow-up), scope.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{
    enterprises, expert_competences, expert_conflicts, experts, outbox, task_dispatches, tasks, users,
};
use zhicha_api::governance::experts::{self as pool, Dispatched};
use zhicha_tests::{Opts, TestApp, both};

use crate::findings::{get, key, mp_token, post};
use crate::support;
use crate::wechat::staff_token;

fn demo() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

/// Site of the test enterprise (石嘴山, near the demo experts).
const SITE: (f64, f64) = (39.02, 106.38);

/// The demo enterprise e01, made a chemical plant (C2614) at [`SITE`]; the demo
/// experts are retired so that only the test's own pool is drawn from.
async fn setup(app: &TestApp) -> i64 {
    app.ensure_demo().await;
    experts::Entity::update_many().col_expr(experts::Column::Active, Expr::value(false)).exec(&app.db).await.unwrap();
    let officer = users::Entity::find()
        .filter(users::Column::WxOpenid.eq("demo-openid-demo-officer-e01"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let e = officer.enterprise_id.unwrap();
    enterprises::ActiveModel {
        id: Set(e),
        industry_code: Set(Some("C2614".into())),
        industry_division: Set(Some("26".into())),
        latitude: Set(Some(SITE.0)),
        longitude: Set(Some(SITE.1)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    e
}

/// An expert competent in `divisions` at (`lat`, `lon`) with an account; returns the
/// expert id and the stand-in sign-in code.
async fn expert(app: &TestApp, name: &str, divisions: &[&str], at: (f64, f64)) -> (i64, String) {
    let x = experts::ActiveModel {
        name: Set(name.into()),
        latitude: Set(Some(at.0)),
        longitude: Set(Some(at.1)),
        max_open_tasks: Set(5),
        active: Set(true),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for d in divisions {
        expert_competences::ActiveModel {
            expert_id: Set(x.id),
            kind: Set("industry".into()),
            code_system: Set("gb4754-2017".into()),
            code: Set((*d).into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    users::ActiveModel {
        display_name: Set(name.into()),
        role: Set("expert".into()),
        expert_id: Set(Some(x.id)),
        wx_openid: Set(Some(format!("demo-openid-demo-t-expert-{}", x.id))),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    (x.id, format!("demo-t-expert-{}", x.id))
}

/// A task as the governance side leaves it: open, no expert.
async fn task(app: &TestApp, enterprise: i64, kind: &str, expert: Option<i64>, status: &str) -> i64 {
    tasks::ActiveModel {
        created_at: Set(Utc::now().fixed_offset()),
        enterprise_id: Set(enterprise),
        kind: Set(kind.into()),
        status: Set(status.into()),
        expert_id: Set(expert),
        due_at: Set(Some((Utc::now() + Duration::days(30)).fixed_offset())),
        version: Set(1),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn offers(app: &TestApp, task: i64) -> Vec<task_dispatches::Model> {
    let mut v =
        task_dispatches::Entity::find().filter(task_dispatches::Column::TaskId.eq(task)).all(&app.db).await.unwrap();
    v.sort_by_key(|d| d.id);
    v
}

async fn holder(app: &TestApp, id: i64) -> tasks::Model {
    tasks::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

both!(experts_dispatch_by_competence_workload_distance_decline_and_expiry, demo(), async |app: &TestApp| {
    let e = setup(app).await;
    let near = SITE;
    let far = (SITE.0 + 0.9, SITE.1); // about 100 km north
    let (busy, _) = expert(app, "busy nearby", &["26"], near).await;
    let (free_far, free_far_code) = expert(app, "free far away", &["26", "25"], far).await;
    let (conflicted, _) = expert(app, "conflicted", &["26"], near).await;
    let (section_only, _) = expert(app, "machinery (same section)", &["33"], near).await;
    let (_unrelated, _) = expert(app, "construction", &["47"], near).await;
    expert_conflicts::ActiveModel {
        expert_id: Set(conflicted),
        enterprise_id: Set(e),
        reason: Set("former employee".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for _ in 0..2 {
        task(app, e, "expert_visit", Some(busy), "accepted").await;
    }

    // Competent, least loaded, not conflicted: the free expert, though far away.
    let t = task(app, e, "expert_visit", None, "open").await;
    let d = pool::dispatch_task(&app.state, t, Utc::now()).await.unwrap();
    assert!(matches!(d, Dispatched::Offered { expert_id, .. } if expert_id == free_far), "{d:?}");
    assert_eq!(pool::dispatch_task(&app.state, t, Utc::now()).await.unwrap(), Dispatched::NotPending);
    let o = offers(app, t).await;
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].status, "offered");
    assert_eq!(o[0].drawn_from["tied"], json!([free_far]), "{}", o[0].drawn_from);
    let ranked: Vec<i64> =
        o[0].drawn_from["ranking"].as_array().unwrap().iter().map(|c| c["expert_id"].as_i64().unwrap()).collect();
    assert_eq!(ranked, vec![free_far, busy, section_only], "conflicted and unrelated experts are not candidates");

    // The expert sees the offer with the site and its deadline.
    let (token, _) = mp_token(app, &free_far_code).await;
    let (s, list) = get(app, "/expert/tasks", &token).await;
    assert_eq!(s, 200, "{list}");
    let mine = list.as_array().unwrap().iter().find(|x| x["id"] == t).unwrap();
    assert_eq!(mine["offer"]["status"], "offered");
    assert_eq!(mine["site"]["enterprise_id"], e);
    assert!(mine["offer"]["respond_by"].is_string());

    // A reason is required; declining re-dispatches at once: division beats section.
    let (s, b) = post(app, &format!("/expert/tasks/{t}/decline"), &token, json!({ "reason": " " })).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_field")), "{b}");
    let (s, b) = post(app, &format!("/expert/tasks/{t}/decline"), &token, json!({ "reason": "on leave" })).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["redispatched"], true);
    assert_eq!(holder(app, t).await.expert_id, Some(busy));
    let (s, _) = get(app, &format!("/expert/tasks/{t}"), &token).await;
    assert_eq!(s, 404, "a declined task is no longer the expert's");

    // Unanswered past the deadline: expired, then offered to the next.
    let later = Utc::now() + Duration::hours(25);
    let tick = pool::tick(&app.state, later).await.unwrap();
    assert_eq!((tick.expired, tick.offered), (1, 1), "{tick:?}");
    assert_eq!(holder(app, t).await.expert_id, Some(section_only));
    // Everyone asked: the task waits and the service organisation is told.
    let tick = pool::tick(&app.state, later + Duration::hours(25)).await.unwrap();
    assert_eq!((tick.expired, tick.offered, tick.unfilled), (1, 0, 1), "{tick:?}");
    let h = holder(app, t).await;
    assert_eq!((h.expert_id, h.status.as_str()), (None, "open"));
    let told =
        outbox::Entity::find().filter(outbox::Column::Topic.eq(pool::UNFILLED_TOPIC)).all(&app.db).await.unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].payload["task_id"], t);
    let o = offers(app, t).await;
    let history: Vec<(i64, &str)> = o.iter().map(|d| (d.expert_id, d.status.as_str())).collect();
    assert_eq!(history, vec![(free_far, "declined"), (busy, "expired"), (section_only, "expired")]);
    assert_eq!(o[0].reason.as_deref(), Some("on leave"));
    assert!(!o.iter().any(|d| d.expert_id == conflicted), "never the conflicted expert");

    // The bureau sees the dispatch history; an expert may not.
    let bureau = staff_token(app, "hrss.city").await;
    let (s, page) = get(app, "/gov/tasks?kind=expert_visit&status=open", &bureau).await;
    assert_eq!(s, 200, "{page}");
    let row = page["tasks"].as_array().unwrap().iter().find(|x| x["id"] == t).unwrap();
    assert_eq!(row["dispatches"].as_array().unwrap().len(), 3, "{row}");
    assert_eq!(row["dispatches"][0]["reason"], "on leave");
    let (s, _) = get(app, "/gov/tasks", &token).await;
    assert_eq!(s, 403);
    let (s, b) = get(app, "/gov/tasks?kind=nonsense", &bureau).await;
    assert_eq!(s, 400, "{b}");
});

both!(experts_ties_are_drawn_at_random_and_recorded, demo(), async |app: &TestApp| {
    let e = setup(app).await;
    // The demo's experts sign in through the stand-in in the order of city.toml.
    let (demo_expert, _) = mp_token(app, "demo-expert-01").await;
    let (s, list) = get(app, "/expert/tasks", &demo_expert).await;
    assert_eq!((s, list), (200, json!([])));
    let (a, _) = expert(app, "twin a", &["26"], SITE).await;
    let (b, _) = expert(app, "twin b", &["26"], SITE).await;
    let mut drawn = std::collections::HashSet::new();
    for _ in 0..12 {
        // Each twin holds the same load before every draw: the previous task is closed.
        let t = task(app, e, "follow_up", None, "open").await;
        let Dispatched::Offered { expert_id, .. } = pool::dispatch_task(&app.state, t, Utc::now()).await.unwrap()
        else {
            panic!("not dispatched");
        };
        let o = offers(app, t).await;
        let tied: Vec<i64> = serde_json::from_value(o[0].drawn_from["tied"].clone()).unwrap();
        assert_eq!(tied, vec![a.min(b), a.max(b)], "{}", o[0].drawn_from);
        let seed = o[0].drawn_from["seed"].as_u64().unwrap();
        assert_eq!(tied[(seed % 2) as usize], expert_id, "the draw is reproducible from its seed");
        assert_eq!(o[0].drawn_from["drawn"], expert_id);
        drawn.insert(expert_id);
        tasks::ActiveModel { id: Set(t), status: Set("cancelled".into()), ..Default::default() }
            .update(&app.db)
            .await
            .unwrap();
    }
    assert_eq!(drawn.len(), 2, "twelve fair draws pick both twins (fails with probability 1/2048)");
});

async fn expert_post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    post(app, path, token, body).await
}

both!(experts_visit_checkin_findings_report_and_failed_follow_up, demo(), async |app: &TestApp| {
    let e = setup(app).await;
    let (x, x_code) = expert(app, "visiting expert", &["26"], SITE).await;
    let (_y, y_code) = expert(app, "other expert", &["47"], SITE).await;
    let t = task(app, e, "expert_visit", None, "open").await;
    assert!(matches!(
        pool::dispatch_task(&app.state, t, Utc::now()).await.unwrap(),
        Dispatched::Offered { expert_id, .. } if expert_id == x
    ));
    let (xt, _) = mp_token(app, &x_code).await;
    let (yt, _) = mp_token(app, &y_code).await;
    let (officer, _) = mp_token(app, "demo-officer-e01").await;

    // Another expert neither sees nor acts on it.
    let (s, _) = get(app, &format!("/expert/tasks/{t}"), &yt).await;
    assert_eq!(s, 404);
    let (s, _) = expert_post(app, &yt, &format!("/expert/tasks/{t}/accept"), json!({})).await;
    assert_eq!(s, 404);
    let (_, ylist) = get(app, "/expert/tasks", &yt).await;
    assert_eq!(ylist, json!([]));
    // Experts read no enterprise data outside their tasks.
    for path in [format!("/gov/enterprises/{e}"), format!("/gov/enterprises/{e}/findings"), "/mp/findings".into()] {
        let (s, _) = get(app, &path, &xt).await;
        assert_eq!(s, 403, "{path}");
    }
    // Writes need an idempotency key.
    let res = app.client.post(app.url(&format!("/expert/tasks/{t}/accept"))).bearer_auth(&xt).send().await.unwrap();
    support::error(res, 428, "idempotency_key_required").await;

    let finding = json!({
        "client_id": key(), "location": "罐区", "description": "储罐区可燃气体报警器失效", "grade": "major",
        "accident_types": ["08"],
    });
    let (s, b) = expert_post(app, &xt, &format!("/expert/tasks/{t}/findings"), finding.clone()).await;
    assert_eq!((s, b["error"]["details"]["state"].as_str()), (409, Some("open")), "not accepted yet: {b}");
    let (s, b) = expert_post(app, &xt, &format!("/expert/tasks/{t}/accept"), json!({})).await;
    assert_eq!((s, b["status"].as_str(), b["offer"]["status"].as_str()), (200, Some("accepted"), Some("accepted")));
    let (s, b) = expert_post(app, &xt, &format!("/expert/tasks/{t}/accept"), json!({})).await;
    assert_eq!((s, b["error"]["details"]["state"].as_str()), (409, Some("accepted")), "{b}");
    let (s, b) = expert_post(app, &xt, &format!("/expert/tasks/{t}/findings"), finding.clone()).await;
    assert_eq!((s, b["error"]["details"]["state"].as_str()), (409, Some("not_checked_in")), "{b}");

    // Check-in: far away flagged, on site not.
    let (s, b) =
        expert_post(app, &xt, &format!("/expert/tasks/{t}/checkin"), json!({ "latitude": 95.0, "longitude": 1.0 }))
            .await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("latitude")), "{b}");
    let (s, b) = expert_post(
        app,
        &xt,
        &format!("/expert/tasks/{t}/checkin"),
        json!({ "latitude": SITE.0 + 0.05, "longitude": SITE.1 }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["far"], true);
    assert!(b["distance_m"].as_f64().unwrap() > 5000.0, "{b}");
    let (s, b) = expert_post(
        app,
        &xt,
        &format!("/expert/tasks/{t}/checkin"),
        json!({ "latitude": SITE.0 + 0.001, "longitude": SITE.1, "at": Utc::now().fixed_offset() }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["far"], false);
    assert!(b["distance_m"].as_f64().unwrap() < 200.0, "{b}");

    // A finding goes into the enterprise's list, marked as the expert's.
    let (s, f) = expert_post(app, &xt, &format!("/expert/tasks/{t}/findings"), finding.clone()).await;
    assert_eq!(s, 201, "{f}");
    let fid = f["id"].as_i64().unwrap();
    assert_eq!((f["origin"].as_str(), f["state"].as_str()), (Some("expert"), Some("submitted")), "{f}");
    let (s, again) = expert_post(app, &xt, &format!("/expert/tasks/{t}/findings"), finding.clone()).await;
    assert_eq!((s, again["id"].as_i64()), (200, Some(fid)), "same client_id, same finding");
    let (s, list) = get(app, "/mp/findings", &officer).await;
    assert_eq!(s, 200);
    let listed = list["findings"].as_array().unwrap().iter().find(|x| x["id"] == fid).unwrap();
    assert_eq!(listed["origin"], "expert");

    // The report: task done, follow-up scheduled for the same expert.
    let (s, b) = expert_post(
        app,
        &xt,
        &format!("/expert/tasks/{t}/report"),
        json!({ "summary": "罐区报警系统失效", "plan": "一企一策：更换报警器，建立巡检制度", "follow_up_days": 0 }),
    )
    .await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("follow_up_days")), "{b}");
    let (s, b) = expert_post(
        app,
        &xt,
        &format!("/expert/tasks/{t}/report"),
        json!({ "summary": "罐区报警系统失效", "plan": "一企一策：更换报警器，建立巡检制度", "follow_up_days": 14 }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "done");
    assert_eq!(b["result"]["findings_reported"], 1, "{b}");
    assert_eq!(b["report"]["plan"], "一企一策：更换报警器，建立巡检制度");
    let fu = b["result"]["follow_up_task_id"].as_i64().unwrap();
    let follow = holder(app, fu).await;
    assert_eq!((follow.kind.as_str(), follow.status.as_str(), follow.expert_id), ("follow_up", "accepted", Some(x)));
    let due = follow.due_at.unwrap().with_timezone(&Utc) - Utc::now();
    assert!((13..=14).contains(&due.num_days()), "{due}");
    let (s, _) = expert_post(
        app,
        &xt,
        &format!("/expert/tasks/{t}/checkin"),
        json!({ "latitude": SITE.0, "longitude": SITE.1 }),
    )
    .await;
    assert_eq!(s, 409, "a done task takes no check-in");

    // The follow-up: on site again, rectification not done: failed.
    let verdict = json!({ "verdict": "failed", "notes": "报警器仍未更换", "finding_ids": [fid] });
    let (s, b) = expert_post(app, &xt, &format!("/expert/tasks/{fu}/follow-up"), verdict.clone()).await;
    assert_eq!((s, b["error"]["details"]["state"].as_str()), (409, Some("not_checked_in")), "{b}");
    let (s, _) = expert_post(
        app,
        &xt,
        &format!("/expert/tasks/{fu}/checkin"),
        json!({ "latitude": SITE.0, "longitude": SITE.1 }),
    )
    .await;
    assert_eq!(s, 201);
    let (s, b) = expert_post(
        app,
        &xt,
        &format!("/expert/tasks/{fu}/follow-up"),
        json!({ "verdict": "failed", "notes": "x", "finding_ids": [fid + 1000] }),
    )
    .await;
    assert_eq!((s, b["error"]["details"]["field"].as_str()), (422, Some("finding_ids[0]")), "{b}");
    let (s, b) = expert_post(app, &xt, &format!("/expert/tasks/{fu}/follow-up"), verdict.clone()).await;
    assert_eq!(s, 200, "{b}");
    let done = holder(app, fu).await;
    assert_eq!(done.status, "done");
    let r = done.result.unwrap();
    assert_eq!((r["kind"].as_str(), r["verdict"].as_str()), (Some("follow_up"), Some("failed")), "{r}");
    assert_eq!((r["visit_task_id"].as_i64(), r["expert_id"].as_i64()), (Some(t), Some(x)));
    assert_eq!(r["finding_ids"], json!([fid]));
    assert_eq!(r["findings"][0]["state"], "submitted");
    let told = outbox::Entity::find()
        .filter(outbox::Column::Topic.eq(pool::FOLLOW_UP_FAILED_TOPIC))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].payload["task_id"], fu);
    // Another expert cannot act on it either.
    let (s, _) = expert_post(app, &yt, &format!("/expert/tasks/{fu}/follow-up"), verdict).await;
    assert_eq!(s, 404);
});
