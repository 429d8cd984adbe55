//! Hand-computed fixtures: every figure asserted below is worked out in the comments.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};

use super::*;
use crate::hazards::Text;
use crate::severity::Severity;

fn rules() -> AnalysisRules {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    rules::load(&dir).unwrap_or_else(|e| panic!("{e}"))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date {y}-{m}-{d}"))
}

fn acc(ent: &str, date: NaiveDate, ty: &str, job: Option<&str>, sev: Severity) -> AccidentRow {
    AccidentRow {
        enterprise: ent.into(),
        date,
        accident_type: Some(ty.into()),
        body_part: None,
        injury_nature: None,
        job: job.map(str::to_string),
        severity: sev,
        fund_payout_fen: None,
    }
}

fn ent(key: &str, industry: &str, workforce: Option<u64>, insured: Option<u64>) -> EnterpriseRow {
    EnterpriseRow {
        key: key.into(),
        name: format!("{key}公司"),
        industry: industry.into(),
        workforce,
        insured_workers: insured,
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn shipped_rules_load() {
    let r = rules();
    assert_eq!(r.key_industries.len(), 8);
    assert!((r.aim_rate_change + 0.20).abs() < 1e-12);
    let names: Vec<_> = r.industries_of("C2614").iter().map(|k| k.id.as_str()).collect();
    assert_eq!(names, ["hazardous_chemicals"]);
    assert!(r.industries_of("B0610").iter().any(|k| k.id == "mining"));
    assert!(r.industries_of("G5430").iter().any(|k| k.id == "transport"));
    assert!(r.industries_of("F5110").is_empty());
    assert!(r.industries_of("garbage").is_empty());
    assert_eq!(r.new_employment_keyword("美团外卖骑手"), Some("外卖"));
    assert_eq!(r.new_employment_keyword("Delivery Driver"), Some("delivery driver"));
    assert_eq!(r.new_employment_keyword("车工"), None);
}

#[test]
fn rule_errors_name_file_and_line() {
    let text = |rel: &str, t: &str| Text { path: PathBuf::from(rel), rel: PathBuf::from(rel), text: t.into() };
    let key = text(
        "k.toml",
        "version = \"1\"\naim_rate_change = -0.2\n[[industry]]\nid = \"a\"\nname = \"甲\"\nname_en = \"A\"\ndivisions = [\"12-06\", \"99\"]\n[[industry]]\nid = \"a\"\nname = \"\"\nname_en = \"B\"\ndivisions = [\"30\"]\n",
    );
    let new = text("n.toml", "version = \"1\"\nkeywords = [\"外卖\", \"外卖\"]\n");
    let errs = rules::from_texts(&key, &new).err().unwrap_or_default();
    let shown: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "k.toml:7: range \"12-06\" runs backwards",
            "k.toml:7: division 99 does not exist in GB/T 4754-2017",
            "k.toml:9: id a repeats",
            "k.toml:10: empty `name`",
            "n.toml:2: keyword \"外卖\" repeats",
        ]
    );
    let bad_version = text("n.toml", "# version: 2\nversion = \"1\"\nkeywords = [\"x\"]\nextra = 1\n");
    let errs = rules::from_texts(&key, &bad_version).err().unwrap_or_default();
    assert!(errs.0.iter().any(|e| e.to_string().starts_with("n.toml:4: unknown field `extra`")), "{errs}");
}

