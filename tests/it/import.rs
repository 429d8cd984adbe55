//! Accident-history import against the real data sets: whole-file checks, idempotent
//! re-imports, and the generic CSV path with skipped rows.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use zhicha_api::entities::{accidents, enterprises, import_runs};
use zhicha_api::reference::import::{self, Profile, Progress, Summary};
use zhicha_api::reference::scoring;
use zhicha_engine::CreditCode;
use zhicha_tests::{TestApp, both, shared_data};

const OSHA: &str = "osha_severe_injury_2015.csv";
const MSHA: &str = "msha_accidents_sample_2000.csv";

async fn run(app: &TestApp, profile: Profile, mapping: Option<&Path>, file: &Path) -> anyhow::Result<Summary> {
    import::run(&app.db, &app.state.catalog, profile, mapping, file, Progress::Hidden).await
}

/// What an import may change: row counts and every accident's identity and links.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    accidents: u64,
    enterprises: u64,
    import_runs: u64,
    content: u64,
}

/// source, source key, enterprise, GB 6441-86 type, severity, import run.
type AccidentIdentity = (String, String, i64, Option<String>, String, Option<i64>);

async fn fingerprint(app: &TestApp) -> Fingerprint {
    let db = &app.db;
    let rows: Vec<AccidentIdentity> = accidents::Entity::find()
        .select_only()
        .columns([
            accidents::Column::Source,
            accidents::Column::SourceKey,
            accidents::Column::EnterpriseId,
            accidents::Column::AccidentTypeGb86,
            accidents::Column::Severity,
            accidents::Column::ImportRunId,
        ])
        .order_by_asc(accidents::Column::Source)
        .order_by_asc(accidents::Column::SourceKey)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    let mut h = DefaultHasher::new();
    rows.hash(&mut h);
    Fingerprint {
        accidents: accidents::Entity::find().count(db).await.unwrap(),
        enterprises: enterprises::Entity::find().count(db).await.unwrap(),
        import_runs: import_runs::Entity::find().count(db).await.unwrap(),
        content: h.finish(),
    }
}

