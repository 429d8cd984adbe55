//! A checklist page read from the round as rendered when it was made: the same answer
//! as rendering it from the library items (every page, area and size, beyond the last
//! page too), also for rows written before the rendered columns existed (migrated
//! down and up again); and conditional reads of pages and reports (`ETag`,
//! `If-None-Match`, 304) that go stale exactly when an answer or the report changes.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use zhicha_api::entities::{
    enterprises, hazard_items, inspection_items, inspections, recommendation_feedback, recommendations,
};
use zhicha_migrations::{Migrator, MigratorTrait};
use zhicha_tests::{Opts, TestApp, both};

use crate::support;
use crate::wechat::{mp_post, staff_token, wx_login};

async fn token(app: &TestApp, code: &str) -> String {
    let (s, _, t) = support::json(wx_login(app, code).await).await;
    assert_eq!(s, 200, "{t}");
    t["access_token"].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, path: &str, token: &str, if_none_match: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(tag) = if_none_match {
        req = req.header("If-None-Match", tag);
    }
    req.send().await.unwrap()
}

/// (status, ETag, body) of a read; the body is `null` when there is none.
async fn read(app: &TestApp, path: &str, token: &str, if_none_match: Option<&str>) -> (u16, String, Value) {
    let res = get(app, path, token, if_none_match).await;
    let status = res.status().as_u16();
    let tag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    if status == 200 || status == 304 {
        assert_eq!(res.headers()["cache-control"], "private, no-cache", "{path}");
    }
    let text = res.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    (status, tag, body)
}

/// The round's page as the server rendered it before rounds were stored rendered: every
/// recommendation with its library item and answer in rank order, areas in the order of
/// their best item, then filtered by area and cut to the page.
async fn expected(app: &TestApp, round: i64, area: Option<&str>, page: u64, per_page: u64) -> (Value, Value, u64) {
    let all = recommendations::Entity::find()
        .filter(recommendations::Column::RoundId.eq(round))
        .find_also_related(hazard_items::Entity)
        .order_by_asc(recommendations::Column::Rank)
        .all(&app.db)
        .await
        .unwrap();
    let answers = recommendation_feedback::Entity::find()
        .filter(recommendation_feedback::Column::RoundId.eq(round))
        .all(&app.db)
        .await
        .unwrap();
    let mut areas: Vec<(String, u64)> = Vec::new();
    let mut items = Vec::new();
    for (r, h) in all {
        let h = h.unwrap();
        let text = |k: &str| h.definition.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let item_area = text("area");
        match areas.iter_mut().find(|(a, _)| *a == item_area) {
            Some((_, n)) => *n += 1,
            None => areas.push((item_area.clone(), 1)),
        }
        if area.is_some_and(|a| a != item_area) {
            continue;
        }
        let answer = answers.iter().find(|f| f.recommendation_id == r.id);
        items.push(json!({
            "recommendation_id": r.id, "rank": r.rank, "score": r.score, "item_id": h.code,
            "item_version": h.version, "title": h.title, "area": item_area, "grade": h.default_grade,
            "check_point": text("check_point"), "check_method": text("check_method"),
            "pass_criteria": text("pass_criteria"), "explanation": r.reasons,
            "feedback": answer.map(|a| a.result.clone()), "feedback_reason": answer.and_then(|a| a.reason.clone()),
        }));
    }
    let total = items.len() as u64;
    let start = ((page - 1) * per_page) as usize;
    let items: Vec<Value> = items.into_iter().skip(start).take(per_page as usize).collect();
    let areas: Vec<Value> = areas.into_iter().map(|(area, items)| json!({ "area": area, "items": items })).collect();
    (json!(items), json!(areas), total)
}