/// Three chemical enterprises, one machinery, one retail (in no key industry), one
/// mining enterprise with unknown headcount.
fn city() -> (Vec<EnterpriseRow>, Vec<AccidentRow>) {
    let e = vec![
        ent("chem1", "C2614", Some(200), Some(150)),
        ent("chem2", "C2511", Some(100), Some(0)),
        ent("chem3", "2619", Some(300), Some(250)),
        ent("mach1", "C3311", Some(1000), Some(800)),
        ent("shop", "F5211", Some(50), Some(50)),
        ent("mine", "B0610", None, None),
    ];
    let m = Severity::Minor;
    let a = vec![
        // 2020: chemicals 4, machinery 2, mining 1, shop 1, unknown enterprise 1.
        acc("chem1", day(2020, 3, 1), "03", Some("操作工"), m),
        acc("chem1", day(2020, 5, 1), "07", Some("操作工"), m),
        acc("chem3", day(2020, 7, 1), "19", Some("检修工"), Severity::Death),
        acc("chem2", day(2020, 9, 1), "03", None, m),
        acc("mach1", day(2020, 1, 5), "03", Some("车工"), m),
        acc("mach1", day(2020, 2, 5), "01", Some("车工"), m),
        acc("mine", day(2020, 4, 1), "11", Some("采煤工"), Severity::Serious),
        acc("shop", day(2020, 6, 1), "20", Some("营业员"), m),
        acc("ghost", day(2020, 6, 2), "20", None, m),
        // 2019: chemicals 5, machinery 2.
        acc("chem1", day(2019, 3, 1), "03", Some("操作工"), m),
        acc("chem1", day(2019, 4, 1), "03", Some("操作工"), m),
        acc("chem3", day(2019, 5, 1), "07", Some("检修工"), m),
        acc("chem3", day(2019, 6, 1), "07", Some("检修工"), m),
        acc("chem3", day(2019, 8, 1), "19", Some("检修工"), m),
        acc("mach1", day(2019, 1, 5), "03", Some("车工"), m),
        acc("mach1", day(2019, 11, 5), "03", Some("车工"), m),
        // 2018: outside both years of the table.
        acc("chem1", day(2018, 3, 1), "03", Some("操作工"), m),
    ];
    (e, a)
}

#[test]
fn key_industry_table_by_hand() {
    let r = rules();
    let (e, a) = city();
    let t = key_industry_table(&r, &e, None, &a, 2020);
    let row = |id: &str| t.rows.iter().find(|x| x.id.as_deref() == Some(id)).unwrap_or_else(|| panic!("{id}"));

    let chem = row("hazardous_chemicals");
    assert_eq!((chem.enterprises, chem.insured_enterprises), (3, 2));
    assert_eq!((chem.workforce, chem.insured_workers, chem.missing_headcount), (600, 400, 0));
    assert!(close(chem.participation_rate, 400.0 / 600.0));
    assert_eq!((chem.accidents, chem.previous_accidents, chem.previous_insured_workers), (4, 5, 400));
    // 4 / 400 × 1000 = 10; 5 / 400 × 1000 = 12.5; (10 − 12.5) / 12.5 = −0.2: aim met exactly.
    assert!(close(chem.accident_rate, 10.0));
    assert!(close(chem.previous_accident_rate, 12.5));
    assert!(close(chem.rate_change, -0.2));
    assert_eq!(chem.aim_met, Some(true));

    let mach = row("machinery");
    assert_eq!((mach.enterprises, mach.insured_enterprises, mach.workforce, mach.insured_workers), (1, 1, 1000, 800));
    // 2 / 800 × 1000 = 2.5 both years: change 0, aim missed.
    assert!(close(mach.accident_rate, 2.5));
    assert!(close(mach.rate_change, 0.0));
    assert_eq!(mach.aim_met, Some(false));

    let mine = row("mining");
    assert_eq!((mine.enterprises, mine.insured_enterprises, mine.missing_headcount, mine.accidents), (1, 0, 1, 1));
    assert_eq!((mine.participation_rate, mine.accident_rate, mine.rate_change, mine.aim_met), (None, None, None, None));

    let metal = row("metallurgy");
    assert_eq!((metal.enterprises, metal.accidents, metal.accident_rate), (0, 0, None));

    // Total: chem1-3, mach1, mine; 1600 workforce, 1200 insured; 7 accidents this year
    // (4 + 2 + 1) against 7 last year (5 + 2).
    let tot = &t.total;
    assert_eq!(tot.id, None);
    assert_eq!((tot.enterprises, tot.insured_enterprises, tot.workforce, tot.insured_workers), (5, 3, 1600, 1200));
    assert!(close(tot.participation_rate, 0.75));
    assert_eq!((tot.accidents, tot.previous_accidents), (7, 7));
    assert!(close(tot.accident_rate, 7000.0 / 1200.0));
    assert!(close(tot.rate_change, 0.0));
    assert_eq!((t.accidents_outside, t.accidents_unmatched, t.previous_snapshot), (1, 1, false));
}

