//! Jobs read from the OSHA 2015 narratives, and the bureau's analysis over them: the
//! training-coverage plan and the key-industry table, computed by the engine from the
//! imported rows and checked against counts the database makes on its own.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use zhicha_api::entities::accidents;
use zhicha_api::reference::import::{self, Profile, Progress, Summary};
use zhicha_engine::analysis::{
    AccidentRow, CoveragePair, CoveragePlan, EnterpriseRow, coverage_plan, key_industry_table,
};
use zhicha_tests::{Backend, Opts, TestApp, run_app, shared_data};

const OSHA: &str = "osha_severe_injury_2015.csv";
const YEAR: &str = "occurred_on BETWEEN '2015-01-01' AND '2015-12-31'";

async fn import(app: &TestApp, file: &std::path::Path) -> Summary {
    import::run(&app.db, &app.state.catalog, Profile::OshaSir, None, file, Progress::Hidden).await.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> u64 {
    let row = app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap() as u64
}

/// The enterprises and accidents of 2015 through the loader the analysis routes use.
async fn loaded(app: &TestApp) -> (Vec<EnterpriseRow>, Vec<AccidentRow>) {
    let day = |m, d| NaiveDate::from_ymd_opt(2015, m, d).unwrap();
    let (firms, mut rows) =
        zhicha_api::oversight::analysis::rows::load(&app.db, None, day(1, 1), day(12, 31)).await.unwrap();
    rows.sort_by(|x, y| {
        (x.date, &x.enterprise, &x.job, &x.accident_type).cmp(&(y.date, &y.enterprise, &y.job, &y.accident_type))
    });
    (firms, rows)
}

/// The accidents of one job × accident-type pair, as the database counts them.
async fn pair_count(app: &TestApp, job: Option<&str>, accident_type: Option<&str>) -> u64 {
    let q = accidents::Entity::find();
    let q = match job {
        Some(j) => q.filter(accidents::Column::Job.eq(j)),
        None => q.filter(accidents::Column::Job.is_null()),
    };
    let q = match accident_type {
        Some(t) => q.filter(accidents::Column::AccidentTypeGb86.eq(t)),
        None => q.filter(accidents::Column::AccidentTypeGb86.is_null()),
    };
    q.count(&app.db).await.unwrap()
}

/// The plan's pairs are the fewest that reach `share` of `total`, largest first, each
/// holding as many accidents as the database counts for it.
async fn assert_covers(app: &TestApp, plan: &CoveragePlan, total: u64, share: f64) {
    let need = (share * total as f64).ceil() as u64;
    let last = plan.pairs.last().map_or(0, |p| p.accidents);
    assert!(plan.covered_accidents >= need && plan.covered_accidents - last < need, "{need} {plan:?}");
    assert_eq!(plan.covered_accidents, plan.pairs.iter().map(|p| p.accidents).sum::<u64>());
    assert!(plan.pairs.windows(2).all(|w| w[0].accidents >= w[1].accidents));
    for CoveragePair { job, accident_type, accidents, .. } in &plan.pairs {
        let db = pair_count(app, job.as_deref(), accident_type.as_deref()).await;
        assert_eq!(*accidents, db, "{job:?} × {accident_type:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn osha_2015_jobs_feed_the_coverage_plan_and_key_industries() {
    let Some(file) = shared_data(OSHA) else { return };
    run_app(Backend::Sqlite, Opts::default(), async |app: &TestApp| {
        let first = import(app, &file).await;
        assert_eq!((first.imported, first.jobs_updated), (9858, 0), "{first}");
        let (firms, rows) = loaded(app).await;
        let year_total = count(app, &format!("SELECT COUNT(*) FROM accidents WHERE {YEAR}")).await;
        assert_eq!((rows.len() as u64, year_total), (9858, 9858));
        let with_job = count(app, "SELECT COUNT(*) FROM accidents WHERE job IS NOT NULL").await;
        // 1,249 (12.7%) with the rules of 2026-12-04.1; most narratives say only "an employee".
        assert!(with_job >= 1200, "{with_job} accidents with a job");
        // The narrative is stored as written.
        let narratives = count(app, "SELECT COUNT(*) FROM accidents WHERE narrative LIKE 'A truck driver fell%'").await;
        assert!(narratives >= 1);

        let plan = coverage_plan(&rows, 0.8).unwrap();
        assert_eq!(plan.total_accidents, year_total);
        assert_eq!(plan.unknown_job_accidents, year_total - with_job);
        assert_covers(app, &plan, year_total, 0.8).await;
        // Unknown jobs still hold most of the year and lead the plan's pairs; the plan over
        // the accidents with a job is the one with jobs to train.
        let known: Vec<AccidentRow> = rows.iter().filter(|r| r.job.is_some()).cloned().collect();
        let known_plan = coverage_plan(&known, 0.8).unwrap();
        assert_eq!((known_plan.total_accidents, known_plan.unknown_job_accidents), (with_job, 0));
        assert!(known_plan.pairs.len() > 10 && known_plan.pairs.iter().all(|p| !p.unknown_job));
        assert_covers(app, &known_plan, with_job, 0.8).await;

        // The ten jobs with most accidents, as GROUP BY ranks them (ties by name).
        let sql = "SELECT job, COUNT(*) FROM accidents WHERE job IS NOT NULL GROUP BY job ORDER BY COUNT(*) DESC, job LIMIT 10";
        let top: Vec<(String, u64)> = app
            .db
            .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
            .await
            .unwrap()
            .iter()
            .map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<i64>(1).unwrap() as u64))
            .collect();
        let plan_top: Vec<(String, u64)> = plan.top_jobs.iter().map(|j| (j.job.clone(), j.accidents)).collect();
        assert_eq!(plan_top, top);
        assert_eq!(top[0].0, "机修工", "{top:?}");
        for j in &plan.top_jobs {
            for (t, n) in &j.top_types {
                assert_eq!(*n, pair_count(app, Some(&j.job), t.as_deref()).await, "{} × {t:?}", j.job);
            }
        }

        let rules = &app.state.analysis;
        let table = key_industry_table(rules, &firms, None, &rows, 2015);
        assert_eq!((table.accidents_unmatched, table.total.previous_accidents), (0, 0));
        let member = |divisions: &[(u8, u8)]| {
            let d = "CAST(e.industry_division AS INTEGER)";
            divisions.iter().map(|(a, b)| format!("{d} BETWEEN {a} AND {b}")).collect::<Vec<_>>().join(" OR ")
        };
        let in_year = format!("SELECT COUNT(*) FROM accidents a JOIN enterprises e ON e.id = a.enterprise_id WHERE a.{YEAR}");
        let mut all = Vec::new();
        for row in &table.rows {
            let k = rules.key_industries.iter().find(|k| row.id.as_ref() == Some(&k.id)).unwrap();
            all.extend(k.divisions.iter().copied());
            let m = member(&k.divisions);
            assert_eq!(row.accidents, count(app, &format!("{in_year} AND ({m})")).await, "{}", row.name);
            assert_eq!(row.enterprises, count(app, &format!("SELECT COUNT(*) FROM enterprises e WHERE {m}")).await);
        }
        let in_any = count(app, &format!("{in_year} AND ({})", member(&all))).await;
        assert!(in_any > 0);
        assert_eq!((table.total.accidents, table.accidents_outside), (in_any, year_total - in_any));

        // A database imported before the job rules (every job empty) gets the jobs on
        // re-import of the unchanged file; a further re-import changes nothing.
        app.db.execute_unprepared("UPDATE accidents SET job = NULL").await.unwrap();
        let again = import(app, &file).await;
        assert_eq!((again.imported, again.jobs_updated), (0, with_job as usize), "{again}");
        assert_eq!(again.unchanged as u64, 9858 - with_job, "{again}");
        assert!(again.run_id.is_some(), "{again}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM accidents WHERE job IS NOT NULL").await, with_job);
        assert_eq!(loaded(app).await.1, rows);
        let third = import(app, &file).await;
        assert_eq!((third.jobs_updated, third.run_id), (0, None), "{third}");
    })
    .await;
}