/// Every page shape asked of the round equals the page rendered the old way.
async fn pages_match(app: &TestApp, token: &str, round: i64, areas: &[String]) {
    let mut asks: Vec<(Option<&str>, u64, u64)> =
        vec![(None, 1, 20), (None, 3, 20), (None, 1, 200), (None, 2, 7), (None, 50, 20), (Some("没有这个区域"), 1, 20)];
    for a in areas.iter().take(3) {
        asks.push((Some(a.as_str()), 1, 5));
        asks.push((Some(a.as_str()), 2, 5));
    }
    for (area, page, per_page) in asks {
        let mut path = format!("/mp/recommendations/{round}?page={page}&per_page={per_page}");
        if let Some(a) = area {
            path.push_str(&format!("&area={}", urlencoding(a)));
        }
        let (s, _, body) = read(app, &path, token, None).await;
        assert_eq!(s, 200, "{path}: {body}");
        let (items, want_areas, total) = expected(app, round, area, page, per_page).await;
        same_items(&body["items"], &items, &path);
        assert_eq!(body["areas"], want_areas, "{path}: areas");
        assert_eq!(body["total"], total, "{path}: total");
        assert_eq!((body["page"].as_u64(), body["per_page"].as_u64()), (Some(page), Some(per_page)), "{path}");
        assert_eq!(body["round"]["id"], round);
    }
}

/// Item by item and field by field, so a difference names itself.
fn same_items(got: &Value, want: &Value, path: &str) {
    let (got, want) = (got.as_array().unwrap(), want.as_array().unwrap());
    assert_eq!(got.len(), want.len(), "{path}: item count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for (k, wv) in w.as_object().unwrap() {
            if k == "score" {
                // serde_json parses floats to within one ulp (no `float_roundtrip`).
                let (a, b) = (g[k].as_f64().unwrap(), wv.as_f64().unwrap());
                assert!((a - b).abs() <= 1e-12 * b.abs(), "{path}: items[{i}].score {a} != {b}");
                continue;
            }
            assert_eq!(&g[k], wv, "{path}: items[{i}].{k}");
        }
        assert_eq!(g.as_object().unwrap().len(), w.as_object().unwrap().len(), "{path}: items[{i}] fields");
    }
}

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

both!(a_page_is_the_rendered_round, Opts { demo: true, standin: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let officer = token(app, "demo-officer-e01").await;
    let (s, _, round) =
        support::json(mp_post(app, "/mp/recommendations", &officer, "page-round-0001", json!({})).await).await;
    assert_eq!(s, 201, "{round}");
    let round = round["id"].as_i64().unwrap();
    let (_, _, first) = read(app, &format!("/mp/recommendations/{round}?per_page=200"), &officer, None).await;
    let list = first["items"].as_array().unwrap().clone();
    assert!(list.len() >= 150, "{} items", list.len());
    let answers = json!({ "answers": [
        { "item_id": list[0]["item_id"], "result": "not_applicable", "reason": "本企业无此设备" },
        { "item_id": list[5]["item_id"], "result": "found" },
        { "item_id": list[40]["item_id"], "result": "not_found" }
    ]});
    let path = format!("/mp/recommendations/{round}/feedback");
    let (s, _, saved) = support::json(mp_post(app, &path, &officer, "page-answers-01", answers).await).await;
    assert_eq!(s, 200, "{saved}");
    let areas: Vec<String> =
        first["areas"].as_array().unwrap().iter().map(|a| a["area"].as_str().unwrap().to_string()).collect();
    assert!(areas.len() >= 3, "{areas:?}");
    pages_match(app, &officer, round, &areas).await;

    // Rows from before the rendered columns: the migration fills them from the library.
    let mine = Migrator::migrations().iter().rev().position(|m| m.name() == "m20261205_000013_rendered_items");
    let steps = mine.unwrap() as u32 + 1;
    Migrator::down(&app.db, Some(steps)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    let (s, _, again) = read(app, &format!("/mp/recommendations/{round}?per_page=200"), &officer, None).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["items"].as_array().unwrap().len(), list.len());
    assert_eq!(again["areas"], first["areas"]);
    pages_match(app, &officer, round, &areas).await;

    // Beyond the last page: still 200 with no items and the round's totals.
    let (s, _, far) =
        read(app, &format!("/mp/recommendations/{round}?page=1000000&per_page=200"), &officer, None).await;
    assert_eq!(s, 200, "{far}");
    assert_eq!((far["items"].as_array().unwrap().len(), far["total"].as_u64()), (0, Some(list.len() as u64)));
    support::error(
        get(app, &format!("/mp/recommendations/{round}?page=0"), &officer, None).await,
        400,
        "invalid_query",
    )
    .await;
});