#[test]
fn previous_snapshot_is_the_previous_denominator() {
    let r = rules();
    let (e, a) = city();
    // Last year chem1 had 100 insured, chem3 200: 5 / 300 × 1000 = 16.67; now 10: −40%.
    let prev = vec![ent("chem1", "C2614", Some(200), Some(100)), ent("chem3", "C2619", Some(300), Some(200))];
    let t = key_industry_table(&r, &e, Some(&prev), &a, 2020);
    let chem = &t.rows[0];
    assert_eq!(chem.previous_insured_workers, 300);
    assert!(close(chem.previous_accident_rate, 5000.0 / 300.0));
    assert!(close(chem.rate_change, (10.0 - 5000.0 / 300.0) / (5000.0 / 300.0)));
    assert_eq!(chem.aim_met, Some(true));
    // Machinery is missing from the previous snapshot: no previous rate, no judgement.
    assert_eq!((t.rows[6].previous_accident_rate, t.rows[6].aim_met), (None, None));
}

/// 20 accidents: (A,03)×6, (B,01)×4, (A,07)×3, (unknown,03)×3, (C,09)×2, (B,03)×1, (D,09)×1.
fn coverage_fixture() -> Vec<AccidentRow> {
    let mut v = Vec::new();
    let d = day(2021, 1, 1);
    let mut add = |job: Option<&str>, ty: &str, n: usize| {
        for _ in 0..n {
            v.push(acc("e", d, ty, job, Severity::Minor));
        }
    };
    add(Some("A"), "03", 6);
    add(Some(" B "), "01", 4);
    add(Some("A"), "07", 3);
    add(None, "03", 2);
    add(Some("  "), "03", 1);
    add(Some("C"), "09", 2);
    add(Some("B"), "03", 1);
    add(Some("D"), "09", 1);
    v
}

#[test]
fn coverage_plan_by_hand() {
    let plan = coverage_plan(&coverage_fixture(), 0.8).unwrap_or_else(|e| panic!("{e}"));
    // 80% of 20 = 16: 6 + 4 + 3 = 13 < 16, + 3 (unknown, 03) = 16.
    let got: Vec<_> =
        plan.pairs.iter().map(|p| (p.job.as_deref(), p.accident_type.as_deref(), p.accidents, p.unknown_job)).collect();
    assert_eq!(
        got,
        [
            (Some("A"), Some("03"), 6, false),
            (Some("B"), Some("01"), 4, false),
            (Some("A"), Some("07"), 3, false),
            (None, Some("03"), 3, true)
        ]
    );
    let shares: Vec<f64> = plan.pairs.iter().map(|p| p.cumulative_share).collect();
    assert_eq!(shares, [0.3, 0.5, 0.65, 0.8]);
    assert_eq!(
        (plan.covered_accidents, plan.total_accidents, plan.distinct_pairs, plan.unknown_job_accidents),
        (16, 20, 7, 3)
    );
    // Top jobs leave the unknown out: A 9, B 5, C 2, D 1; A's types 03 (6) then 07 (3).
    let jobs: Vec<_> = plan.top_jobs.iter().map(|j| (j.job.as_str(), j.accidents)).collect();
    assert_eq!(jobs, [("A", 9), ("B", 5), ("C", 2), ("D", 1)]);
    assert_eq!(plan.top_jobs[0].top_types, [(Some("03".to_string()), 6), (Some("07".to_string()), 3)]);
    assert!((plan.top_jobs[0].share - 0.45).abs() < 1e-12);

    // Ties: at 50% (10) the plan is A/03 + B/01; at 95% (19) the two 2s are C/09 then
    // (unknown, 03) is 3, so: 6 4 3 3 2 = 18 < 19, + B/03 (1, before D/09 by job) = 19.
    let p95 = coverage_plan(&coverage_fixture(), 0.95).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<_> = p95.pairs.iter().map(|p| (p.job.clone(), p.accidents)).collect();
    assert_eq!(got.len(), 6);
    assert_eq!(got[4], (Some("C".to_string()), 2));
    assert_eq!(got[5], (Some("B".to_string()), 1));
    assert_eq!(coverage_plan(&coverage_fixture(), 0.5).map(|p| p.pairs.len()), Ok(2));
    assert_eq!(coverage_plan(&coverage_fixture(), 1.0).map(|p| p.pairs.len()), Ok(7));
    assert!(coverage_plan(&coverage_fixture(), 0.0).is_err());
    assert!(coverage_plan(&coverage_fixture(), f64::NAN).is_err());
    assert_eq!(coverage_plan(&[], 0.8).map(|p| p.pairs.len()), Ok(0));
}

