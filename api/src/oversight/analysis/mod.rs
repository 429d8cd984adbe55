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

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::error::ApiError;
use crate::identity::Caller;
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
    let compute = async {
        let (r, staleness) = report_fresh(state, caller, region, Some(year), Some(share)).await?;
        Ok::<_, ApiError>((serde_json::to_value(&r).map_err(ApiError::internal)?, staleness))
    };
    state.dashboard.cached_within(&prefix, &key, compute).await
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
    Ok(report_fresh(state, caller, region, year, share).await?.0)
}

/// [`report`] and how stale it may be: the replica's lag bound when read there, `None`
/// when read from the primary (for callers that cache it).
pub async fn report_fresh(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    year: Option<i32>,
    share: Option<f64>,
) -> Result<(AnalysisReport, Option<Duration>), ApiError> {
    let now = Utc::now();
    let year = year_of(year, now)?;
    let share = share_of(share)?;
    // The caller's region, or `region` within it.
    let (code, prefix) = crate::oversight::dashboard::region_of(caller, region)?;
    let build = async |db: &DatabaseConnection| {
        let req = Request {
            region_code: Some(code.clone()),
            region_name: region_name(db, &code).await,
            year,
            share,
            now,
            rules: state.analysis.clone(),
            catalog: state.catalog.clone(),
        };
        report::build(db, Some(&prefix), req).await
    };
    state.read.run(build).await
}
