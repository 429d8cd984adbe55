//! `enterprise_progress` kept by deltas: findings driven through every kind of step
//! (report as draft or submitted, submit, assign, overdue by the clock, extension,
//! rectify, reject, accept, reopen, cancel), and after each step the row the writes
//! kept equals the row a full recount (`progress::refresh`) makes of the records. The
//! create answer equals a following read of the finding, field for field.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{findings, rectifications};
use zhicha_api::store::progress::{self as sums, FindingSums};
use zhicha_tests::{Opts, TestApp, both};

use crate::findings::{act, get, mp_token, photo, post};

/// The enterprise's row as the writes left it, checked against a recount of its
/// records; returns it.
async fn kept(app: &TestApp, enterprise: i64, step: &str) -> FindingSums {
    let row = sums::of(&app.db, enterprise).await.unwrap();
    let found = row.as_ref().map(FindingSums::of_row).unwrap_or_default();
    zhicha_api::selfcheck::progress::refresh(&app.db, enterprise).await.unwrap();
    let recount = sums::of(&app.db, enterprise).await.unwrap().unwrap();
    assert_eq!(found, FindingSums::of_row(&recount), "after {step}");
    if let Some(row) = row {
        assert_eq!((row.recommended, row.answered), (recount.recommended, recount.answered), "after {step}");
    }
    found
}

fn report(client: &str, grade: &str, submit: bool) -> Value {
    json!({"client_id": client, "location": "二车间", "description": "护栏缺失", "grade": grade, "submit": submit})
}

fn plan() -> Value {
    json!({ "responsibility": "设备部 张工", "measures": "加装防护", "funds_fen": 100_000,
            "deadline": (Utc::now() + Duration::days(3)).date_naive(), "contingency": "停用" })
}

/// Acts and expects 200; returns the new version.
async fn step(app: &TestApp, token: &str, id: i64, body: Value) -> i64 {
    let (s, f) = act(app, token, id, body.clone()).await;
    assert_eq!(s, 200, "{body}: {f}");
    f["version"].as_i64().unwrap()
}

async fn set_deadline(app: &TestApp, finding: i64, days: i64) {
    let r = rectifications::Entity::find()
        .filter(rectifications::Column::FindingId.eq(finding))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut r: rectifications::ActiveModel = r.into();
    r.deadline = Set(Utc::now().date_naive() + Duration::days(days));
    r.update(&app.db).await.unwrap();
}

