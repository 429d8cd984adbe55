//! The bureaus' dashboard: a city user's figures count only their city, a province
//! user's totals are the sums of their cities', the list filters and sorts in SQL,
//! and a write shows in the next summary (the cache is invalidated, not waited out).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use zhicha_api::entities::{accidents, enterprises, findings};
use zhicha_tests::{Opts, TestApp, both, demo_enterprise_keys};

use crate::findings::{get, mp_token, post};
use crate::wechat::staff_token;

/// An enterprise in Yinchuan (640100), another city of the demo province, with
/// `found` submitted findings of which `accepted` are accepted.
async fn other_city(app: &TestApp, name: &str, reporter: i64, found: usize, accepted: usize) -> i64 {
    let now = Utc::now().fixed_offset();
    let e = enterprises::ActiveModel {
        created_at: Set(now),
        name: Set(name.to_string()),
        industry_code: Set(Some("C3311".into())),
        industry_division: Set(Some("33".into())),
        region_code: Set(Some("640104".into())),
        is_key: Set(true),
        time_zone: Set("Asia/Shanghai".into()),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for n in 0..found {
        findings::ActiveModel {
            created_at: Set(now),
            enterprise_id: Set(e.id),
            location: Set(format!("车间{n}")),
            description: Set("护栏缺失".into()),
            grade: Set("general".into()),
            accident_types: Set(json!(["09"])),
            state: Set(if n < accepted { "accepted" } else { "to_rectify" }.into()),
            reported_by: Set(reporter),
            version: Set(1),
            updated_at: Set(now),
            origin: Set("self".into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    zhicha_api::selfcheck::progress::refresh(&app.db, e.id).await.unwrap();
    e.id
}

fn n(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"))
}

both!(
    figures_stay_within_the_region,
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let (officer, officer_id) = mp_token(app, "demo-officer-e02").await;
        other_city(app, "银川示范机械厂", officer_id, 60, 50).await;
        other_city(app, "银川示范建材厂", officer_id, 10, 2).await;
        // Some activity in the demo city.
        for i in 0..3 {
            let (s, f) = post(
                app,
                "/mp/findings",
                &officer,
                json!({"client_id": format!("dash-{i:04}-e02"),
                "location": "锅炉房", "description": "安全阀未校验", "grade": "general", "submit": true}),
            )
            .await;
            assert_eq!(s, 201, "{f}");
        }

        let city = staff_token(app, "hrss.city").await;
        let province = staff_token(app, "emergency.province").await;
        // The demo city's enterprises, and the province's: those and the two in Yinchuan.
        let demo = demo_enterprise_keys().len() as i64;
        let (s, c) = get(app, "/gov/dashboard/summary", &city).await;
        assert_eq!(s, 200, "{c}");
        assert_eq!(c["region_code"], "640200");
        assert_eq!(n(&c, "enterprises"), demo, "only the demo city: {c}");
        assert_eq!(n(&c, "found"), 3);
        assert_eq!(c["cities"].as_array().unwrap().len(), 1);

        let (s, p) = get(app, "/gov/dashboard/summary", &province).await;
        assert_eq!(s, 200, "{p}");
        assert_eq!(n(&p, "enterprises"), demo + 2);
        assert_eq!(n(&p, "found"), 73);
        assert_eq!(n(&p, "rectified"), 52);
        assert_eq!(n(&p, "found_met"), 1, "one enterprise found ≥ 50");
        assert_eq!(n(&p, "rectified_met"), 1, "50 of 60 is 83%, 2 of 10 is not");
        let cities = p["cities"].as_array().unwrap();
        assert_eq!(cities.len(), 2);
        for k in ["enterprises", "key_enterprises", "found", "rectified", "open", "overdue", "found_met", "all_met"] {
            let sum: i64 = cities.iter().map(|c| n(c, k)).sum();
            assert_eq!(sum, n(&p, k), "province {k} = sum of its cities");
        }
        let demo_city = cities.iter().find(|x| x["region_code"] == "640200").unwrap();
        assert_eq!((n(demo_city, "enterprises"), n(demo_city, "found")), (n(&c, "enterprises"), n(&c, "found")));
        // Narrowing: the province to one city; a city user cannot look next door.
        let (s, yc) = get(app, "/gov/dashboard/summary?region=640100", &province).await;
        assert_eq!((s, n(&yc, "enterprises")), (200, 2), "{yc}");
        let (s, _) = get(app, "/gov/dashboard/summary?region=640100", &city).await;
        assert_eq!(s, 404);

        // A write shows at once in the next (cached) summary.
        let (s, _) = post(
            app,
            "/mp/findings",
            &officer,
            json!({"client_id": "dash-9999-e02",
            "location": "配电室", "description": "绝缘垫缺失", "grade": "major", "submit": true}),
        )
        .await;
        assert_eq!(s, 201);
        let (_, c2) = get(app, "/gov/dashboard/summary", &city).await;
        assert_eq!((n(&c2, "found"), n(&c2, "major_found")), (4, 1), "{c2}");

        // The list: scoped, filtered, sorted, paged.
        let (s, list) = get(app, "/gov/dashboard/enterprises?per_page=10", &city).await;
        assert_eq!(s, 200, "{list}");
        assert_eq!(list["total"], demo);
        assert_eq!(list["enterprises"].as_array().unwrap().len(), 10);
        let (_, all) = get(app, "/gov/dashboard/enterprises?sort=found&per_page=200", &province).await;
        assert_eq!(all["total"], demo + 2);
        let firsts: Vec<i64> = all["enterprises"].as_array().unwrap().iter().map(|e| n(e, "found")).collect();
        assert_eq!(firsts[..2], [60, 10], "sorted by found, descending");
        assert!(firsts.windows(2).all(|w| w[0] >= w[1]));
        let (_, met) = get(app, "/gov/dashboard/enterprises?attainment=found", &province).await;
        assert_eq!(met["total"], demo + 1, "all but the one with ≥ 50 found miss that target");
        let (_, by_name) =
            get(app, "/gov/dashboard/enterprises?q=%E7%A4%BA%E8%8C%83%E5%BB%BA%E6%9D%90", &province).await;
        assert_eq!(by_name["total"], 1, "{by_name}");
        assert_eq!(by_name["enterprises"][0]["rectified_share"], 0.2);
        let (_, yinchuan) = get(app, "/gov/dashboard/enterprises?region=640100", &city).await;
        assert_eq!(yinchuan["error"]["code"], "not_found");
        let (s, _) = get(app, "/gov/dashboard/enterprises?sort=password", &city).await;
        assert_eq!(s, 400);
        let (s, _) = get(app, "/gov/dashboard/summary", &officer).await;
        assert_eq!(s, 403);
    }
);

both!(
    analysis_of_the_region,
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        use sea_orm::{ConnectionTrait, Statement};
        app.ensure_demo().await;
        let city = staff_token(app, "hrss.city").await;
        let count = |sql: &str| {
            let sql = sql.to_string();
            async move {
                let row = app
                    .db
                    .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get_by_index::<i64>(0).unwrap()
            }
        };
        let in_2025 = count(
            "SELECT count(*) FROM accidents a JOIN enterprises e ON e.id = a.enterprise_id \
             WHERE e.region_code LIKE '6402%' AND a.occurred_on BETWEEN '2025-01-01' AND '2025-12-31'",
        )
        .await;
        assert!(in_2025 > 0);

        let (s, t) = get(app, "/gov/analysis/key-industries?year=2025", &city).await;
        assert_eq!(s, 200, "{t}");
        let accounted = n(&t["total"], "accidents") + n(&t, "accidents_outside") + n(&t, "accidents_unmatched");
        assert_eq!(accounted, in_2025, "every accident of the year is in a key industry or counted outside: {t}");
        // The key industries of rules/analysis/key_industries.toml, by GB/T 4754 division.
        let key_divisions = "'06','07','08','09','10','11','12','25','26','27','30','31','32','33','34','35','36','37','38',\
                             '47','48','49','50','53','54','55','56','57','58','59','60'";
        let in_key = count(&format!(
            "SELECT count(*) FROM enterprises WHERE region_code LIKE '6402%' AND industry_division IN ({key_divisions})"
        ))
        .await;
        assert_eq!(n(&t["total"], "enterprises"), in_key, "{t}");
        let key_accidents = count(&format!(
            "SELECT count(*) FROM accidents a JOIN enterprises e ON e.id = a.enterprise_id WHERE e.region_code LIKE '6402%' \
             AND e.industry_division IN ({key_divisions}) AND a.occurred_on BETWEEN '2025-01-01' AND '2025-12-31'"
        ))
        .await;
        assert_eq!(n(&t["total"], "accidents"), key_accidents, "{t}");
        assert!(!t["rows"].as_array().unwrap().is_empty());

        let (s, c) = get(app, "/gov/analysis/coverage?year=2025", &city).await;
        assert_eq!(s, 200, "{c}");
        assert_eq!(n(&c, "total_accidents"), in_2025);
        let pairs = c["pairs"].as_array().unwrap();
        let covered: i64 = pairs.iter().map(|p| n(p, "accidents")).sum();
        assert_eq!(covered, n(&c, "covered_accidents"));
        assert!(c["covered_share"].as_f64().unwrap() >= 0.8, "{c}");
        // The fewest pairs: without the last one the share falls short.
        assert!(((covered - n(pairs.last().unwrap(), "accidents")) as f64) < 0.8 * in_2025 as f64, "{c}");
        let counts: Vec<i64> = pairs.iter().map(|p| n(p, "accidents")).collect();
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "largest pairs first");
        let (s, _) = get(app, "/gov/analysis/coverage?share=1.5", &city).await;
        assert_eq!(s, 400);

        // Trends: three years to 2025, every accident of the period counted once.
        let in_period = count(
            "SELECT count(*) FROM accidents a JOIN enterprises e ON e.id = a.enterprise_id \
             WHERE e.region_code LIKE '6402%' AND a.occurred_on BETWEEN '2023-01-01' AND '2025-12-31'",
        )
        .await;
        let (s, tr) = get(app, "/gov/analysis/trends?year=2025", &city).await;
        assert_eq!(s, 200, "{tr}");
        // The period starts with the records (2023-11 in the demo city), not before.
        let first: String = {
            let row = app
                .db
                .query_one_raw(Statement::from_string(
                    app.db.get_database_backend(),
                    "SELECT CAST(MIN(a.occurred_on) AS TEXT) FROM accidents a JOIN enterprises e ON e.id = a.enterprise_id \
                     WHERE e.region_code LIKE '6402%' AND a.occurred_on >= '2023-01-01'",
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index(0).unwrap()
        };
        assert_eq!(
            (tr["period"]["first"].as_str(), tr["period"]["last"].as_str()),
            (Some(&first[..7]), Some("2025-12"))
        );
        let monthly: i64 = tr["monthly"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum();
        assert_eq!(monthly, in_period);
        let months = tr["monthly"].as_array().unwrap().len();
        let (y, m): (usize, usize) = (first[..4].parse().unwrap(), first[5..7].parse().unwrap());
        assert_eq!(months, (2025 - y) * 12 + (12 - m) + 1);
        assert!(
            tr["seasonality"]["full_years"]
                .as_array()
                .unwrap()
                .iter()
                .all(|y| y.as_i64().unwrap() > first[..4].parse::<i64>().unwrap() || m == 1)
        );
        let y2025 = tr["years"].as_array().unwrap().iter().find(|y| y["year"] == 2025).unwrap();
        assert_eq!(n(y2025, "accidents"), in_2025);
        let top_type =
            &tr["by"].as_array().unwrap().iter().find(|d| d["dimension"] == "accident_type").unwrap()["series"][0];
        let of_type = count(&format!(
            "SELECT count(*) FROM accidents a JOIN enterprises e ON e.id = a.enterprise_id WHERE e.region_code LIKE '6402%' \
             AND a.accident_type_gb86 = '{}' AND a.occurred_on BETWEEN '2023-01-01' AND '2025-12-31'",
            top_type["key"].as_str().unwrap()
        ))
        .await;
        assert_eq!(n(top_type, "accidents"), of_type, "{top_type}");
        assert!(tr["seasonality"]["index"].as_array().unwrap().len() == 12);

        // Focus and the whole report, from the same rows.
        let (s, f) = get(app, "/gov/analysis/focus?year=2025", &city).await;
        assert_eq!(s, 200, "{f}");
        assert_eq!(n(&f, "accidents"), in_2025);
        assert!(!f["industries"].as_array().unwrap().is_empty() && !f["enterprises"].as_array().unwrap().is_empty());
        let (s, r) = get(app, "/gov/analysis/report?year=2025", &city).await;
        assert_eq!(s, 200);
        assert_eq!((r["region_code"].as_str(), r["region_name"].as_str()), (Some("640200"), Some("石嘴山市")));
        assert_eq!(n(&r["summary"]["headline"], "accidents"), in_period);
        assert_eq!(r["key_industries"], t, "the report's table is the table route's");
        assert_eq!(r["coverage"], c);
        let suggestions = r["summary"]["suggestions"].as_array().unwrap();
        assert!(!suggestions.is_empty() && suggestions.iter().all(|s| !s["figures"].as_array().unwrap().is_empty()));
        let (s, _) = get(app, "/gov/analysis/report?year=1999", &city).await;
        assert_eq!(s, 400);
        let (s, _) = get(app, "/gov/analysis/report?region=640100", &city).await;
        assert_eq!(s, 404, "another city reads as not found");

        // An accident next door counts for the province, never for the city.
        let (_, officer_id) = mp_token(app, "demo-officer-e02").await;
        let yc = other_city(app, "银川示范机械厂", officer_id, 0, 0).await;
        accidents::ActiveModel {
            created_at: Set(Utc::now().fixed_offset()),
            enterprise_id: Set(yc),
            occurred_on: Set(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()),
            accident_type_gb86: Set(Some("03".into())),
            job: Set(Some("车工".into())),
            severity: Set("serious".into()),
            injured_count: Set(1),
            source: Set("test".into()),
            source_key: Set("yc-1".into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let province = staff_token(app, "hrss.province").await;
        // The city's cached report must be computed anew, or "unchanged" proves nothing.
        app.state.dashboard.touch("640200").await;
        let (_, city_again) = get(app, "/gov/analysis/report?year=2025", &city).await;
        assert_eq!(n(&city_again["coverage"], "total_accidents"), in_2025, "the city's report is unchanged");
        let (_, whole) = get(app, "/gov/analysis/report?year=2025", &province).await;
        assert_eq!(n(&whole["coverage"], "total_accidents"), in_2025 + 1);
        assert_eq!(
            n(&whole["key_industries"]["total"], "accidents"),
            n(&t["total"], "accidents") + 1,
            "C33 is a key industry"
        );
        let (_, yinchuan) = get(app, "/gov/analysis/report?year=2025&region=640100", &province).await;
        assert_eq!((n(&yinchuan["coverage"], "total_accidents"), n(&yinchuan, "enterprises")), (1, 1));
    }
);

both!(
    feedback_on_recommended_items,
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let (officer, _) = mp_token(app, "demo-officer-e04").await;
        let (s, round) = post(app, "/mp/recommendations", &officer, json!({})).await;
        assert_eq!(s, 201, "{round}");
        let id = round["round"].as_i64().or(round["id"].as_i64()).unwrap();
        let (_, page) = get(app, &format!("/mp/recommendations/{id}?per_page=200"), &officer).await;
        let items = page["items"].as_array().unwrap();
        let total = page["total"].as_i64().unwrap_or(items.len() as i64);
        let answers = json!({ "answers": [
            { "item_id": items[0]["item_id"], "result": "found" },
            { "item_id": items[1]["item_id"], "result": "found" },
            { "item_id": items[2]["item_id"], "result": "not_found" },
            { "item_id": items[3]["item_id"], "result": "not_applicable", "reason": "本企业无此工艺" }
        ]});
        let (s, saved) = post(app, &format!("/mp/recommendations/{id}/feedback"), &officer, answers).await;
        assert_eq!(s, 200, "{saved}");

        let city = staff_token(app, "hrss.city").await;
        let (s, f) = get(app, "/gov/dashboard/feedback", &city).await;
        assert_eq!(s, 200, "{f}");
        assert_eq!(n(&f, "recommended"), total, "the one round's items: {f}");
        assert_eq!((n(&f, "found"), n(&f, "not_found"), n(&f, "not_applicable")), (2, 1, 1));
        assert_eq!(n(&f, "unmarked"), total - 4);
        assert_eq!(f["hit_rate"].as_f64().unwrap(), 2.0 / 3.0);
        let areas = f["areas"].as_array().unwrap();
        let area_sum: i64 = areas.iter().map(|a| n(a, "recommended")).sum();
        assert_eq!(area_sum, total, "areas partition the items");
        assert_eq!(areas.iter().map(|a| n(a, "found")).sum::<i64>(), 2);
        let first = items[0]["item_id"].as_str().unwrap();
        let listed =
            f["items"].as_array().unwrap().iter().find(|i| i["code"] == first).expect("a found item is listed");
        assert_eq!((n(listed, "recommended"), n(listed, "found")), (1, 1));
        assert_eq!(f["most_not_applicable"][0]["code"], items[3]["item_id"]);

        // The province's totals include the city's; another city's view is empty.
        let province = staff_token(app, "emergency.province").await;
        let (_, p) = get(app, "/gov/dashboard/feedback", &province).await;
        assert_eq!((n(&p, "recommended"), n(&p, "found")), (total, 2));
        let (_, yc) = get(app, "/gov/dashboard/feedback?region=640100", &province).await;
        assert_eq!((n(&yc, "recommended"), yc["areas"].as_array().unwrap().len()), (0, 0));
        let (s, _) = get(app, "/gov/dashboard/feedback?region=640100", &city).await;
        assert_eq!(s, 404);
    }
);