#[test]
fn no_smaller_set_covers_the_share() {
    // Brute force over all 2^7 subsets of the fixture's pairs, at several shares.
    let rows = coverage_fixture();
    let all = coverage_plan(&rows, 1.0).unwrap_or_else(|e| panic!("{e}"));
    let counts: Vec<u64> = all.pairs.iter().map(|p| p.accidents).collect();
    for share in [0.1, 0.3, 0.5, 0.66, 0.8, 0.9, 0.95, 1.0] {
        let need = (share * 20.0_f64 - 1e-9).ceil() as u64;
        let best = (0u32..1 << counts.len())
            .filter(|m| counts.iter().enumerate().filter(|(i, _)| m >> i & 1 == 1).map(|(_, c)| c).sum::<u64>() >= need)
            .map(u32::count_ones)
            .min();
        let plan = coverage_plan(&rows, share).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Some(plan.pairs.len() as u32), best, "share {share}");
        assert!(plan.covered_share + 1e-12 >= share);
    }
}

#[test]
fn outputs_do_not_depend_on_input_order() {
    let mut rows = coverage_fixture();
    let a = coverage_plan(&rows, 0.8);
    rows.reverse();
    assert_eq!(a, coverage_plan(&rows, 0.8));
}

#[test]
fn focus_ordering_by_hand() {
    let r = rules();
    let (e, a) = city();
    let f = focus(&r, &e, &a, 2020, &FocusOptions::default());
    // Insured over all enterprises 150 + 0 + 250 + 800 + 50 = 1250; 8 accidents of 2020 at
    // known enterprises: 6.4 per 1,000.
    assert!(close(f.overall_rate, 6.4));
    assert_eq!(f.accidents, 9);
    let scores = |v: &[FocusItem]| v.iter().map(|i| (i.key.clone(), i.score)).collect::<Vec<_>>();
    // mine 3 × 2 × 1 = 6; chem1 2 × 1 × 2 (13.3 / 6.4 capped) = 4; shop 1 × 2 × 2 = 4 but
    // lighter; chem3 10 × 0.5 × 0.625 = 3.125; chem2 1 × 2 × 1 = 2 and ghost 2 (by key);
    // mach1 2 × 1 × 0.5 (2.5 / 6.4 floored) = 1.
    let want = [
        ("mine", 6.0),
        ("chem1", 4.0),
        ("shop", 4.0),
        ("chem3", 3.125),
        ("chem2", 2.0),
        ("ghost", 2.0),
        ("mach1", 1.0),
    ];
    let got = scores(&f.enterprises);
    assert_eq!(got.len(), want.len());
    for ((k, s), (wk, ws)) in got.iter().zip(want) {
        assert_eq!(k, wk);
        assert!((s - ws).abs() < 1e-9, "{k}: {s} != {ws}");
    }
    // C26: 12 weighted × 4/6 × (7.5 / 6.4) = 9.375; B06 6; F52 4; C25 2; C33 1.
    let got = scores(&f.industries);
    let want = [("C26", 9.375), ("B06", 6.0), ("F52", 4.0), ("C25", 2.0), ("C33", 1.0)];
    assert_eq!(got.len(), want.len());
    for ((k, s), (wk, ws)) in got.iter().zip(want) {
        assert_eq!(k, wk);
        assert!((s - ws).abs() < 1e-9, "{k}: {s} != {ws}");
    }
    assert_eq!((f.industries[0].name.as_str(), f.industries[2].name.as_str()), ("危险化学品", ""));
    let chem3 = &f.enterprises[3];
    assert_eq!(
        chem3.reason,
        "2020年事故1起（重伤及以上1起，其中死亡1起），严重程度加权10；上年3起，趋势系数0.50；每千名参保职工4.00起，全域平均6.40起，费率系数0.62；得分3.12"
    );
    // Jobs: 采煤工 6, 检修工 10 × 0.5 = 5, 操作工 2 and 车工 2 (weighted 2, by key), 营业员 2.
    let jobs: Vec<_> = f.jobs.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(jobs, ["采煤工", "检修工", "操作工", "车工", "营业员"]);
    assert_eq!(f.jobs[0].rate_factor, 1.0);

    // Serious topic: the death at chem3 (19) and the serious injury at the mine (11).
    let s = &f.serious;
    assert_eq!((s.accidents, s.serious_or_worse, s.deaths), (2, 2, 1));
    assert!((s.share - 2.0 / 9.0).abs() < 1e-12);
    assert!(close(s.rate, 1.6));
    assert_eq!(s.top_types, [(Some("11".to_string()), 1), (Some("19".to_string()), 1)]);
    assert_eq!(f.new_employment.accidents, 0);
}

