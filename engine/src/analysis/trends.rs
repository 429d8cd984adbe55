//! Trends of the accident data: monthly and yearly series overall and by accident type,
//! body part, injury nature and job, with fund payout; the change against the previous
//! year; and seasonality as a monthly index over the full calendar years of the period.

use std::collections::HashMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

use super::coverage::SortOpt;
use super::{AccidentRow, AnalysisError, by_count_desc, change};
use crate::severity::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl YearMonth {
    pub fn of(d: NaiveDate) -> Self {
        Self { year: d.year(), month: d.month() }
    }

    fn ordinal(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The months a report covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub first: YearMonth,
    pub last: YearMonth,
}

impl Period {
    pub fn new(first: YearMonth, last: YearMonth) -> Result<Self, AnalysisError> {
        if last < first || !(1..=12).contains(&first.month) || !(1..=12).contains(&last.month) {
            return Err(AnalysisError::Period(first.to_string(), last.to_string()));
        }
        Ok(Self { first, last })
    }

    /// Whole calendar years `from..=to`.
    pub fn years(from: i32, to: i32) -> Result<Self, AnalysisError> {
        Self::new(YearMonth { year: from, month: 1 }, YearMonth { year: to, month: 12 })
    }

    /// From the first to the last accident's month; `None` without accidents.
    pub fn of(accidents: &[AccidentRow]) -> Option<Self> {
        let first = accidents.iter().map(|a| YearMonth::of(a.date)).min()?;
        let last = accidents.iter().map(|a| YearMonth::of(a.date)).max()?;
        Some(Self { first, last })
    }

    pub fn months(&self) -> Vec<YearMonth> {
        (self.first.ordinal()..=self.last.ordinal())
            .map(|o| YearMonth { year: o.div_euclid(12) as i32, month: o.rem_euclid(12) as u32 + 1 })
            .collect()
    }

    /// Calendar years with all twelve months inside the period.
    pub fn full_years(&self) -> Vec<i32> {
        (self.first.year..=self.last.year)
            .filter(|&y| self.first <= YearMonth { year: y, month: 1 } && YearMonth { year: y, month: 12 } <= self.last)
            .collect()
    }

    fn index(&self, ym: YearMonth) -> Option<usize> {
        (self.first <= ym && ym <= self.last).then(|| (ym.ordinal() - self.first.ordinal()) as usize)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    AccidentType,
    BodyPart,
    InjuryNature,
    Job,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [Self::AccidentType, Self::BodyPart, Self::InjuryNature, Self::Job];

    pub fn key(self, a: &AccidentRow) -> Option<String> {
        let raw = match self {
            Self::AccidentType => a.accident_type.as_deref(),
            Self::BodyPart => a.body_part.as_deref(),
            Self::InjuryNature => a.injury_nature.as_deref(),
            Self::Job => return a.job_key(),
        };
        raw.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
    }
}

/// One category's counts over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// `None`: unknown; on the `other` series, every category beyond the top ones.
    pub key: Option<String>,
    pub accidents: u64,
    pub fund_payout_fen: i64,
    /// One count per month of [`Trends::months`].
    pub monthly: Vec<u64>,
    /// One count per year of [`Trends::years`].
    pub yearly: Vec<u64>,
    /// Last full year against the full year before it.
    pub change_last_full_year: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionTrend {
    pub dimension: Dimension,
    /// The categories with most accidents, most first (ties by key, unknown last).
    pub series: Vec<Series>,
    /// Everything beyond them, summed; `None` when nothing is left over.
    pub other: Option<Series>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearRow {
    pub year: i32,
    /// All twelve months are inside the period.
    pub full: bool,
    pub accidents: u64,
    pub serious_or_worse: u64,
    pub deaths: u64,
    pub fund_payout_fen: i64,
    /// Against the year before; only when both years are full.
    pub change: Option<f64>,
    pub fund_change: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Seasonality {
    pub full_years: Vec<i32>,
    /// Index of January … December: the month's mean count over the full years divided
    /// by the mean of all twelve monthly means (1.0 = an average month).
    pub index: Vec<f64>,
    /// Up to three months with an index above 1, highest first.
    pub peak_months: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trends {
    pub period: Period,
    pub months: Vec<YearMonth>,
    pub monthly: Vec<u64>,
    pub monthly_fund_payout_fen: Vec<i64>,
    pub years: Vec<YearRow>,
    /// `None` without a full calendar year or without accidents in the full years.
    pub seasonality: Option<Seasonality>,
    pub by: Vec<DimensionTrend>,
}

/// Trends of the accidents inside `period` (others are ignored), keeping the `top`
/// categories of each dimension.
pub fn trends(accidents: &[AccidentRow], period: Period, top: usize) -> Trends {
    let months = period.months();
    let years: Vec<i32> = (period.first.year..=period.last.year).collect();
    let full = period.full_years();
    let inside: Vec<(usize, &AccidentRow)> =
        accidents.iter().filter_map(|a| Some((period.index(YearMonth::of(a.date))?, a))).collect();

    let mut monthly = vec![0u64; months.len()];
    let mut monthly_fund = vec![0i64; months.len()];
    let mut rows: Vec<YearRow> = years
        .iter()
        .map(|&y| YearRow {
            year: y,
            full: full.contains(&y),
            accidents: 0,
            serious_or_worse: 0,
            deaths: 0,
            fund_payout_fen: 0,
            change: None,
            fund_change: None,
        })
        .collect();
    for &(i, a) in &inside {
        monthly[i] += 1;
        let fund = a.fund_payout_fen.unwrap_or(0);
        monthly_fund[i] += fund;
        let r = &mut rows[(a.date.year() - period.first.year) as usize];
        r.accidents += 1;
        r.serious_or_worse += u64::from(a.severity.is_serious_or_worse());
        r.deaths += u64::from(a.severity == Severity::Death);
        r.fund_payout_fen += fund;
    }
    // Only a full year against a full year: a part of a year reads as a fall (or, after
    // one, a rise) that never happened.
    for i in 1..rows.len() {
        if !(rows[i].full && rows[i - 1].full) {
            continue;
        }
        let (p, q) = (rows[i - 1].accidents as f64, rows[i - 1].fund_payout_fen as f64);
        rows[i].change = change(p, rows[i].accidents as f64);
        rows[i].fund_change = change(q, rows[i].fund_payout_fen as f64);
    }

    let seasonality = seasonality(&months, &monthly, &full);
    let by = Dimension::ALL
        .into_iter()
        .map(|d| {
            let mut groups: HashMap<Option<String>, Series> = HashMap::new();
            for &(i, a) in &inside {
                let key = d.key(a);
                let s = groups.entry(key.clone()).or_insert_with(|| empty(key, months.len(), years.len()));
                add(s, i, a, period.first.year);
            }
            let mut ranked: Vec<(SortOpt, u64)> =
                groups.values().map(|s| (SortOpt(s.key.clone()), s.accidents)).collect();
            by_count_desc(&mut ranked);
            let mut series = Vec::new();
            let mut other: Option<Series> = None;
            for (n, (k, _)) in ranked.into_iter().enumerate() {
                let Some(s) = groups.remove(&k.0) else { continue };
                if n < top {
                    series.push(s);
                } else {
                    let o = other.get_or_insert_with(|| empty(None, months.len(), years.len()));
                    merge(o, &s);
                }
            }
            for s in series.iter_mut().chain(other.iter_mut()) {
                s.change_last_full_year = last_full_change(&s.yearly, &years, &full);
            }
            DimensionTrend { dimension: d, series, other }
        })
        .collect();

    Trends { period, months, monthly, monthly_fund_payout_fen: monthly_fund, years: rows, seasonality, by }
}

fn seasonality(months: &[YearMonth], monthly: &[u64], full: &[i32]) -> Option<Seasonality> {
    if full.is_empty() {
        return None;
    }
    let mut sums = [0u64; 12];
    for (ym, &c) in months.iter().zip(monthly) {
        if full.contains(&ym.year) {
            sums[ym.month as usize - 1] += c;
        }
    }
    let means: Vec<f64> = sums.iter().map(|&s| s as f64 / full.len() as f64).collect();
    let overall = means.iter().sum::<f64>() / 12.0;
    if overall <= 0.0 {
        return None;
    }
    let index: Vec<f64> = means.iter().map(|m| m / overall).collect();
    let mut peaks: Vec<u32> = (1..=12).filter(|&m| index[m as usize - 1] > 1.0 + 1e-12).collect();
    peaks.sort_by(|a, b| index[*b as usize - 1].total_cmp(&index[*a as usize - 1]).then(a.cmp(b)));
    peaks.truncate(3);
    Some(Seasonality { full_years: full.to_vec(), index, peak_months: peaks })
}

fn empty(key: Option<String>, months: usize, years: usize) -> Series {
    Series {
        key,
        accidents: 0,
        fund_payout_fen: 0,
        monthly: vec![0; months],
        yearly: vec![0; years],
        change_last_full_year: None,
    }
}

fn add(s: &mut Series, month: usize, a: &AccidentRow, first_year: i32) {
    s.accidents += 1;
    s.fund_payout_fen += a.fund_payout_fen.unwrap_or(0);
    s.monthly[month] += 1;
    s.yearly[(a.date.year() - first_year) as usize] += 1;
}

fn merge(into: &mut Series, s: &Series) {
    into.accidents += s.accidents;
    into.fund_payout_fen += s.fund_payout_fen;
    into.monthly.iter_mut().zip(&s.monthly).for_each(|(a, b)| *a += b);
    into.yearly.iter_mut().zip(&s.yearly).for_each(|(a, b)| *a += b);
}

fn last_full_change(yearly: &[u64], years: &[i32], full: &[i32]) -> Option<f64> {
    let [.., before, last] = full else { return None };
    if last - before != 1 {
        return None;
    }
    let at = |y: i32| years.iter().position(|&x| x == y).map(|i| yearly[i] as f64);
    change(at(*before)?, at(*last)?)
}
