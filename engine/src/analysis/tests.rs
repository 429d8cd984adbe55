//! Hand-computed fixtures: every figure asserted below is worked out in the comments.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

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