#[test]
fn new_forms_of_employment_by_keyword() {
    let r = rules();
    let d = day(2021, 5, 1);
    let a = vec![
        acc("x", d, "02", Some("美团外卖骑手"), Severity::Serious),
        acc("x", d, "02", Some("Courier"), Severity::Minor),
        acc("y", d, "01", Some("快递员"), Severity::Minor),
        acc("y", d, "03", Some("车工"), Severity::Minor),
    ];
    let f = focus(&r, &[], &a, 2021, &FocusOptions::default());
    let t = &f.new_employment;
    assert_eq!((t.accidents, t.serious_or_worse, t.share, t.rate), (3, 1, 0.75, None));
    assert_eq!(t.by_keyword, [("courier".to_string(), 1), ("外卖".to_string(), 1), ("快递".to_string(), 1)]);
    assert_eq!(t.top_types[0], (Some("02".to_string()), 2));
}

/// Two full years with a summer peak, and three months of a third year.
fn seasonal() -> Vec<AccidentRow> {
    let mut v = Vec::new();
    // 2020: 1 a month, 4 in July and August. 2021: 1 a month, 6 in July, 2 in August.
    for (y, jul, aug) in [(2020, 4, 4), (2021, 6, 2)] {
        for m in 1..=12u32 {
            let n = match m {
                7 => jul,
                8 => aug,
                _ => 1,
            };
            for i in 0..n {
                let mut a = acc("e", day(y, m, 1 + i), if m == 7 { "09" } else { "03" }, Some("焊工"), Severity::Minor);
                a.fund_payout_fen = Some(100);
                a.body_part = Some("13".into());
                v.push(a);
            }
        }
    }
    v.push(acc("e", day(2022, 2, 1), "03", None, Severity::Death));
    v
}

#[test]
fn trends_and_seasonality_by_hand() {
    let rows = seasonal();
    let period = Period::new(YearMonth { year: 2020, month: 1 }, YearMonth { year: 2022, month: 3 })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Period::of(&rows).map(|p| p.last), Some(YearMonth { year: 2022, month: 2 }));
    let t = trends(&rows, period, 1);
    assert_eq!(t.months.len(), 27);
    assert_eq!((t.monthly[6], t.monthly[7], t.monthly[18], t.monthly[25]), (4, 4, 6, 1));
    // 2020: 10 + 8 = 18, 2021: 10 + 8 = 18, 2022: 1 (partial).
    let years: Vec<_> = t.years.iter().map(|y| (y.year, y.full, y.accidents, y.deaths, y.fund_payout_fen)).collect();
    assert_eq!(years, [(2020, true, 18, 0, 1800), (2021, true, 18, 0, 1800), (2022, false, 1, 1, 0)]);
    assert_eq!(t.years[1].change, Some(0.0));
    assert_eq!(t.years[2].change, None, "a part of 2022 is no fall against 2021");
    // Monthly means over 2020–2021: July 5, August 3, others 1; mean month 18 / 12 = 1.5.
    let s = t.seasonality.as_ref().unwrap_or_else(|| panic!("no seasonality"));
    assert_eq!(s.full_years, [2020, 2021]);
    assert!((s.index[6] - 5.0 / 1.5).abs() < 1e-12);
    assert!((s.index[7] - 2.0).abs() < 1e-12);
    assert!((s.index[0] - 1.0 / 1.5).abs() < 1e-12);
    assert!((s.index.iter().sum::<f64>() - 12.0).abs() < 1e-9);
    assert_eq!(s.peak_months, [7, 8]);

    // By accident type, top 1: 03 (2020: 14, 2021: 12, 2022: 1), the rest (09) in other.
    let ty = &t.by[0];
    assert_eq!(ty.dimension, Dimension::AccidentType);
    assert_eq!(ty.series.len(), 1);
    assert_eq!(
        (ty.series[0].key.as_deref(), ty.series[0].accidents, ty.series[0].yearly.clone()),
        (Some("03"), 27, vec![14, 12, 1])
    );
    assert!((ty.series[0].change_last_full_year.unwrap_or(0.0) - (12.0 - 14.0) / 14.0).abs() < 1e-12);
    let other = ty.other.as_ref().unwrap_or_else(|| panic!("no other"));
    assert_eq!((other.accidents, other.yearly.clone(), other.fund_payout_fen), (10, vec![4, 6, 0], 1000));
    assert!((other.change_last_full_year.unwrap_or(0.0) - 0.5).abs() < 1e-12);
    // Body part: 13 for all but the 2022 accident, whose unknown part ranks after it.
    let t3 = trends(&rows, period, 3);
    let parts: Vec<_> = t3.by[1].series.iter().map(|s| (s.key.clone(), s.accidents)).collect();
    assert_eq!(parts, [(Some("13".to_string()), 36), (None, 1)]);
    // A period without a full year has no seasonality.
    let short = Period::new(YearMonth { year: 2020, month: 3 }, YearMonth { year: 2021, month: 2 })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trends(&rows, short, 5).seasonality, None);
    assert!(Period::new(YearMonth { year: 2021, month: 1 }, YearMonth { year: 2020, month: 1 }).is_err());
}

