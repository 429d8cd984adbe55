//! The demo city as a programme in progress (`demo.activity`): half a year of activity
//! through the use cases, seen by a city bureau through the API. The dashboard shows
//! attainment, the funnel, escalations and receipts, and each figure agrees with what
//! the lists behind it hold.

use std::collections::BTreeSet;

use serde_json::Value;
use zhicha_tests::{Opts, TestApp, both, demo_enterprise_keys};

use crate::findings::get;
use crate::wechat::staff_token;

fn n(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"))
}

fn count(list: &Value, key: &str) -> i64 {
    list.as_array().unwrap().iter().filter(|c| c["key"] == key).map(|c| n(c, "count")).sum()
}

both!(
    a_bureau_sees_a_programme_in_progress,
    Opts { demo: true, activity: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        let started = std::time::Instant::now();
        app.ensure_demo().await;
        if app.backend == zhicha_tests::Backend::Postgres {
            println!("demo activity on PostgreSQL: {} ms", started.elapsed().as_millis());
        }
        let bureau = staff_token(app, "hrss.city").await;
        let (s, sum) = get(app, "/gov/dashboard/summary", &bureau).await;
        assert_eq!(s, 200, "{sum}");
        println!("dashboard summary: {sum}");

        // The funnel: recommended, found, rectified, with open, overdue and major hazards.
        for k in ["recommended", "answered", "found", "rectified", "open", "overdue", "major_found"] {
            assert!(n(&sum, k) > 0, "{k} is zero in {sum}");
        }
        // Every enterprise of the demo city took part, each with a round of at least 150.
        assert!(n(&sum, "recommended") >= 150 * demo_enterprise_keys().len() as i64, "{sum}");
        assert!(n(&sum, "rectified") < n(&sum, "found"));
        assert!(sum["median_days_to_close"].as_f64().is_some_and(|d| d > 1.0), "{sum}");

        // Attainment: some enterprises meet all three targets, some do not.
        let all_met = n(&sum, "all_met");
        assert!(all_met >= 1 && all_met < n(&sum, "enterprises"), "{sum}");
        assert!(n(&sum, "found_met") > all_met, "some find 50 but rectify too little: {sum}");

        // Each enterprise's figures, from the officers' own records: the funnel's totals
        // are their sums, and the targets agree with the progress rows.
        let (s, page) = get(app, "/gov/dashboard/enterprises?per_page=100", &bureau).await;
        assert_eq!(s, 200, "{page}");
        let rows = page["enterprises"].as_array().unwrap();
        assert_eq!(rows.len() as i64, n(&sum, "enterprises"));
        let (mut found, mut rectified, mut met) = (0, 0, 0);
        for e in rows {
            let id = n(e, "id");
            let (s, t) = get(app, &format!("/gov/enterprises/{id}/targets"), &bureau).await;
            assert_eq!(s, 200, "{t}");
            assert_eq!(n(&t, "found"), n(e, "found"), "enterprise {id}: {t} vs {e}");
            assert_eq!(n(&t, "rectified"), n(e, "rectified"), "enterprise {id}");
            assert_eq!(n(&t, "recommended"), n(e, "recommended"), "enterprise {id}");
            // The findings the bureau can list are what was found (none is a draft or
            // cancelled in the demo).
            let (s, f) = get(app, &format!("/gov/enterprises/{id}/findings?per_page=1"), &bureau).await;
            assert_eq!(s, 200, "{f}");
            assert_eq!(n(&f, "total"), n(&t, "found"), "enterprise {id}");
            let (s, acc) =
                get(app, &format!("/gov/enterprises/{id}/findings?per_page=1&state=accepted"), &bureau).await;
            assert_eq!(s, 200, "{acc}");
            assert_eq!(n(&acc, "total"), n(&t, "rectified"), "enterprise {id}");
            found += n(&t, "found");
            rectified += n(&t, "rectified");
            let all =
                [&t["recommended_met"], &t["found_met"], &t["rectified_met"]].iter().all(|b| b.as_bool() == Some(true));
            met += i64::from(all);
        }
        assert_eq!(found, n(&sum, "found"));
        assert_eq!(rectified, n(&sum, "rectified"));
        assert_eq!(met, all_met);

        // Escalations at several levels, the counts as the list has them.
        let (s, esc) = get(app, "/gov/escalations?per_page=200", &bureau).await;
        assert_eq!(s, 200, "{esc}");
        let list = esc["escalations"].as_array().unwrap();
        assert_eq!(n(&esc, "total") as usize, list.len(), "all on one page");
        let levels: BTreeSet<i64> = list.iter().map(|e| n(e, "level")).collect();
        assert!(levels.iter().any(|l| *l >= 3), "levels {levels:?}");
        assert!(levels.len() >= 3, "levels {levels:?}");
        for e in list {
            let key = format!("{}:{}", n(e, "level"), e["state"].as_str().unwrap());
            assert!(count(&sum["escalations"], &key) > 0, "{key} not in {}", sum["escalations"]);
        }
        let total: i64 = sum["escalations"].as_array().unwrap().iter().map(|c| n(c, "count")).sum();
        assert_eq!(total, list.len() as i64);

        // An expert visit done, with its follow-up.
        assert!(count(&sum["tasks"], "expert_visit:done") >= 1, "{}", sum["tasks"]);
        assert!(count(&sum["tasks"], "follow_up:done") >= 1, "{}", sum["tasks"]);

        // Reports submitted, each to both bureaus, some read and one returned.
        let (s, reports) = get(app, "/gov/reports?per_page=100", &bureau).await;
        assert_eq!(s, 200, "{reports}");
        let versions = n(&reports, "total");
        assert!(versions >= 1, "{reports}");
        let receipts: i64 = sum["report_receipts"].as_array().unwrap().iter().map(|c| n(c, "count")).sum();
        assert_eq!(receipts, 2 * versions, "{}", sum["report_receipts"]);
        for status in ["received", "read", "returned"] {
            assert!(count(&sum["report_receipts"], status) > 0, "{status}: {}", sum["report_receipts"]);
        }
    }
);
