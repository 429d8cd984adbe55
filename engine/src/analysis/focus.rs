//! What to focus on next year (下一年度工伤预防重点): industries, enterprises and jobs
//! ranked by a score anyone can recompute, each with its reason in numbers; and the
//! special topics of the big-data report: serious injuries and deaths, and new forms of
//! employment (delivery riders, couriers, ride-hailing drivers).
//!
//! score = severity-weighted accidents of the year × trend factor × rate factor, where
//! - severity weights are [`weight`]: minor 1, serious 3, disability 5, death 10 (a death
//!   counts like ten minor injuries; the order follows GB 6441 and the disability scale);
//! - trend factor = (accidents this year + 1) / (accidents last year + 1), kept within
//!   0.5–2, so rising groups move up without one accident doubling a quiet one;
//! - rate factor = accidents per 1,000 insured workers / the same over all enterprises
//!   given, kept within 0.5–2; 1 for jobs and for groups without an insured count.
//!
//! New forms of employment are found by keywords in the job text, listed in
//! `rules/analysis/new_employment.toml`.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use serde::Serialize;

use super::coverage::{SortOpt, ratio};
use super::rules::AnalysisRules;
use super::{AccidentRow, EnterpriseRow, by_count_desc, per_thousand};
use crate::industry_code::IndustryCode;
use crate::severity::Severity;

pub fn weight(s: Severity) -> f64 {
    match s {
        Severity::Minor => 1.0,
        Severity::Serious => 3.0,
        Severity::Disability => 5.0,
        Severity::Death => 10.0,
    }
}

const FACTOR_MIN: f64 = 0.5;
const FACTOR_MAX: f64 = 2.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FocusOptions {
    /// Items kept per list.
    pub top: usize,
}

