//! The key-industry table of the seed (重点行业企业基本情况表): per key industry the
//! enterprises, insured enterprises, workforce, insured workers, participation rate,
//! accidents and accident rate of the year, and the change against the previous year
//! measured against the programme's aim (−20%).
//!
//! The accident rate is accidents per 1,000 insured workers: the records are work-injury
//! claims, which only insured workers can raise, so the insured count is the population
//! at risk of appearing in them. The previous year's rate divides by the previous
//! year's snapshot when the caller has one, otherwise by this year's (then the change in
//! rate equals the change in accident count, and the table says so).

use std::collections::{BTreeSet, HashMap};

use chrono::Datelike;
use serde::Serialize;

use super::rules::AnalysisRules;
use super::{AccidentRow, EnterpriseRow, change, per_thousand};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyIndustryRow {
    /// The key industry's id; `None` on the total row.
    pub id: Option<String>,
    pub name: String,
    pub name_en: String,
    pub enterprises: u64,
    /// Enterprises with at least one insured worker.
    pub insured_enterprises: u64,
    pub workforce: u64,
    pub insured_workers: u64,
    /// Enterprises whose workforce or insured count is unknown (counted as 0 above).
    pub missing_headcount: u64,
    /// Insured workers / workforce.
    pub participation_rate: Option<f64>,
    pub accidents: u64,
    /// Accidents per 1,000 insured workers.
    pub accident_rate: Option<f64>,
    pub previous_accidents: u64,
    pub previous_insured_workers: u64,
    pub previous_accident_rate: Option<f64>,
    /// (rate − previous rate) / previous rate.
    pub rate_change: Option<f64>,
    /// `rate_change` at or below the aim; `None` when there is no change to judge.
    pub aim_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyIndustryTable {
    pub year: i32,
    pub rules_version: String,
    pub aim_rate_change: f64,
    /// Whether the previous rate divides by a previous-year snapshot (else this year's).
    pub previous_snapshot: bool,
    pub rows: Vec<KeyIndustryRow>,
    /// Every enterprise in at least one key industry, each counted once.
    pub total: KeyIndustryRow,
    /// Accidents of the year at enterprises in no key industry.
    pub accidents_outside: u64,
    /// Accidents of the year whose enterprise is not among the rows given.
    pub accidents_unmatched: u64,
}

/// Builds the table for `year`. `previous` is the enterprise snapshot of `year − 1`, when
/// kept; accidents belong to the industry of their enterprise in `enterprises` (or in
/// `previous` when it is gone since).
pub fn key_industry_table(
    rules: &AnalysisRules,
    enterprises: &[EnterpriseRow],
    previous: Option<&[EnterpriseRow]>,
    accidents: &[AccidentRow],
    year: i32,
) -> KeyIndustryTable {
    let n = rules.key_industries.len();
    // Membership per enterprise key: indices into the key industries.
    let member = |rows: &[EnterpriseRow]| -> HashMap<String, Vec<usize>> {
        rows.iter()
            .map(|e| {
                let idx = rules
                    .industries_of(&e.industry)
                    .iter()
                    .filter_map(|k| rules.key_industries.iter().position(|x| x.id == k.id))
                    .collect();
                (e.key.clone(), idx)
            })
            .collect()
    };
    let now = member(enterprises);
    let before = previous.map(member).unwrap_or_default();

    let mut rows: Vec<Acc> = vec![Acc::default(); n];
    let mut total = Acc::default();
    for e in enterprises {
        let idx = now.get(&e.key).map(Vec::as_slice).unwrap_or_default();
        for &i in idx {
            rows[i].add_enterprise(e);
        }
        if !idx.is_empty() {
            total.add_enterprise(e);
        }
    }
    let prev_rows = previous.unwrap_or(enterprises);
    let prev_member = if previous.is_some() { &before } else { &now };
    let mut total_prev_keys = BTreeSet::new();
    for e in prev_rows {
        let idx = prev_member.get(&e.key).map(Vec::as_slice).unwrap_or_default();
        let insured = e.insured_workers.unwrap_or(0);
        for &i in idx {
            rows[i].previous_insured += insured;
        }
        if !idx.is_empty() && total_prev_keys.insert(e.key.as_str()) {
            total.previous_insured += insured;
        }
    }

    let (mut outside, mut unmatched) = (0, 0);
    for a in accidents {
        let y = a.date.year();
        if y != year && y != year - 1 {
            continue;
        }
        let Some(idx) = now.get(&a.enterprise).or_else(|| before.get(&a.enterprise)) else {
            unmatched += u64::from(y == year);
            continue;
        };
        if idx.is_empty() {
            outside += u64::from(y == year);
            continue;
        }
        for &i in idx {
            rows[i].count(y == year);
        }
        total.count(y == year);
    }

    let aim = rules.aim_rate_change;
    let rows = rules
        .key_industries
        .iter()
        .zip(rows)
        .map(|(k, acc)| acc.finish(Some(k.id.clone()), k.name.clone(), k.name_en.clone(), aim))
        .collect();
    KeyIndustryTable {
        year,
        rules_version: rules.version.clone(),
        aim_rate_change: aim,
        previous_snapshot: previous.is_some(),
        rows,
        total: total.finish(None, "合计".into(), "Total".into(), aim),
        accidents_outside: outside,
        accidents_unmatched: unmatched,
    }
}

#[derive(Debug, Clone, Default)]
struct Acc {
    enterprises: u64,
    insured_enterprises: u64,
    workforce: u64,
    insured: u64,
    missing: u64,
    accidents: u64,
    previous_accidents: u64,
    previous_insured: u64,
}

impl Acc {
    fn add_enterprise(&mut self, e: &EnterpriseRow) {
        self.enterprises += 1;
        let insured = e.insured_workers.unwrap_or(0);
        self.insured_enterprises += u64::from(insured > 0);
        self.workforce += e.workforce.unwrap_or(0);
        self.insured += insured;
        self.missing += u64::from(e.workforce.is_none() || e.insured_workers.is_none());
    }

    fn count(&mut self, this_year: bool) {
        if this_year {
            self.accidents += 1;
        } else {
            self.previous_accidents += 1;
        }
    }

    fn finish(self, id: Option<String>, name: String, name_en: String, aim: f64) -> KeyIndustryRow {
        let rate = per_thousand(self.accidents, self.insured);
        let previous_rate = per_thousand(self.previous_accidents, self.previous_insured);
        let rate_change = match (previous_rate, rate) {
            (Some(p), Some(r)) => change(p, r),
            _ => None,
        };
        KeyIndustryRow {
            id,
            name,
            name_en,
            enterprises: self.enterprises,
            insured_enterprises: self.insured_enterprises,
            workforce: self.workforce,
            insured_workers: self.insured,
            missing_headcount: self.missing,
            participation_rate: (self.workforce > 0).then(|| self.insured as f64 / self.workforce as f64),
            accidents: self.accidents,
            accident_rate: rate,
            previous_accidents: self.previous_accidents,
            previous_insured_workers: self.previous_insured,
            previous_accident_rate: previous_rate,
            rate_change,
            aim_met: rate_change.map(|c| c <= aim + 1e-12),
        }
    }
}