both!(
    a_page_answers_304_until_an_answer_changes_it,
    Opts { demo: true, standin: true, ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let officer = token(app, "demo-officer-e02").await;
        let (_, _, round) =
            support::json(mp_post(app, "/mp/recommendations", &officer, "etag-round-0001", json!({})).await).await;
        let round = round["id"].as_i64().unwrap();
        let path = format!("/mp/recommendations/{round}?per_page=20");

        let (s, tag, page) = read(app, &path, &officer, None).await;
        assert_eq!(s, 200);
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() > 2, "a strong tag: {tag}");
        let (s, same, body) = read(app, &path, &officer, Some(&tag)).await;
        assert_eq!((s, &same, &body), (304, &tag, &Value::Null));
        // A weak copy of it, or one of several, matches too (GET compares weakly).
        assert_eq!(read(app, &path, &officer, Some(&format!("W/{tag}"))).await.0, 304);
        assert_eq!(read(app, &path, &officer, Some(&format!("\"other\", {tag}"))).await.0, 304);
        assert_eq!(read(app, &path, &officer, Some("\"other\"")).await.0, 200);
        // Another page, size or area is another version.
        let (_, second, _) = read(app, &format!("{path}&page=2"), &officer, None).await;
        assert_ne!(second, tag);
        assert_eq!(read(app, &format!("{path}&page=2"), &officer, Some(&tag)).await.0, 200);
        let area = page["areas"][0]["area"].as_str().unwrap();
        let (_, by_area, _) = read(app, &format!("{path}&area={}", urlencoding(area)), &officer, None).await;
        assert_ne!(by_area, tag);

        // Another enterprise's officer holding the tag still reads not found.
        let other = token(app, "demo-officer-e03").await;
        assert_eq!(read(app, &path, &other, Some(&tag)).await.0, 404);

        // An answer makes every cached page of the round stale.
        let answers = json!({ "answers": [{ "item_id": page["items"][3]["item_id"], "result": "found" }] });
        let feedback = format!("/mp/recommendations/{round}/feedback");
        let (s, _, saved) = support::json(mp_post(app, &feedback, &officer, "etag-answer-001", answers).await).await;
        assert_eq!(s, 200, "{saved}");
        let (s, fresh, body) = read(app, &path, &officer, Some(&tag)).await;
        assert_eq!(s, 200);
        assert_ne!(fresh, tag);
        assert_eq!(body["items"][3]["feedback"], "found");
        assert_eq!(read(app, &path, &officer, Some(&fresh)).await.0, 304);
        assert_eq!(read(app, &format!("{path}&page=2"), &officer, Some(&second)).await.0, 200);
        // The same answer again is still a write: the tag moves (it never lags one).
        let again = json!({ "answers": [{ "item_id": page["items"][3]["item_id"], "result": "not_found" }] });
        mp_post(app, &feedback, &officer, "etag-answer-002", again).await;
        let (s, third, body) = read(app, &path, &officer, Some(&fresh)).await;
        assert_eq!((s, body["items"][3]["feedback"].as_str()), (200, Some("not_found")));
        assert_ne!(third, fresh);

        // The bureau's view of the round is conditional the same way.
        let bureau = staff_token(app, "hrss.city").await;
        let (_, _, me) = support::json(get(app, "/mp/enterprise", &officer, None).await).await;
        let gov = format!("/gov/enterprises/{}/recommendations/{round}?per_page=20", me["id"]);
        let (s, gov_tag, _) = read(app, &gov, &bureau, None).await;
        assert_eq!(s, 200);
        assert_eq!(read(app, &gov, &bureau, Some(&gov_tag)).await.0, 304);
    }
);