impl Default for FocusOptions {
    fn default() -> Self {
        Self { top: 10 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FocusKind {
    Industry,
    Enterprise,
    Job,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FocusItem {
    pub kind: FocusKind,
    /// GB/T 4754 division (`C26`), enterprise key, or job.
    pub key: String,
    /// Enterprise name, or the key industry a division belongs to; empty otherwise.
    pub name: String,
    pub accidents: u64,
    pub previous_accidents: u64,
    pub serious_or_worse: u64,
    pub deaths: u64,
    pub weighted: f64,
    pub insured_workers: Option<u64>,
    /// Accidents per 1,000 insured workers.
    pub rate: Option<f64>,
    pub trend_factor: f64,
    pub rate_factor: f64,
    pub score: f64,
    /// The numbers behind the score, in Chinese.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    pub accidents: u64,
    /// Of all accidents of the year.
    pub share: f64,
    pub serious_or_worse: u64,
    pub deaths: u64,
    /// Per 1,000 insured workers of all enterprises given.
    pub rate: Option<f64>,
    pub top_types: Vec<(Option<String>, u64)>,
    pub top_jobs: Vec<(Option<String>, u64)>,
    /// New forms of employment only: accidents per matching keyword.
    pub by_keyword: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Focus {
    pub year: i32,
    pub accidents: u64,
    /// Accidents per 1,000 insured workers over all enterprises given.
    pub overall_rate: Option<f64>,
    pub industries: Vec<FocusItem>,
    pub enterprises: Vec<FocusItem>,
    pub jobs: Vec<FocusItem>,
    pub serious: Topic,
    pub new_employment: Topic,
}

/// Focus lists for the year after `year`, from the accidents of `year` and `year − 1`.
pub fn focus(
    rules: &AnalysisRules,
    enterprises: &[EnterpriseRow],
    accidents: &[AccidentRow],
    year: i32,
    opts: &FocusOptions,
) -> Focus {
    let by_key: HashMap<&str, &EnterpriseRow> = enterprises.iter().map(|e| (e.key.as_str(), e)).collect();
    let division =
        |e: &EnterpriseRow| IndustryCode::parse(&e.industry).ok().map(|c| format!("{}{}", c.section(), c.division()));
    let insured_total: u64 = enterprises.iter().filter_map(|e| e.insured_workers).sum();
    let this: Vec<&AccidentRow> = accidents.iter().filter(|a| a.date.year() == year).collect();
    let matched = this.iter().filter(|a| by_key.contains_key(a.enterprise.as_str())).count() as u64;
    let overall_rate = per_thousand(matched, insured_total);

    let mut groups: HashMap<(FocusKind, String), Group> = HashMap::new();
    for e in enterprises {
        let g = groups.entry((FocusKind::Enterprise, e.key.clone())).or_default();
        g.name.clone_from(&e.name);
        g.insured = e.insured_workers;
        if let Some(d) = division(e) {
            let g = groups.entry((FocusKind::Industry, d)).or_default();
            g.name = rules.industries_of(&e.industry).iter().map(|k| k.name.as_str()).collect::<Vec<_>>().join("、");
            if let Some(n) = e.insured_workers {
                *g.insured.get_or_insert(0) += n;
            }
        }
    }
    for a in accidents {
        let y = a.date.year();
        if y != year && y != year - 1 {
            continue;
        }
        let mut keys = vec![(FocusKind::Enterprise, a.enterprise.clone())];
        if let Some(d) = by_key.get(a.enterprise.as_str()).and_then(|e| division(e)) {
            keys.push((FocusKind::Industry, d));
        }
        if let Some(j) = a.job_key() {
            keys.push((FocusKind::Job, j));
        }
        for k in keys {
            groups.entry(k).or_default().count(a, y == year);
        }
    }

    let mut lists: HashMap<FocusKind, Vec<FocusItem>> = HashMap::new();
    for ((kind, key), g) in groups {
        if g.accidents == 0 {
            continue;
        }
        let item = g.item(kind, key, year, overall_rate);
        lists.entry(kind).or_default().push(item);
    }
    let mut take = |kind| {
        let mut v = lists.remove(&kind).unwrap_or_default();
        v.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then(b.weighted.total_cmp(&a.weighted)).then_with(|| a.key.cmp(&b.key))
        });
        v.truncate(opts.top);
        v
    };
    let (industries, enterprises_list, jobs) =
        (take(FocusKind::Industry), take(FocusKind::Enterprise), take(FocusKind::Job));

    let serious: Vec<&AccidentRow> = this.iter().copied().filter(|a| a.severity.is_serious_or_worse()).collect();
    let mut keyword_counts: BTreeMap<String, u64> = BTreeMap::new();
    let new: Vec<&AccidentRow> = this
        .iter()
        .copied()
        .filter(|a| {
            let kw = a.job.as_deref().and_then(|j| rules.new_employment_keyword(j));
            if let Some(k) = kw {
                *keyword_counts.entry(k.to_string()).or_default() += 1;
            }
            kw.is_some()
        })
        .collect();
    let total = this.len() as u64;
    let mut new_topic = topic(&new, total, insured_total, opts.top);
    let mut kw: Vec<(String, u64)> = keyword_counts.into_iter().collect();
    by_count_desc(&mut kw);
    new_topic.by_keyword = kw;

    Focus {
        year,
        accidents: total,
        overall_rate,
        industries,
        enterprises: enterprises_list,
        jobs,
        serious: topic(&serious, total, insured_total, opts.top),
        new_employment: new_topic,
    }
}

fn topic(rows: &[&AccidentRow], total: u64, insured: u64, top: usize) -> Topic {
    let count = |f: &dyn Fn(&AccidentRow) -> Option<String>| {
        let mut m: HashMap<Option<String>, u64> = HashMap::new();
        for a in rows {
            *m.entry(f(a)).or_default() += 1;
        }
        let mut v: Vec<(SortOpt, u64)> = m.into_iter().map(|(k, c)| (SortOpt(k), c)).collect();
        by_count_desc(&mut v);
        v.into_iter().take(top).map(|(k, c)| (k.0, c)).collect::<Vec<_>>()
    };
    let n = rows.len() as u64;
    Topic {
        accidents: n,
        share: ratio(n, total),
        serious_or_worse: rows.iter().filter(|a| a.severity.is_serious_or_worse()).count() as u64,
        deaths: rows.iter().filter(|a| a.severity == Severity::Death).count() as u64,
        rate: per_thousand(n, insured),
        top_types: count(&|a| a.accident_type.clone()),
        top_jobs: count(&|a| a.job_key()),
        by_keyword: Vec::new(),
    }
}

#[derive(Default)]
struct Group {
    name: String,
    insured: Option<u64>,
    accidents: u64,
    previous: u64,
    serious: u64,
    deaths: u64,
    weighted: f64,
}

impl Group {
    fn count(&mut self, a: &AccidentRow, this_year: bool) {
        if !this_year {
            self.previous += 1;
            return;
        }
        self.accidents += 1;
        self.serious += u64::from(a.severity.is_serious_or_worse());
        self.deaths += u64::from(a.severity == Severity::Death);
        self.weighted += weight(a.severity);
    }

    fn item(self, kind: FocusKind, key: String, year: i32, overall: Option<f64>) -> FocusItem {
        let trend = ((self.accidents as f64 + 1.0) / (self.previous as f64 + 1.0)).clamp(FACTOR_MIN, FACTOR_MAX);
        let insured = if kind == FocusKind::Job { None } else { self.insured };
        let rate = insured.and_then(|n| per_thousand(self.accidents, n));
        let rate_factor = match (rate, overall) {
            (Some(r), Some(o)) if o > 0.0 => (r / o).clamp(FACTOR_MIN, FACTOR_MAX),
            _ => 1.0,
        };
        let score = self.weighted * trend * rate_factor;
        let mut reason = format!(
            "{year}年事故{}起（重伤及以上{}起，其中死亡{}起），严重程度加权{}；上年{}起，趋势系数{:.2}",
            self.accidents,
            self.serious,
            self.deaths,
            fmt_num(self.weighted),
            self.previous,
            trend
        );
        match (rate, overall) {
            (Some(r), Some(o)) => {
                reason.push_str(&format!("；每千名参保职工{r:.2}起，全域平均{o:.2}起，费率系数{rate_factor:.2}"))
            }
            _ => reason.push_str("；无参保人数，费率系数按1计"),
        }
        reason.push_str(&format!("；得分{score:.2}"));
        FocusItem {
            kind,
            key,
            name: self.name,
            accidents: self.accidents,
            previous_accidents: self.previous,
            serious_or_worse: self.serious,
            deaths: self.deaths,
            weighted: self.weighted,
            insured_workers: insured,
            rate,
            trend_factor: trend,
            rate_factor,
            score,
            reason,
        }
    }
}

/// Whole numbers without decimals, others with two.
pub(crate) fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 { format!("{x:.0}") } else { format!("{x:.2}") }
}
