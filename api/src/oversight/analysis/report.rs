//! The bureau's analysis report (工伤大数据分析报告) for one year of a region: the
//! key-industry table, the training-coverage plan, three years of trends with
//! seasonality, next year's focus with the special topics, and the summary with its
//! suggestions; every part computed by `engine::analysis` from one load of the rows.

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use zhicha_engine::Catalog;
use zhicha_engine::analysis::{
    self as ea, AccidentRow, AnalysisError, AnalysisRules, CoveragePlan, EnterpriseRow, Focus, FocusOptions,
    KeyIndustryTable, Labels, Period, SummaryInput, Trends, YearMonth,
};

use super::rows;
use crate::error::{ApiError, ErrorCode};

/// Years of trend before the report's year (the seed's reports look back three years).
pub const TREND_YEARS_BEFORE: i32 = 2;
/// Categories kept per trend dimension and items per focus list.
pub const TOP: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct AnalysisReport {
    /// The region the report covers (`640200`); `None` for every enterprise (operator).
    pub region_code: Option<String>,
    pub region_name: String,
    pub year: i32,
    pub generated_at: DateTime<Utc>,
    pub rules_version: String,
    pub enterprises: usize,
    pub key_industries: KeyIndustryTable,
    pub coverage: CoveragePlan,
    pub trends: Trends,
    pub focus: Focus,
    pub summary: ea::Summary,
}

/// The analysed year, checked: 2000–2100, default this year.
pub fn year_of(year: Option<i32>, now: DateTime<Utc>) -> Result<i32, ApiError> {
    let y = year.unwrap_or_else(|| now.year());
    if !(2000..=2100).contains(&y) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "year", "2000-2100"));
    }
    Ok(y)
}

/// The coverage share, checked: in (0, 1], default 0.8.
pub fn share_of(share: Option<f64>) -> Result<f64, ApiError> {
    let s = share.unwrap_or(ea::coverage::DEFAULT_SHARE);
    if !(s > 0.0 && s <= 1.0) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "share", "a share in (0, 1]"));
    }
    Ok(s)
}

pub fn first_of(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

pub fn last_of(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The trend period: January two years before `year` (or the month of the first record,
/// when the records start later) to December of `year`, or to the last finished month
/// when `year` is not over yet. Months before the records begin, or still running, would
/// read as falls in accidents and bend the seasonal index.
pub fn trend_period(year: i32, now: DateTime<Utc>, records_from: Option<YearMonth>) -> Result<Period, AnalysisError> {
    let first = YearMonth { year: year - TREND_YEARS_BEFORE, month: 1 }
        .max(records_from.unwrap_or(YearMonth { year: 0, month: 1 }));
    let this = YearMonth::of(now.date_naive());
    let finished = if this.month == 1 {
        YearMonth { year: this.year - 1, month: 12 }
    } else {
        YearMonth { month: this.month - 1, ..this }
    };
    let last = YearMonth { year, month: 12 }.min(finished);
    Period::new(first.min(last), last)
}

pub struct Request {
    pub region_code: Option<String>,
    pub region_name: String,
    pub year: i32,
    pub share: f64,
    pub now: DateTime<Utc>,
    pub rules: Arc<AnalysisRules>,
    pub catalog: Arc<Catalog>,
}

/// The whole report over the enterprises whose region code starts with `region_prefix`
/// (every enterprise without one). The rows are read
/// asynchronously; the computation (seconds for a province's accidents in a debug build)
/// runs on the blocking pool so it never stalls the server's event loop.
pub async fn build(
    db: &impl ConnectionTrait,
    region_prefix: Option<&str>,
    r: Request,
) -> Result<AnalysisReport, ApiError> {
    let (firms, accidents) =
        rows::load(db, region_prefix, first_of(r.year - TREND_YEARS_BEFORE), last_of(r.year)).await?;
    tokio::task::spawn_blocking(move || compute(r, &firms, &accidents)).await.map_err(ApiError::internal)?
}

fn compute(r: Request, firms: &[EnterpriseRow], accidents: &[AccidentRow]) -> Result<AnalysisReport, ApiError> {
    let records_from = accidents.iter().map(|a| YearMonth::of(a.date)).min();
    let period =
        trend_period(r.year, r.now, records_from).map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.to_string()))?;
    let of_year: Vec<_> = accidents.iter().filter(|a| a.date.year() == r.year).cloned().collect();
    let key_industries = ea::key_industry_table(&r.rules, firms, None, accidents, r.year);
    let coverage = ea::coverage_plan(&of_year, r.share)
        .map_err(|_| ApiError::field(ErrorCode::InvalidQuery, "share", "a share in (0, 1]"))?;
    let trends = ea::trends(accidents, period, TOP);
    let focus = ea::focus(&r.rules, firms, accidents, r.year, &FocusOptions { top: TOP });
    let labels = Labels::from_catalog(&r.catalog);
    let summary = ea::summary(&SummaryInput {
        table: &key_industries,
        coverage: &coverage,
        trends: &trends,
        focus: &focus,
        labels: &labels,
    });
    Ok(AnalysisReport {
        region_code: r.region_code,
        region_name: r.region_name,
        year: r.year,
        generated_at: r.now,
        rules_version: r.rules.version.clone(),
        enterprises: firms.len(),
        key_industries,
        coverage,
        trends,
        focus,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_trend_period_stops_at_this_month() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).single().unwrap_or_default();
        let p = trend_period(2026, now, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.first.to_string(), p.last.to_string()), ("2024-01".into(), "2026-11".into()));
        let p = trend_period(2025, now, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.last.to_string(), "2025-12");
        let mid = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).single().unwrap_or_default();
        assert_eq!(trend_period(2026, mid, None).unwrap_or_else(|e| panic!("{e}")).last.to_string(), "2026-04");
        let january = Utc.with_ymd_and_hms(2027, 1, 10, 0, 0, 0).single().unwrap_or_default();
        assert_eq!(trend_period(2026, january, None).unwrap_or_else(|e| panic!("{e}")).last.to_string(), "2026-12");
        // Records that start later start the period.
        let from = Some(YearMonth { year: 2023, month: 11 });
        let p = trend_period(2025, now, from).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.first.to_string(), p.months().len(), p.full_years()), ("2023-11".into(), 26, vec![2024, 2025]));
        assert!(share_of(Some(0.0)).is_err() && share_of(Some(1.5)).is_err() && share_of(Some(f64::NAN)).is_err());
        assert_eq!(share_of(None).ok(), Some(0.8));
    }
}