both!(
    a_report_answers_304_until_it_changes,
    Opts { demo: true, standin: true, ..Default::default() },
    async |app: &TestApp| {
        use zhicha_api::selfcheck::reports::content;
        use zhicha_api::store::reports::{self as rows, NewReport};

        app.ensure_demo().await;
        let officer = token(app, "demo-officer-e01").await;
        let (_, _, me) = support::json(get(app, "/mp/enterprise", &officer, None).await).await;
        let enterprise =
            enterprises::Entity::find_by_id(me["id"].as_i64().unwrap()).one(&app.db).await.unwrap().unwrap();
        let (_, _, who) = support::json(get(app, "/auth/me", &officer, None).await).await;
        let officer_id = who["user_id"].as_i64().unwrap();
        // A closed inspection and its report stored as generation stores it (without the
        // PDF, which needs a font this test does not).
        let now = Utc::now();
        let inspection = inspections::ActiveModel {
            created_at: Set((now - Duration::days(5)).fixed_offset()),
            enterprise_id: Set(enterprise.id),
            kind: Set("free".into()),
            status: Set("closed".into()),
            started_by: Set(officer_id),
            version: Set(1),
            closed_at: Set(Some((now - Duration::days(1)).fixed_offset())),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        inspection_items::ActiveModel {
            created_at: Set(now.fixed_offset()),
            inspection_id: Set(inspection.id),
            result: Set("found".into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let (c, _) = content::build(&app.db, &enterprise, &inspection, now).await.unwrap();
        let report = rows::insert(
            &app.db,
            NewReport {
                enterprise_id: enterprise.id,
                inspection_id: inspection.id,
                version: 1,
                previous_id: None,
                period_start: c.period.start,
                period_end: c.period.end,
                content: serde_json::to_value(&c).unwrap(),
                created_by: officer_id,
                at: now.fixed_offset(),
            },
        )
        .await
        .unwrap();
        let path = format!("/mp/reports/{}", report.id);

        let (s, tag, body) = read(app, &path, &officer, None).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["status"], "draft");
        assert!(tag.len() > 2, "{tag}");
        let (s, same, none) = read(app, &path, &officer, Some(&tag)).await;
        assert_eq!((s, &same, &none), (304, &tag, &Value::Null));
        // A responsible person holding the tag is still refused.
        let rp = token(app, "demo-rp-e01-1").await;
        assert_eq!(read(app, &path, &rp, Some(&tag)).await.0, 403);

        // Submitted: the old copy is stale.
        let (s, _, sub) = support::json(
            mp_post(app, &format!("/mp/reports/{}/submit", report.id), &officer, "etag-submit-01", json!({})).await,
        )
        .await;
        assert_eq!(s, 200, "{sub}");
        let (s, submitted, body) = read(app, &path, &officer, Some(&tag)).await;
        assert_eq!((s, body["status"].as_str()), (200, Some("submitted")));
        assert_ne!(submitted, tag);
        assert_eq!(read(app, &path, &officer, Some(&submitted)).await.0, 304);

        // The bureau's first read turns its receipt to read: that copy differs again.
        let hrss = staff_token(app, "hrss.city").await;
        let gov = format!("/gov/reports/{}", report.id);
        let (s, gov_tag, _) = read(app, &gov, &hrss, None).await;
        assert_eq!(s, 200);
        assert_eq!(read(app, &gov, &hrss, Some(&gov_tag)).await.0, 304);
        assert_eq!(read(app, &path, &officer, Some(&submitted)).await.0, 200, "the receipt is read now");
    }
);