both!(osha, async |app: &TestApp| {
    let Some(file) = shared_data(OSHA) else { return };
    let first = run(app, Profile::OshaSir, None, &file).await.unwrap();
    assert_eq!(first.rows_read, 9858, "{first}");
    assert_eq!(first.imported, 9858, "{first}");
    assert_eq!(first.unchanged, 0, "{first}");
    assert!(first.skipped.is_empty(), "{first}");
    assert!(first.enterprises_created > 7000, "{first}");
    let run_id = first.run_id.unwrap_or_else(|| panic!("no import run: {first}"));
    let fp = fingerprint(app).await;
    assert_eq!(fp.accidents, 9858);
    assert_eq!(fp.enterprises, first.enterprises_created as u64);
    assert_eq!(fp.import_runs, 1);
    let recorded = import_runs::Entity::find_by_id(run_id).one(&app.db).await.unwrap().unwrap();
    assert_eq!((recorded.status.as_str(), recorded.rows_read, recorded.imported), ("succeeded", 9858, 9858));
    assert_eq!(recorded.profile, "osha-sir");
    // Most OSHA events map to a GB 6441-86 type.
    let mapped = accidents::Entity::find()
        .filter(accidents::Column::AccidentTypeGb86.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert!(mapped > 9000, "{mapped} of 9858 mapped");

    // The production refit reads what a name-keyed enterprise's resolved name says, as
    // the backtest does: the word count enters the fit with a weight of its own.
    let when = scoring::default_cutoff(&app.db).await.unwrap();
    let cfg = zhicha_engine::risk::RiskConfig::default();
    // The import's own refit may still hold the lock: wait for it, then fit again.
    let mut fitted = false;
    for _ in 0..600 {
        match scoring::refit(&app.db, scoring::Trigger::Manual, when, &cfg, None).await.unwrap() {
            scoring::Refit::Busy => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            other => {
                fitted = matches!(other, scoring::Refit::Fitted { .. });
                break;
            }
        }
    }
    assert!(fitted, "no refit after the import");
    let fit = zhicha_api::entities::risk_fits::Entity::find()
        .filter(zhicha_api::entities::risk_fits::Column::State.eq("current"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let model: serde_json::Value = serde_json::from_str(&fit.model).unwrap();
    let names = model["glm"]["names"].as_array().unwrap();
    let at = names.iter().position(|n| n == "log_name_words").unwrap();
    let weight = model["glm"]["coef"][at].as_f64().unwrap();
    assert!(weight < -0.1, "short names (brands, agencies) should weigh up: {weight}");

    // Importing the same file again changes nothing and leaves no run behind.
    let again = run(app, Profile::OshaSir, None, &file).await.unwrap();
    assert_eq!((again.imported, again.unchanged, again.enterprises_created), (0, 9858, 0), "{again}");
    assert_eq!(again.run_id, None, "{again}");
    assert_eq!(fingerprint(app).await, fp);

    // A file cut off mid-record fails as a whole, naming the line.
    let bytes = std::fs::read(&file).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("osha_truncated.csv");
    std::fs::write(&cut, &bytes[..3_000_000]).unwrap();
    let err =
        run(app, Profile::OshaSir, None, &cut).await.err().unwrap_or_else(|| panic!("a truncated file must fail"));
    let msg = format!("{err:#}");
    assert!(msg.contains("line 6322"), "{msg}");
    assert!(msg.contains("nothing was imported"), "{msg}");
    assert_eq!(fingerprint(app).await, fp);
});

both!(msha, async |app: &TestApp| {
    let Some(file) = shared_data(MSHA) else { return };
    let first = run(app, Profile::Msha, None, &file).await.unwrap();
    assert_eq!((first.rows_read, first.imported), (2000, 2000), "{first}");
    assert!(first.run_id.is_some());
    let fp = fingerprint(app).await;
    assert_eq!(fp.accidents, 2000);

    let again = run(app, Profile::Msha, None, &file).await.unwrap();
    assert_eq!((again.imported, again.unchanged, again.run_id), (0, 2000, None), "{again}");
    assert_eq!(fingerprint(app).await, fp);

    // A mapping file belongs to the generic profile only.
    let err = run(app, Profile::Msha, Some(Path::new("mapping.toml")), &file).await.err().unwrap();
    assert!(err.to_string().contains("--mapping"), "{err}");
});

const MAPPING: &str = r#"
source = "test-gongshang"
date_format = "%Y-%m-%d"

[columns]
source_key = "编号"
occurred_on = "日期"
credit_code = "统一社会信用代码"
enterprise_name = "单位名称"
accident_type = "事故类别"
severity = "伤害程度"
lost_days = "歇工天数"
fund_payout_yuan = "工伤保险基金支付"
narrative = "经过"
"#;

both!(generic, async |app: &TestApp| {
    let good1 = CreditCode::with_check("91640200MA7600001").unwrap().to_string();
    let good2 = CreditCode::with_check("91640200MA7600002").unwrap().to_string();
    // A valid code with its check character changed.
    let bad = {
        let ok = CreditCode::with_check("91640200MA7600003").unwrap().to_string();
        let last = ok.chars().last().unwrap();
        let wrong = if last == '0' { '1' } else { '0' };
        format!("{}{wrong}", &ok[..17])
    };
    let csv = format!(
        "编号,日期,统一社会信用代码,单位名称,事故类别,伤害程度,歇工天数,工伤保险基金支付,经过\n\
         G-1,2024-03-05,{good1},石嘴山市甲机械厂,03,重伤,120,1234.56,右手被冲床压伤\n\
         G-2,2024-04-10,{good2},石嘴山市乙化工有限公司,灼烫,轻伤,10,,\"蒸汽管道泄漏,手臂烫伤\"\n\
         G-3,2024-05-01,{bad},石嘴山市丙建材厂,01,轻伤,5,,\n\
         G-4,2024-06-01,{good1},石嘴山市甲机械厂,99,轻伤,3,,\n\
         G-5,2024-07-15,{good1},石嘴山市甲机械厂,高处坠落,死亡,,800000,\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let (file, mapping) = (dir.path().join("工伤.csv"), dir.path().join("mapping.toml"));
    std::fs::write(&file, csv).unwrap();
    std::fs::write(&mapping, MAPPING).unwrap();

    let s = run(app, Profile::Generic, Some(&mapping), &file).await.unwrap();
    assert_eq!((s.rows_read, s.imported, s.enterprises_created), (5, 3, 2), "{s}");
    let skipped: Vec<(usize, &str)> = s.skipped.iter().map(|k| (k.line, k.reason.as_str())).collect();
    assert_eq!(skipped.len(), 2, "{s}");
    assert_eq!(skipped[0].0, 4, "{s}");
    assert!(skipped[0].1.contains("统一社会信用代码") && skipped[0].1.contains("check character"), "{s}");
    assert_eq!(skipped[1].0, 5, "{s}");
    assert!(skipped[1].1.contains("accident type") && skipped[1].1.contains("99"), "{s}");

    let by_key = async |key: &str| {
        accidents::Entity::find()
            .filter(accidents::Column::Source.eq("test-gongshang"))
            .filter(accidents::Column::SourceKey.eq(key))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("accident {key} not stored"))
    };
    let g1 = by_key("G-1").await;
    assert_eq!(g1.fund_payout_fen, Some(123_456));
    assert_eq!(g1.severity, "serious");
    assert_eq!(g1.accident_type_gb86.as_deref(), Some("03"));
    assert_eq!(g1.accident_type_system.as_deref(), Some("gb6441-86"));
    assert_eq!(g1.lost_days, Some(120));
    let g2 = by_key("G-2").await;
    assert_eq!(g2.accident_type_gb86.as_deref(), Some("07"), "灼烫 by name");
    assert_eq!(g2.fund_payout_fen, None);
    assert_eq!(g2.severity, "minor");
    assert_eq!(g2.narrative.as_deref(), Some("蒸汽管道泄漏,手臂烫伤"));
    let g5 = by_key("G-5").await;
    assert_eq!((g5.severity.as_str(), g5.fund_payout_fen), ("death", Some(80_000_000)));
    assert_eq!(g5.enterprise_id, g1.enterprise_id, "one enterprise per credit code");

    let e = enterprises::Entity::find_by_id(g1.enterprise_id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(e.credit_code.as_deref(), Some(good1.as_str()));
    assert_eq!(e.name, "石嘴山市甲机械厂");

    let run_row = import_runs::Entity::find_by_id(s.run_id.unwrap()).one(&app.db).await.unwrap().unwrap();
    assert_eq!((run_row.profile.as_str(), run_row.imported, run_row.skipped), ("generic", 3, 2));

    let again = run(app, Profile::Generic, Some(&mapping), &file).await.unwrap();
    assert_eq!((again.imported, again.unchanged, again.run_id), (0, 3, None), "{again}");
});

// A region column on a database without the demo city: start-up fills `regions` from
// rules/codes/gbt2260_region.csv, so the enterprise's foreign key holds.
both!(generic_region_on_fresh_db, async |app: &TestApp| {
    let code = CreditCode::with_check("91640200MA7600009").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (file, mapping) = (dir.path().join("r.csv"), dir.path().join("mapping.toml"));
    std::fs::write(
        &file,
        format!("编号,日期,统一社会信用代码,单位名称,区划\nR-1,2024-03-05,{code},石嘴山市丁矿业公司,640221\n"),
    )
    .unwrap();
    let m = "source = \"test-region\"\ndate_format = \"%Y-%m-%d\"\n[columns]\nsource_key = \"编号\"\noccurred_on = \"日期\"\n\
                 credit_code = \"统一社会信用代码\"\nenterprise_name = \"单位名称\"\nregion = \"区划\"\n";
    std::fs::write(&mapping, m).unwrap();
    let s = run(app, Profile::Generic, Some(&mapping), &file).await.unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(s.imported, 1, "{s}");
    let e = enterprises::Entity::find()
        .filter(enterprises::Column::CreditCode.eq(code.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.region_code.as_deref(), Some("640221"));
});