#[test]
fn categories_are_named_per_dimension() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let labels = Labels::from_catalog(&crate::Catalog::load(&dir).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(labels.category(Dimension::AccidentType, Some("09")), "高处坠落");
    assert_eq!(labels.category(Dimension::BodyPart, Some("A1.13")), "腕及手");
    assert_eq!(labels.category(Dimension::InjuryNature, Some("A2.10")), "切断伤");
    assert_eq!(labels.category(Dimension::Job, Some("电工")), "电工");
    // Unknown values and codes no table has.
    assert_eq!(labels.category(Dimension::BodyPart, None), "不详");
    assert_eq!(labels.category(Dimension::Job, None), "岗位不详");
    assert_eq!(labels.category(Dimension::InjuryNature, Some("X9")), "X9");
}

#[test]
fn summary_suggestions_cite_the_figures() {
    let r = rules();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let catalog = crate::Catalog::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let labels = Labels::from_catalog(&catalog);
    let (e, a) = city();
    let table = key_industry_table(&r, &e, None, &a, 2020);
    let this: Vec<AccidentRow> = a.iter().filter(|x| x.date.year() == 2020).cloned().collect();
    let coverage = coverage_plan(&this, 0.8).unwrap_or_else(|e| panic!("{e}"));
    let period = Period::years(2019, 2020).unwrap_or_else(|e| panic!("{e}"));
    let tr = trends(&a, period, 10);
    let f = focus(&r, &e, &a, 2020, &FocusOptions::default());
    let s = summary(&SummaryInput { table: &table, coverage: &coverage, trends: &tr, focus: &f, labels: &labels });

    assert_eq!((s.headline.accidents, s.headline.serious_or_worse, s.headline.deaths), (16, 2, 1));
    assert_eq!((s.headline.key_industry_accidents, s.headline.aim_met), (7, Some(false)));
    let rules_fired: Vec<&str> = s.suggestions.iter().map(|x| x.rule).collect();
    assert_eq!(
        rules_fired,
        [
            "aim_missed",
            "participation",
            "participation",
            "accidents_rising",
            "training_coverage",
            "job_missing",
            "seasonal_peak",
            "serious_and_deaths",
            "focus_industries",
            "focus_enterprises",
            "focus_jobs",
        ]
    );
    let text = |rule: &str| s.suggestions.iter().find(|x| x.rule == rule).map(|x| x.text.clone()).unwrap_or_default();
    assert_eq!(
        text("aim_missed"),
        "机械制造行业2020年工伤事故发生率为每千名参保职工2.50起，上年2.50起，较上年持平，未达到下降20.0%的目标，建议列为下一年度重点治理行业，加大隐患排查和专家入企频次。"
    );
    assert!(
        text("participation")
            .starts_with("危险化学品行业工伤保险参保率66.7%（参保400人／从业600人，3家企业中2家参保）")
    );
    // 9 accidents in 2020 against 7 in 2019.
    assert!(text("accidents_rising").starts_with("2020年工伤事故9起，较上年上升28.6%"));
    assert!(
        text("serious_and_deaths").contains("主要类型为冒顶片帮（1起）、中毒和窒息（1起）"),
        "{}",
        text("serious_and_deaths")
    );
    // 2 of 9 accidents have no job.
    assert!(text("job_missing").starts_with("2起事故（占22.2%）未记录岗位"));
    assert!(text("focus_enterprises").starts_with(
        "建议将mine公司（1起，得分6.00）、chem1公司（2起，得分4.00）、shop公司（1起，得分4.00）列为2021年"
    ));
    assert!(
        text("focus_industries").starts_with("建议将化学原料和化学制品制造业（3起"),
        "{}",
        text("focus_industries")
    );
    let aim = &s.suggestions[0].figures;
    assert_eq!(aim[2], ("rate_change".to_string(), 0.0));
}

