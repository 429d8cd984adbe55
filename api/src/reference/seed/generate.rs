//! Generates `seeds/demo/accidents.csv`: three years of accident history per demo
//! enterprise, shaped by real records. For each accident a real record of the same
//! GB/T 4754 division (OSHA for most industries, MSHA for mining; falling back to the
//! section, then to all records) is drawn, and its mapped accident type, body part,
//! injury nature and month of the year are kept together, so the joint distribution
//! and the seasonality are the real ones. Counts are Poisson around each
//! enterprise's `annual_accident_rate`; severity, lost days and fund payout follow the
//! Chinese grading (GB 6441-86, work-injury disability grades) with rates set per
//! accident type. Deterministic for a given seed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use zhicha_engine::{Catalog, Severity};

use super::demo_files::{DemoFiles, Enterprise};
use crate::reference::import::record::Record;
use crate::reference::import::{msha, osha, rows, scan};

/// The last month of the generated history (inclusive) and its length.
const END: (i32, u32) = (2026, 10);
const MONTHS: i32 = 36;
/// Monthly wage base for payouts, yuan (an order of magnitude for Ningxia, not a statute).
const MONTHLY_WAGE: i64 = 6_500;
/// One-off work-death subsidy: 20× national per-capita disposable income (2024: 41,314 yuan).
const DEATH_SUBSIDY: i64 = 826_280;
/// Disability subsidy in months of wage, grades 1–10 (工伤保险条例 art. 35–37).
const DISABILITY_MONTHS: [i64; 10] = [27, 25, 23, 21, 18, 16, 13, 11, 9, 7];
/// Relative frequency of disability grades 1–10 (milder grades are far more common).
const GRADE_WEIGHTS: [u32; 10] = [1, 1, 2, 3, 5, 8, 14, 20, 22, 24];
/// Accident types whose injuries are more often grave.
const GRAVE_TYPES: [&str; 9] = ["02", "04", "05", "09", "10", "11", "15", "17", "19"];

struct Sample {
    accident_type: String,
    body_part: String,
    nature: String,
    month: u32,
    severe: bool,
    death: bool,
}

fn samples(records: Vec<Record>, division_of: impl Fn(&Record) -> Option<String>) -> Vec<(String, Sample)> {
    records
        .into_iter()
        .filter_map(|r| {
            let division = division_of(&r)?;
            Some((
                division,
                Sample {
                    accident_type: r.accident_type.gb86?,
                    body_part: r.body_part.gb86?,
                    nature: r.injury_nature.gb86?,
                    month: r.occurred_on.month(),
                    severe: r.severity.is_serious_or_worse() || r.amputation == Some(true),
                    death: r.severity == Severity::Death,
                },
            ))
        })
        .collect()
}

fn read(path: &Path, catalog: &Catalog, mining: bool) -> anyhow::Result<Vec<Record>> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let text = scan::check(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let parsed = if mining {
        rows::read(text, msha::REQUIRED, msha::OPTIONAL, |r| msha::convert(r, catalog), |_| {})
    } else {
        rows::read(text, osha::REQUIRED, osha::OPTIONAL, |r| osha::convert(r, catalog), |_| {})
    }
    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(parsed.records)
}

