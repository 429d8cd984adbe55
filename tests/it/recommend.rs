//! Recommendation rounds through the API: every demo enterprise gets ≥150 distinct,
//! explained items; feedback is checked whole and moves the next round; other
//! enterprises' rounds read as not found.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::{Value, json};
use zhicha_api::reference::scoring::{self, Trigger};
use zhicha_engine::risk::RiskConfig;
use zhicha_tests::{Opts, TestApp, both, demo_enterprise_keys};

use crate::support;
use crate::wechat::{mp_post, wx_login};

async fn officer(app: &TestApp, n: usize) -> String {
    officer_of(app, &format!("e{n:02}")).await
}

async fn officer_of(app: &TestApp, key: &str) -> String {
    let (status, _, t) = support::json(wx_login(app, &format!("demo-officer-{key}")).await).await;
    assert_eq!(status, 200, "{t}");
    t["access_token"].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let (s, _, b) = support::json(app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()).await;
    (s, b)
}

async fn items(app: &TestApp, token: &str, round: i64) -> Vec<Value> {
    let (s, page) = get(app, &format!("/mp/recommendations/{round}?per_page=200"), token).await;
    assert_eq!(s, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

both!(
    every_demo_enterprise_gets_a_round,
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        scoring::refit(&app.db, Trigger::Manual, Utc::now().date_naive(), &RiskConfig::default(), None).await.unwrap();
        // Items a round holds beside their score (floors, determination items, the spread
        // of accident types), over all the demo rounds.
        let mut placed = std::collections::BTreeMap::<String, usize>::new();
        for key in &demo_enterprise_keys() {
            let token = officer_of(app, key).await;
            let res = mp_post(app, "/mp/recommendations", &token, &format!("round-{key}-000001"), json!({})).await;
            let (s, _, round) = support::json(res).await;
            assert_eq!(s, 201, "{key}: {round}");
            let count = round["item_count"].as_i64().unwrap();
            assert!(count >= 150, "{key}: {count} items; {round}");
            let list = items(app, &token, round["id"].as_i64().unwrap()).await;
            assert_eq!(list.len() as i64, count.min(200));
            let ids: HashSet<&str> = list.iter().map(|i| i["item_id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), list.len(), "{key}: an item twice");
            for i in &list {
                let sentence = i["explanation"]["sentence"].as_str().unwrap_or_default();
                assert!(!sentence.is_empty(), "{key}: {} has no explanation", i["item_id"]);
                // Every item carries its prevalence: the prior and the rate after peers.
                let prior = i["explanation"]["prevalence"]["prior"].as_f64().unwrap_or(-1.0);
                assert!(prior > 0.0 && prior < 1.0, "{key}: {} prevalence {}", i["item_id"], i["explanation"]);
                if let Some(kind) = i["explanation"]["placement"]["kind"].as_str() {
                    *placed.entry(kind.to_string()).or_default() += 1;
                }
            }
            let ranks: Vec<i64> = list.iter().map(|i| i["rank"].as_i64().unwrap()).collect();
            assert!(ranks.windows(2).all(|w| w[0] < w[1]), "priority order");
        }
        for kind in ["floor", "determination", "spread"] {
            assert!(placed.get(kind).is_some_and(|n| *n > 0), "no item placed by {kind} in any demo round: {placed:?}");
        }
    }
);

both!(
    feedback_moves_the_next_round,
    Opts { demo: true, standin: true, ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let token = officer(app, 1).await;
        let (_, _, first) =
            support::json(mp_post(app, "/mp/recommendations", &token, "round-a-0000001", json!({})).await).await;
        let round = first["round"].as_i64().or(first["id"].as_i64()).unwrap();
        let list = items(app, &token, round).await;
        let top = list[0]["item_id"].as_str().unwrap().to_string();
        let path = format!("/mp/recommendations/{round}/feedback");

        // Checked whole: one bad answer and nothing is stored.
        let bad = json!({ "answers": [
            { "item_id": top, "result": "found" },
            { "item_id": list[1]["item_id"], "result": "not_applicable" }
        ]});
        let e = support::error(mp_post(app, &path, &token, "feedback-000001", bad).await, 422, "invalid_field").await;
        assert_eq!(e["details"]["field"], "answers[1].reason");
        let e = support::error(
            mp_post(
                app,
                &path,
                &token,
                "feedback-000002",
                json!({ "answers": [{ "item_id": "HZ-NOPE-0001", "result": "found" }] }),
            )
            .await,
            422,
            "invalid_field",
        )
        .await;
        assert_eq!(e["details"]["field"], "answers[0].item_id");
        assert!(items(app, &token, round).await.iter().all(|i| i["feedback"].is_null()), "nothing half-stored");

        let good = json!({ "answers": [
            { "item_id": top, "result": "not_applicable", "reason": "本企业无此设备" },
            { "item_id": list[1]["item_id"], "result": "found" }
        ]});
        let (s, _, saved) = support::json(mp_post(app, &path, &token, "feedback-000003", good).await).await;
        assert_eq!(s, 200, "{saved}");
        assert_eq!(saved["answered"], 2);
        let after = items(app, &token, round).await;
        assert_eq!(after[0]["feedback"], "not_applicable");
        assert_eq!(after[0]["feedback_reason"], "本企业无此设备");

        // The next round ranks the not-applicable item lower.
        let (_, _, next) =
            support::json(mp_post(app, "/mp/recommendations", &token, "round-a-0000002", json!({})).await).await;
        let next_list = items(app, &token, next["id"].as_i64().unwrap()).await;
        let pos = next_list.iter().position(|i| i["item_id"] == top.as_str());
        assert!(pos.is_none_or(|p| p > 0), "{top} fell from first place: {pos:?}");

        // Another enterprise's officer cannot see this round; the city bureau can.
        let other = officer(app, 2).await;
        let (s, _) = get(app, &format!("/mp/recommendations/{round}"), &other).await;
        assert_eq!(s, 404);
        let bureau = crate::wechat::staff_token(app, "hrss.city").await;
        let (_, _, me) =
            support::json(app.client.get(app.url("/mp/enterprise")).bearer_auth(&token).send().await.unwrap()).await;
        let (s, page) = get(app, &format!("/gov/enterprises/{}/recommendations/{round}", me["id"]), &bureau).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["items"][0]["feedback"], "not_applicable");
    }
);

/// Every enterprise imported from the OSHA 2015 file with a mapped industry gets a round
/// of at least 150 distinct, explained items. Which items apply depends only on the
/// industry code (and declared gates, none here), so one ranking per distinct code
/// covers every enterprise with that code; exposure only reorders them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_osha_enterprise_gets_a_round() {
    use sea_orm::{EntityTrait, QuerySelect};
    use zhicha_api::entities::enterprises;
    use zhicha_engine::IndustryCode;
    use zhicha_engine::recommend::{Enterprise, Options, PeerFeedback, Recommender};

    let Some(file) = zhicha_tests::shared_data("osha_severe_injury_2015.csv") else { return };
    let db = zhicha_tests::TestDb::create(zhicha_tests::Backend::Sqlite).await.unwrap();
    let conn = db.connect().await;
    zhicha_api::platform::db::migrate(&conn, None).await.unwrap();
    let rules = zhicha_api::reference::rules::load_once(&zhicha_tests::rules_dir()).unwrap();
    let profile = zhicha_api::reference::import::Profile::OshaSir;
    zhicha_api::reference::import::run(
        &conn,
        &rules.catalog,
        profile,
        None,
        &file,
        zhicha_api::reference::import::Progress::Hidden,
    )
    .await
    .unwrap();
    let codes: Vec<Option<String>> = enterprises::Entity::find()
        .select_only()
        .column(enterprises::Column::IndustryCode)
        .into_tuple()
        .all(&conn)
        .await
        .unwrap();
    let total = codes.len();
    let mut distinct: Vec<String> = codes.iter().flatten().cloned().collect();
    distinct.sort();
    distinct.dedup();
    let unmapped = codes.iter().filter(|c| c.is_none()).count();
    // NAICS 999999 (unclassified) and an empty code: no industry to rank by.
    assert!(unmapped <= 2, "{unmapped} of {total} enterprises have no GB/T 4754 code");
    let recommender = Recommender::new(&rules.hazards, &rules.catalog, &rules.profiles);
    for code in &distinct {
        let industry = IndustryCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        let ranking = recommender.rank(
            &Enterprise::new(industry),
            &PeerFeedback::default(),
            &Default::default(),
            &Options::default(),
        );
        let round = ranking.round();
        assert!(round.len() >= 150, "{code}: {} items; {:?}", round.len(), ranking.shortfall);
        let mut ids: Vec<&str> = round.iter().map(|r| r.item_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), round.len(), "{code}: an item twice");
        assert!(round.iter().all(|r| !r.explanation.sentence.is_empty()), "{code}: an item without a reason");
    }
    println!(
        "{} of {total} OSHA enterprises over {} industry codes: every round ≥ 150 items",
        total - unmapped,
        distinct.len()
    );
    conn.close().await.unwrap();
    db.cleanup().await;
}