/// The demo city (seeds/demo): every function runs on it and its figures add up.
#[test]
fn demo_city_adds_up() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds/demo");
    let reader = |f: &str| {
        csv::ReaderBuilder::new().comment(Some(b'#')).from_path(root.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
    };
    let mut ents = Vec::new();
    let mut by_credit = std::collections::HashMap::new();
    for r in reader("enterprises.csv").records() {
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        by_credit.insert(r[1].to_string(), r[0].to_string());
        ents.push(EnterpriseRow {
            key: r[0].into(),
            name: r[2].into(),
            industry: r[3].into(),
            workforce: r[8].parse().ok(),
            insured_workers: r[9].parse().ok(),
        });
    }
    let mut accidents = Vec::new();
    for r in reader("accidents.csv").records() {
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        let severity = match &r[8] {
            "死亡" => Severity::Death,
            "伤残" => Severity::Disability,
            "重伤" => Severity::Serious,
            _ => Severity::Minor,
        };
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        accidents.push(AccidentRow {
            enterprise: by_credit.get(&r[1]).cloned().unwrap_or_default(),
            date: NaiveDate::parse_from_str(&r[3], "%Y-%m-%d").unwrap_or_else(|e| panic!("{e}")),
            accident_type: opt(&r[4]),
            body_part: opt(&r[5]),
            injury_nature: opt(&r[6]),
            job: opt(&r[7]),
            severity,
            fund_payout_fen: r[11].parse::<f64>().ok().map(|y| (y * 100.0).round() as i64),
        });
    }
    // The demo city as committed: 30 enterprises at first, more as it spans more
    // industries; every accident belongs to one of them.
    assert!(ents.len() >= 30 && accidents.len() >= 294, "{} enterprises, {} accidents", ents.len(), accidents.len());
    assert!(accidents.iter().all(|a| !a.enterprise.is_empty()));
    let r = rules();
    let t = key_industry_table(&r, &ents, None, &accidents, 2025);
    let in_year = accidents.iter().filter(|a| a.date.year() == 2025).count() as u64;
    assert_eq!(t.total.accidents + t.accidents_outside + t.accidents_unmatched, in_year);
    assert!(t.total.accidents > 0 && t.total.accident_rate.is_some());
    assert!(t.rows.iter().map(|x| x.enterprises).sum::<u64>() >= t.total.enterprises);

    let plan = coverage_plan(&accidents, 0.8).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.covered_share >= 0.8 && plan.pairs.len() < plan.distinct_pairs);
    // One pair fewer falls short: the minimality argument on real-looking data.
    let short: u64 = plan.pairs.iter().rev().skip(1).map(|p| p.accidents).sum();
    assert!((short as f64) < 0.8 * plan.total_accidents as f64);
    assert_eq!(plan.top_jobs.len(), 10);

    let tr = trends(&accidents, Period::years(2024, 2025).unwrap_or_else(|e| panic!("{e}")), 10);
    let two_years = accidents.iter().filter(|a| (2024..=2025).contains(&a.date.year())).count() as u64;
    assert!(two_years > 0);
    assert_eq!(tr.monthly.iter().sum::<u64>(), two_years);
    assert!(tr.by.iter().all(|d| d.series.iter().chain(&d.other).map(|s| s.accidents).sum::<u64>() == two_years));
    let f = focus(&r, &ents, &accidents, 2025, &FocusOptions::default());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let labels = Labels::from_catalog(&crate::Catalog::load(&dir).unwrap_or_else(|e| panic!("{e}")));
    let s = summary(&SummaryInput { table: &t, coverage: &plan, trends: &tr, focus: &f, labels: &labels });
    assert!(s.suggestions.iter().any(|x| x.rule == "training_coverage"));
    for x in &s.suggestions {
        eprintln!("{}: {}", x.rule, x.text);
    }
}
