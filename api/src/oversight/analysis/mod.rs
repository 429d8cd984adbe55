//! Analysis for the bureaus from the accident records of their region (`engine::analysis`
//! over rows read in SQL within the caller's region): the key-industry table, the
//! training-coverage plan, trends, next year's focus and the whole report, also as PDF
//! and XLSX downloads.

pub mod export;
pub mod figures;
pub mod report;
pub mod rows;

pub use report::{AnalysisReport, Request};

use chrono::Utc;

use sea_orm::ConnectionTrait;

use crate::error::ApiError;
use crate::identity::Caller;
use crate::platform::replica::Read;
use crate::state::AppState;
use crate::store::regions;
use report::{share_of, year_of};

/// The region's name as GB/T 2260 gives it, else its code.
pub async fn region_name(db: &impl ConnectionTrait, code: &str) -> String {
    match regions::names_zh(db, vec![code.to_string()]).await {
        Ok(mut names) => names.remove(code).unwrap_or_else(|| code.to_string()),
        Err(_) => code.to_string(),
    }
}

/// The whole report as JSON, from the dashboard cache when nothing in the region changed
/// since it was computed (answers live 30 s at most, so an import elsewhere shows soon;
/// read from the replica, no longer than its lag bound).
pub async fn cached_report(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    year: Option<i32>,
    share: Option<f64>,
) -> Result<serde_json::Value, ApiError> {
    let year = year_of(year, Utc::now())?;
    let share = share_of(share)?;
    let (_, prefix) = crate::oversight::dashboard::region_of(caller, region)?;
    let key = format!("analysis:{year}:{share}");
    let read = state.read.pick();
    let compute = async {
        let r = report_from(state, &read, caller, region, Some(year), Some(share)).await?;
        serde_json::to_value(&r).map_err(ApiError::internal)
    };
    state.dashboard.cached_within(&prefix, &key, read.staleness, compute).await
}

/// The whole report for the caller's region (or `region` within it), read from the
/// replica when it is within its lag bound.
pub async fn report(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    year: Option<i32>,
    share: Option<f64>,
) -> Result<AnalysisReport, ApiError> {
    report_from(state, &state.read.pick(), caller, region, year, share).await
}

/// [`report`] read through `read` (chosen by the caller, which caches by its staleness).
pub async fn report_from(
    state: &AppState,
    read: &Read<'_>,
    caller: &Caller,
    region: Option<&str>,
    year: Option<i32>,
    share: Option<f64>,
) -> Result<AnalysisReport, ApiError> {
    let now = Utc::now();
    let year = year_of(year, now)?;
    let share = share_of(share)?;
    // The caller's region, or `region` within it.
    let (code, prefix) = crate::oversight::dashboard::region_of(caller, region)?;
    let name = region_name(read.db, &code).await;
    let req = Request {
        region_code: Some(code),
        region_name: name,
        year,
        share,
        now,
        rules: state.analysis.clone(),
        catalog: state.catalog.clone(),
    };
    report::build(read.db, Some(&prefix), req).await
}