both!(targets_are_live, Opts { demo: true, standin: true, ..Default::default() }, async |app: &TestApp| {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    use zhicha_api::entities::findings;

    app.ensure_demo().await;
    let token = officer(app, 3).await;
    let (s, t) = get(app, "/mp/targets", &token).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!((t["recommended"].as_u64(), t["found"].as_u64()), (Some(0), Some(0)));
    assert!(t["rectified_share"].is_null() && t["recommended_met"] == false);

    let (_, _, round) =
        support::json(mp_post(app, "/mp/recommendations", &token, "targets-round-01", json!({})).await).await;
    let (_, _, me) =
        support::json(app.client.get(app.url("/mp/enterprise")).bearer_auth(&token).send().await.unwrap()).await;
    let enterprise = me["id"].as_i64().unwrap();
    let (_, _, who) =
        support::json(app.client.get(app.url("/auth/me")).bearer_auth(&token).send().await.unwrap()).await;
    // 60 hazards found, 49 of them accepted; a draft and a cancelled one do not count.
    let states =
        std::iter::repeat_n("accepted", 49).chain(std::iter::repeat_n("to_rectify", 11)).chain(["draft", "cancelled"]);
    let rows: Vec<findings::ActiveModel> = states
        .map(|st| findings::ActiveModel {
            enterprise_id: Set(enterprise),
            location: Set("车间".into()),
            description: Set("测试隐患".into()),
            grade: Set("general".into()),
            accident_types: Set(json!(["03"])),
            state: Set(st.into()),
            reported_by: Set(who["user_id"].as_i64().unwrap()),
            ..Default::default()
        })
        .collect();
    findings::Entity::insert_many(rows).exec_without_returning(&app.db).await.unwrap();
    let (_, t) = get(app, "/mp/targets", &token).await;
    assert_eq!(t["recommended"], round["item_count"]);
    assert_eq!(t["recommended_met"], true);
    assert_eq!((t["found"].as_u64(), t["rectified"].as_u64()), (Some(60), Some(49)), "{t}");
    assert_eq!(t["found_met"], true);
    let share = t["rectified_share"].as_f64().unwrap();
    assert!((share - 49.0 / 60.0).abs() < 1e-9 && t["rectified_met"] == true, "{t}");

    // The bureau sees the same; another city's enterprise reads as not found.
    let bureau = crate::wechat::staff_token(app, "emergency.city").await;
    let (s, g) = get(app, &format!("/gov/enterprises/{enterprise}/targets"), &bureau).await;
    assert_eq!((s, &g["found"]), (200, &json!(60)));
    let (s, _) = get(app, "/gov/enterprises/999999/targets", &bureau).await;
    assert_eq!(s, 404);
});
