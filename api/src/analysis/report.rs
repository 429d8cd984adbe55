//! The bureau's analysis report (工伤大数据分析报告) for one year of a region: the
//! key-industry table, the training-coverage plan, three years of trends with
//! seasonality, next year's focus with the special topics, and the summary with its
//! suggestions; every part computed by `engine::analysis` from one load of the rows.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Select};
use serde::Serialize;
use zhicha_engine::Catalog;
use zhicha_engine::analysis::{
    self as ea, AnalysisError, AnalysisRules, CoveragePlan, Focus, FocusOptions, KeyIndustryTable, Labels, Period,
    SummaryInput, Trends, YearMonth,
};

use super::rows;
use crate::entities::enterprises;
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

/// The trend period: January two years before `year` to December of `year`, or to this
/// month when `year` is not over yet (months still to come would read as zero).
pub fn trend_period(year: i32, now: DateTime<Utc>) -> Result<Period, AnalysisError> {
    let first = YearMonth { year: year - TREND_YEARS_BEFORE, month: 1 };
    let today = YearMonth::of(now.date_naive());
    let last = YearMonth { year, month: 12 }.min(today).max(first);
    Period::new(first, last)
}

pub struct Request<'a> {
    pub region_code: Option<String>,
    pub region_name: String,
    pub year: i32,
    pub share: f64,
    pub now: DateTime<Utc>,
    pub rules: &'a AnalysisRules,
    pub catalog: &'a Catalog,
}

/// The whole report over the enterprises `within` selects.
pub async fn build(
    db: &impl ConnectionTrait,
    within: Select<enterprises::Entity>,
    r: Request<'_>,
) -> Result<AnalysisReport, ApiError> {
    let period = trend_period(r.year, r.now).map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.to_string()))?;
    let (firms, accidents) = rows::load(db, within, first_of(r.year - TREND_YEARS_BEFORE), last_of(r.year)).await?;
    let of_year: Vec<_> = accidents.iter().filter(|a| a.date.year() == r.year).cloned().collect();
    let key_industries = ea::key_industry_table(r.rules, &firms, None, &accidents, r.year);
    let coverage = ea::coverage_plan(&of_year, r.share)
        .map_err(|_| ApiError::field(ErrorCode::InvalidQuery, "share", "a share in (0, 1]"))?;
    let trends = ea::trends(&accidents, period, TOP);
    let focus = ea::focus(r.rules, &firms, &accidents, r.year, &FocusOptions { top: TOP });
    let labels = Labels::from_catalog(r.catalog);
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
        let p = trend_period(2026, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.first.to_string(), p.last.to_string()), ("2024-01".into(), "2026-12".into()));
        let p = trend_period(2025, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.last.to_string(), "2025-12");
        let mid = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).single().unwrap_or_default();
        assert_eq!(trend_period(2026, mid).unwrap_or_else(|e| panic!("{e}")).last.to_string(), "2026-05");
        assert!(share_of(Some(0.0)).is_err() && share_of(Some(1.5)).is_err() && share_of(Some(f64::NAN)).is_err());
        assert_eq!(share_of(None).ok(), Some(0.8));
    }
}