both!(
    progress_is_kept_by_deltas,
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let (officer, officer_id) = mp_token(app, "demo-officer-e04").await;
        let (rp, rp_id) = mp_token(app, "demo-rp-e04-1").await;
        let (_, e) = get(app, "/mp/enterprise", &officer).await;
        let ent = e["id"].as_i64().unwrap();
        let create = async |client: &str, grade: &str, submit: bool| {
            let (s, f) = post(app, "/mp/findings", &officer, report(client, grade, submit)).await;
            assert_eq!(s, 201, "{f}");
            // The answer is built from what was written: it is what a read gives.
            let id = f["id"].as_i64().unwrap();
            let (s, read) = get(app, &format!("/mp/findings/{id}"), &officer).await;
            assert_eq!(s, 200);
            assert_eq!(f, read, "the create answer and a following read");
            id
        };
        let base = kept(app, ent, "start").await;

        // A draft counts nowhere; submitted, it is found and open.
        let a = create("progress-a-0001", "general", false).await;
        assert_eq!(kept(app, ent, "a draft").await, base);
        let v = step(app, &officer, a, json!({"version": 1, "action": "submit"})).await;
        let s = kept(app, ent, "submit").await;
        assert_eq!((s.found - base.found, s.open - base.open), (1, 1));
        let b = create("progress-b-0001", "major", true).await;
        let s = kept(app, ent, "a major hazard reported submitted").await;
        assert_eq!((s.major_found - base.major_found, s.major_open - base.major_open), (1, 1));

        // Assigned; past its deadline the clock marks it overdue; an extension brings it back.
        let deadline = Utc::now().date_naive() + Duration::days(5);
        let v =
            step(app, &officer, a, json!({"version": v, "action": "assign", "assignee": rp_id, "deadline": deadline}))
                .await;
        kept(app, ent, "assign").await;
        let vb = step(
            app,
            &officer,
            b,
            json!({"version": 1, "action": "assign", "assignee": rp_id, "deadline": deadline, "plan": plan()}),
        )
        .await;
        kept(app, ent, "assign with the plan").await;
        set_deadline(app, a, -2).await;
        set_deadline(app, b, -2).await;
        let tick = zhicha_api::governance::reminders::tick(&app.state, Utc::now()).await.unwrap();
        assert_eq!(tick.marked_overdue, 2, "{tick:?}");
        let s = kept(app, ent, "overdue").await;
        assert_eq!((s.overdue - base.overdue, s.major_overdue - base.major_overdue), (2, 1));
        let later = Utc::now().date_naive() + Duration::days(10);
        let (v, vb) = (v + 1, vb + 1);
        let v = step(
            app,
            &rp,
            a,
            json!({"version": v, "action": "request_extension", "deadline": later, "reason": "等料"}),
        )
        .await;
        kept(app, ent, "request_extension").await;
        let v = step(app, &officer, a, json!({"version": v, "action": "approve_extension"})).await;
        let s = kept(app, ent, "approve_extension (overdue -> to_rectify)").await;
        assert_eq!(s.overdue - base.overdue, 1);

        // Rectified, rejected, rectified again, accepted: closed, in its bucket.
        let after = photo(app, ent, a, "after", rp_id).await;
        let rectify =
            |v: i64| json!({"version": v, "action": "submit_rectification", "note": "已整改", "evidence_ids": [after]});
        let v = step(app, &rp, a, rectify(v)).await;
        kept(app, ent, "submit_rectification").await;
        let v = step(app, &officer, a, json!({"version": v, "action": "reject", "reason": "不合格"})).await;
        kept(app, ent, "reject").await;
        let v = step(app, &rp, a, rectify(v)).await;
        let v = step(app, &officer, a, json!({"version": v, "action": "accept"})).await;
        let s = kept(app, ent, "accept").await;
        assert_eq!((s.rectified - base.rectified, s.close[0] - base.close[0]), (1, 1));
        // Reopened: out of the rectified and its bucket, open again.
        let v =
            step(app, &officer, a, json!({"version": v, "action": "reopen", "reason": "复查松动", "deadline": later}))
                .await;
        let s = kept(app, ent, "reopen").await;
        assert_eq!((s.rectified - base.rectified, s.close[0] - base.close[0]), (0, 0));
        // Reported 20 days ago (as if), accepted now: the ≤30 days bucket.
        let old = findings::Entity::find_by_id(a).one(&app.db).await.unwrap().unwrap();
        let mut old: findings::ActiveModel = old.into();
        old.created_at = Set((Utc::now() - Duration::days(20)).fixed_offset());
        old.update(&app.db).await.unwrap();
        let v = step(app, &rp, a, rectify(v)).await;
        step(app, &officer, a, json!({"version": v, "action": "accept"})).await;
        let s = kept(app, ent, "accept after 20 days").await;
        assert_eq!((s.close[0] - base.close[0], s.close[4] - base.close[4]), (0, 1));

        // Cancelled from overdue, from submitted and from draft: out of every sum.
        step(app, &officer, b, json!({"version": vb, "action": "cancel", "reason": "重复"})).await;
        kept(app, ent, "cancel an overdue major hazard").await;
        let c = create("progress-c-0001", "general", true).await;
        step(app, &officer, c, json!({"version": 1, "action": "cancel", "reason": "误报"})).await;
        let d = create("progress-d-0001", "major", false).await;
        step(app, &officer, d, json!({"version": 1, "action": "cancel", "reason": "误报"})).await;
        let s = kept(app, ent, "cancel").await;
        assert_eq!(
            (s.found - base.found, s.open - base.open, s.overdue - base.overdue, s.major_found - base.major_found),
            (1, 0, 0, 0),
            "{s:?}"
        );

        // A replay under the same client id is the same finding, nothing counted twice.
        let (s, again) = post(app, "/mp/findings", &officer, report("progress-c-0001", "general", true)).await;
        assert_eq!((s, again["id"].as_i64()), (200, Some(c)), "{again}");
        assert_eq!(again["state"], "cancelled");
        let last = kept(app, ent, "a replay").await;
        // The repair (`zhicha progress refresh`) recounts every enterprise to the same.
        assert!(zhicha_api::selfcheck::progress::refresh_all(&app.db).await.unwrap() >= 1);
        let row = sums::of(&app.db, ent).await.unwrap().unwrap();
        assert_eq!(FindingSums::of_row(&row), last);
        let _ = officer_id;
    }
);