fn poisson(rng: &mut fastrand::Rng, lambda: f64) -> u32 {
    let limit = (-lambda).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.f64();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

fn weighted(rng: &mut fastrand::Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.u32(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next =
        if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

pub fn generate(
    catalog: &Catalog,
    demo: &DemoFiles,
    osha_file: &Path,
    msha_file: &Path,
    seed: u64,
) -> anyhow::Result<String> {
    let mut pool: Vec<(String, Sample)> = samples(read(osha_file, catalog, false)?, |r| {
        r.enterprise.industry_code.as_ref().and_then(|c| c.get(1..3)).map(str::to_string)
    });
    pool.extend(samples(read(msha_file, catalog, true)?, |r| {
        r.enterprise.industry_code.as_ref().and_then(|c| c.get(1..3)).map(str::to_string)
    }));
    let mut by_division: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_section: HashMap<char, Vec<usize>> = HashMap::new();
    for (i, (d, _)) in pool.iter().enumerate() {
        by_division.entry(d.clone()).or_default().push(i);
        if let Some(s) = d.parse().ok().and_then(zhicha_engine::industry_code::section_of) {
            by_section.entry(s).or_default().push(i);
        }
    }
    let all: Vec<usize> = (0..pool.len()).collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = String::from(
        "记录编号,统一社会信用代码,单位名称,事故日期,事故类别,受伤部位,伤害性质,岗位,伤害程度,伤残等级,损失工作日,基金支付金额,事故经过\n",
    );
    for e in &demo.enterprises {
        let candidates = pick_pool(e, &by_division, &by_section, &all);
        let jobs = demo.city.jobs.get(e.division()).cloned().unwrap_or_else(|| vec!["操作工".to_string()]);
        // Every demo enterprise has a history to model: at least one accident.
        let n = poisson(&mut rng, e.annual_accident_rate * f64::from(MONTHS) / 12.0).max(1);
        let mut rows = Vec::new();
        for _ in 0..n {
            let s = &pool[candidates[rng.usize(0..candidates.len())]].1;
            // The record's month of the year, in one of the three years of the window.
            let back = rng.i32(0..MONTHS / 12);
            let year = END.0 - back - i32::from(s.month > END.1);
            let date = NaiveDate::from_ymd_opt(year, s.month, rng.u32(1..=days_in_month(year, s.month)))
                .ok_or_else(|| anyhow::anyhow!("bad generated date"))?;
            rows.push((date, s));
        }
        rows.sort_by_key(|(d, _)| *d);
        for (i, (date, s)) in rows.into_iter().enumerate() {
            let job = &jobs[rng.usize(0..jobs.len())];
            let grave = GRAVE_TYPES.contains(&s.accident_type.as_str());
            let u = rng.f64();
            let (death, disability, serious) = match (grave, s.severe) {
                (true, true) => (0.05, 0.30, 0.25),
                (true, false) => (0.02, 0.10, 0.12),
                (false, true) => (0.005, 0.30, 0.25),
                (false, false) => (0.003, 0.05, 0.08),
            };
            let severity = if s.death || u < death {
                Severity::Death
            } else if u < death + disability {
                Severity::Disability
            } else if u < death + disability + serious {
                Severity::Serious
            } else {
                Severity::Minor
            };
            let (grade, lost_days, yuan) = match severity {
                Severity::Death => (None, None, DEATH_SUBSIDY + 6 * MONTHLY_WAGE),
                Severity::Disability => {
                    let g = weighted(&mut rng, &GRADE_WEIGHTS);
                    let days = rng.i64(90..=365);
                    (Some(g + 1), Some(days), DISABILITY_MONTHS[g] * MONTHLY_WAGE + rng.i64(20_000..=120_000))
                }
                Severity::Serious => {
                    let days = rng.i64(105..=300);
                    (None, Some(days), days * MONTHLY_WAGE / 30 + rng.i64(15_000..=80_000))
                }
                Severity::Minor => {
                    let days = 3 + (rng.f64().powi(2) * 100.0) as i64;
                    (None, Some(days), days * MONTHLY_WAGE / 30 + rng.i64(800..=12_000))
                }
            };
            let severity_zh = match severity {
                Severity::Minor => "轻伤",
                Severity::Serious => "重伤",
                Severity::Disability => "伤残",
                Severity::Death => "死亡",
            };
            let name =
                |t: &zhicha_engine::codes::CodeTable, c: &str| t.get(c).map_or(c.to_string(), |x| x.name_zh.clone());
            let story = format!(
                "{job}作业中发生{}事故，致{}{}。",
                name(&catalog.accident_type_86, &s.accident_type),
                name(&catalog.body_part, &s.body_part),
                name(&catalog.injury_nature, &s.nature)
            );
            let _ = writeln!(
                out,
                "demo-{}-{:03},{},{},{},{},{},{},{},{},{},{},{}.00,{}",
                e.key,
                i + 1,
                e.credit_code,
                e.name,
                date.format("%Y-%m-%d"),
                s.accident_type,
                s.body_part,
                s.nature,
                job,
                severity_zh,
                grade.map_or(String::new(), |g| g.to_string()),
                lost_days.map_or(String::new(), |d| d.to_string()),
                yuan,
                story.replace(',', "，")
            );
        }
    }
    Ok(out)
}

fn pick_pool<'a>(
    e: &Enterprise,
    by_division: &'a HashMap<String, Vec<usize>>,
    by_section: &'a HashMap<char, Vec<usize>>,
    all: &'a [usize],
) -> &'a [usize] {
    const ENOUGH: usize = 40;
    if let Some(v) = by_division.get(e.division()).filter(|v| v.len() >= ENOUGH) {
        return v;
    }
    let section = e.industry_code.chars().next().unwrap_or('C');
    by_section.get(&section).filter(|v| v.len() >= ENOUGH).map_or(all, Vec::as_slice)
}
