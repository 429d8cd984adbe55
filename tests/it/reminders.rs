//! The rectification clock against a fake WeChat: reminders three days and one day
//! before the deadline and at overdue, each queued once, sent only while the assignee
//! has accepted messages, retried when WeChat is busy, dropped when WeChat says the
//! user has not subscribed.

use std::sync::atomic::Ordering;

use chrono::{Days, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use zhicha_api::entities::{outbox, subscriptions};
use zhicha_api::governance::reminders::{TEMPLATE, TOPIC, tick};
use zhicha_engine::findings::{local_date, reminder_schedule};
use zhicha_tests::fake_wechat::{FakeWechat, TEMPLATE_ID};
use zhicha_tests::{Backend, Opts, TestApp, run_app};

use crate::findings::{act, mp_token, post};

async fn credits(app: &TestApp, user: i64) -> i32 {
    subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user))
        .filter(subscriptions::Column::Template.eq(TEMPLATE))
        .one(&app.db)
        .await
        .unwrap()
        .map_or(0, |s| s.credits)
}

async fn scenario(app: &TestApp, fake: &FakeWechat) {
    app.ensure_demo().await;
    // The fake WeChat answers `ok-<openid>` with that openid: the demo accounts' own.
    let (officer, _) = mp_token(app, "ok-demo-openid-demo-officer-e05").await;
    let (rp, rp_id) = mp_token(app, "ok-demo-openid-demo-rp-e05-1").await;
    let (s, sub) = post(app, "/mp/me/subscriptions", &rp, json!({"template": TEMPLATE, "accepted": 2})).await;
    assert_eq!((s, &sub["credits"]), (200, &json!(2)), "{sub}");
    let (s, _) = post(app, "/mp/me/subscriptions", &rp, json!({"template": "other", "accepted": 1})).await;
    assert_eq!(s, 422);

    let deadline = local_date(Utc::now()).checked_add_days(Days::new(5)).unwrap();
    let (_, f) = post(
        app,
        "/mp/findings",
        &officer,
        json!({"client_id": "remind-0001", "location": "三号仓库叉车通道",
        "description": "通道标线缺失", "grade": "general", "submit": true}),
    )
    .await;
    let fid = f["id"].as_i64().unwrap();
    let (s, f) =
        act(app, &officer, fid, json!({"version": 1, "action": "assign", "assignee": rp_id, "deadline": deadline}))
            .await;
    assert_eq!(s, 200, "{f}");
    let [three, one, overdue] = reminder_schedule(deadline);
    let minute = Duration::minutes(1);

    // Three days before, 09:00 China time: one message, one credit spent.
    let t = tick(&app.state, three.at + minute).await.unwrap();
    assert_eq!((t.queued, t.sent), (1, 1), "{t:?}");
    {
        let msgs = fake.counters.messages.lock().unwrap();
        let m = &msgs[0];
        assert_eq!(m["touser"], "demo-openid-demo-rp-e05-1");
        assert_eq!(m["template_id"], TEMPLATE_ID);
        assert_eq!(m["data"]["thing1"]["value"], "三号仓库叉车通道");
        assert_eq!(m["data"]["time2"]["value"], deadline.to_string());
        assert!(m["page"].as_str().unwrap().ends_with(&format!("id={fid}")), "{m}");
    }
    assert_eq!(credits(app, rp_id).await, 1);
    // Run again at the same moment: nothing new.
    let t = tick(&app.state, three.at + minute).await.unwrap();
    assert_eq!((t.queued, t.sent), (0, 0), "{t:?}");

    // One day before, WeChat is busy once: kept and sent on the next run.
    fake.counters.busy_sends.store(1, Ordering::SeqCst);
    let t = tick(&app.state, one.at + minute).await.unwrap();
    assert_eq!((t.queued, t.sent, t.failed), (1, 0, 0), "{t:?}");
    let waiting =
        outbox::Entity::find().filter(outbox::Column::DispatchedAt.is_null()).one(&app.db).await.unwrap().unwrap();
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.last_error.as_deref().unwrap_or_default().contains("busy"), "{waiting:?}");
    let t = tick(&app.state, one.at + minute * 3).await.unwrap();
    assert_eq!(t.sent, 1, "{t:?}");
    assert_eq!(credits(app, rp_id).await, 0);

    // At overdue: the finding is marked, the reminder queued, but no consent is left.
    let t = tick(&app.state, overdue.at + minute).await.unwrap();
    assert_eq!((t.marked_overdue, t.queued, t.sent, t.skipped), (1, 1, 0, 1), "{t:?}");
    assert_eq!(fake.counters.messages.lock().unwrap().len(), 2);
    let (_, f) = crate::findings::get(app, &format!("/mp/findings/{fid}"), &officer).await;
    assert_eq!(f["state"], "overdue");

    // An extension sets a new deadline: its reminders are new ones. WeChat says the
    // user withdrew consent: the credits are forgotten, nothing retried.
    let later = deadline.checked_add_days(Days::new(10)).unwrap();
    let (s, f) = act(
        app,
        &rp,
        fid,
        json!({"version": 3, "action": "request_extension", "deadline": later, "reason": "等待配件"}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    let (s, _) = act(app, &officer, fid, json!({"version": 4, "action": "approve_extension"})).await;
    assert_eq!(s, 200);
    post(app, "/mp/me/subscriptions", &rp, json!({"template": TEMPLATE, "accepted": 3})).await;
    fake.counters.refuse_send.store(true, Ordering::SeqCst);
    let [three, ..] = reminder_schedule(later);
    let t = tick(&app.state, three.at + minute).await.unwrap();
    assert_eq!((t.queued, t.sent, t.skipped), (1, 0, 1), "{t:?}");
    assert_eq!(credits(app, rp_id).await, 0);
    let queued = outbox::Entity::find().filter(outbox::Column::Topic.eq(TOPIC)).count(&app.db).await.unwrap();
    assert_eq!(queued, 4, "three reminders for the first deadline, one so far for the second");
}

async fn go(backend: Backend) {
    let fake = FakeWechat::start().await;
    let opts = Opts { demo: true, wechat: Some(fake.base_url()), ..Default::default() };
    run_app(backend, opts, async |app: &TestApp| scenario(app, &fake).await).await;
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_sqlite() {
    go(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_postgres() {
    go(Backend::Postgres).await;
}
