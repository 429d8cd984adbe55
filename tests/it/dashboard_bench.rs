//! The dashboard benchmark (issue 8): a synthetic province of 50,000 enterprises,
//! 5,000,000 findings and 150,000 accidents on PostgreSQL, then the city summary, the
//! province summary, enterprise list pages, the province's analysis report and the
//! dashboard page through HTTP, each timed cold (its region's cache invalidated before
//! every call) and warm. Not part of the suite: `bash bench/dashboard.sh`.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use zhicha_tests::{Backend, Opts, TestApp, run_app};

use crate::wechat::staff_token;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn exec(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
}

fn stats(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q) as usize).min(ms.len() - 1)];
    println!("{what}: n={}, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms", ms.len(), at(0.5), at(0.95), at(1.0));
}

async fn time(app: &TestApp, token: &str, path: &str, n: usize, invalidate: Option<&str>) -> Vec<f64> {
    timed(app, path, n, invalidate, |r| r.bearer_auth(token)).await
}

async fn timed(
    app: &TestApp,
    path: &str,
    n: usize,
    invalidate: Option<&str>,
    auth: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        if let Some(region) = invalidate {
            app.state.dashboard.touch(region).await;
        }
        let t = Instant::now();
        let r = auth(app.client.get(app.url(path))).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let _ = r.bytes().await.unwrap();
        out.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: bash bench/dashboard.sh"]
async fn bench_dashboard() {
    let enterprises = env_usize("ENTERPRISES", 50_000);
    let findings = env_usize("FINDINGS", 5_000_000);
    let accidents = env_usize("ACCIDENTS", 150_000);
    let n = env_usize("N", 100);
    let slow_n = env_usize("N_SLOW", 20);
    let opts = Opts { demo: true, standin: true, limits: Some((1_000_000, 100_000, 1000)), ..Default::default() };
    run_app(Backend::Postgres, opts, async |app: &TestApp| {
        app.ensure_demo().await;
        let t = Instant::now();
        // Enterprises spread over the province's counties, a third of them key.
        exec(app, &format!(
            "INSERT INTO enterprises (created_at, name, industry_code, industry_division, region_code, workforce, insured_workers, is_key, time_zone, updated_at) \
             SELECT now(), 'bench-' || g, 'C3' || lpad((g % 9 + 30)::text, 2, '0') || '1', lpad((g % 9 + 30)::text, 2, '0'), \
                    (SELECT code FROM regions WHERE code LIKE '64%' AND code NOT LIKE '%00' ORDER BY code OFFSET (g % 20) LIMIT 1), \
                    100 + g % 400, 90 + g % 380, g % 3 = 0, 'Asia/Shanghai', now() \
             FROM generate_series(1, {enterprises}) g")).await;
        let reporter: i64 = {
            let r = app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(),
                "SELECT id FROM users WHERE role = 'enterprise_officer' ORDER BY id LIMIT 1")).await.unwrap().unwrap();
            r.try_get_by_index(0).unwrap()
        };
        // Findings in every state, a tenth major, spread over the enterprises.
        exec(app, &format!(
            "INSERT INTO findings (created_at, enterprise_id, location, description, grade, accident_types, state, reported_by, version, updated_at, origin) \
             SELECT now() - (g % 90) * interval '1 day', e.id, 'L', 'D', CASE WHEN g % 10 = 0 THEN 'major' ELSE 'general' END, '[\"03\"]', \
                    (ARRAY['submitted','to_rectify','overdue','rectification_submitted','accepted','accepted','accepted','accepted','cancelled','draft'])[g % 10 + 1], \
                    {reporter}, 1, now(), 'self' \
             FROM generate_series(1, {findings}) g, \
                  (SELECT min(id) + 0 AS first FROM enterprises WHERE name LIKE 'bench-%') b, \
                  LATERAL (SELECT b.first + g % {enterprises} AS id) e")).await;
        // The roll-up, as the writes keep it, in one pass.
        exec(app, "INSERT INTO enterprise_progress (enterprise_id, recommended, answered, found, rectified, open, overdue, major_found, major_open, major_overdue, \
                   close_le1, close_le3, close_le7, close_le15, close_le30, close_le60, close_gt60, updated_at) \
             SELECT enterprise_id, 160, 120, count(*) FILTER (WHERE state NOT IN ('draft','cancelled')), count(*) FILTER (WHERE state = 'accepted'), \
                    count(*) FILTER (WHERE state IN ('submitted','to_rectify','overdue','rectification_submitted')), count(*) FILTER (WHERE state = 'overdue'), \
                    count(*) FILTER (WHERE grade = 'major' AND state NOT IN ('draft','cancelled')), \
                    count(*) FILTER (WHERE grade = 'major' AND state IN ('submitted','to_rectify','overdue','rectification_submitted')), \
                    count(*) FILTER (WHERE grade = 'major' AND state = 'overdue'), \
                    0, 0, count(*) FILTER (WHERE state = 'accepted'), 0, 0, 0, 0, now() \
             FROM findings GROUP BY enterprise_id \
             ON CONFLICT (enterprise_id) DO UPDATE SET found = excluded.found, rectified = excluded.rectified").await;
        // Accidents over 2023-2025, spread over the enterprises, types, parts, jobs and grades.
        exec(app, &format!(
            "INSERT INTO accidents (created_at, enterprise_id, occurred_on, accident_type_gb86, body_part_gb86, injury_nature_gb86, job, \
                                    severity, fund_payout_fen, injured_count, source, source_key) \
             SELECT now(), b.first + (g * 7919) % {enterprises}, DATE '2023-01-01' + (g % 1095), lpad((g % 20 + 1)::text, 2, '0'), \
                    lpad((g % 15 + 1)::text, 2, '0'), lpad((g % 18 + 1)::text, 2, '0'), \
                    (ARRAY['电工','焊工','叉车司机','装卸工','机修工','建筑普工','冲压工','木工','外卖骑手','保洁员','车工','架子工'])[g % 12 + 1], \
                    (ARRAY['minor','minor','minor','minor','minor','minor','serious','serious','disability','death'])[g % 10 + 1], \
                    (g % 50) * 100000, 1, 'bench', 'bench-' || g \
             FROM generate_series(1, {accidents}) g, (SELECT min(id) AS first FROM enterprises WHERE name LIKE 'bench-%') b")).await;
        exec(app, "ANALYZE").await;
        println!(
            "synthetic province: {enterprises} enterprises, {findings} findings, {accidents} accidents loaded in {:.0} s",
            t.elapsed().as_secs_f64()
        );

        let city = staff_token(app, "hrss.city").await;
        let province = staff_token(app, "hrss.province").await;
        let machine = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("machine: {machine} cores; PostgreSQL; debug or release as built; HTTP on loopback");
        // Warm-up.
        time(app, &province, "/gov/dashboard/summary", 3, Some("640000")).await;
        stats("city summary (640200), cold", time(app, &city, "/gov/dashboard/summary", n, Some("640200")).await);
        stats("province summary (640000), cold", time(app, &province, "/gov/dashboard/summary", n, Some("640000")).await);
        stats("province summary, cached", time(app, &province, "/gov/dashboard/summary", n, None).await);
        stats("enterprise list page (province, 50 by overdue)", time(app, &province, "/gov/dashboard/enterprises?per_page=50&page=3", n, None).await);
        stats("enterprise list page (attainment=unmet, by rectified share)",
            time(app, &province, "/gov/dashboard/enterprises?attainment=unmet&sort=rectified_share&per_page=50", n, None).await);
        stats("analysis report (province, 2025), cold",
            time(app, &province, "/gov/analysis/report?year=2025", slow_n, Some("640000")).await);
        stats("analysis report (province, 2025), cached", time(app, &province, "/gov/analysis/report?year=2025", n, None).await);
        let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let (s, set, _) =
            crate::page::page_sign_in(app, &c, "emergency.province", zhicha_api::reference::seed::demo::DEMO_PASSWORD).await;
        assert_eq!(s, 303);
        let cookie = set.unwrap().split(';').next().unwrap().to_string();
        let page = |r: reqwest::RequestBuilder| r.header("cookie", cookie.as_str());
        stats("dashboard page (province), cold", timed(app, "/dashboard?year=2025", slow_n, Some("640000"), page).await);
        stats("dashboard page (province), cached", timed(app, "/dashboard?year=2025", n, None, page).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    })
    .await;
}
