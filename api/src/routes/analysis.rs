//! The bureaus' analysis of their region's accident records (`/gov/analysis`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::analysis;
use crate::auth::{Caller, Function};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AnalysisQuery {
    /// A city or county within the caller's region (default: the whole region).
    pub region: Option<String>,
    /// The year analysed (default: this year); compared with the year before.
    pub year: Option<i32>,
    /// The share of accidents the training plan must cover, in (0, 1] (default 0.8).
    pub share: Option<f64>,
}

/// The key-industry table of the source plan: per key industry, enterprises, insured
/// enterprises, workforce, insured workers, participation rate, accidents and rate in the
/// year and the change against the year before (aim −20%), for the caller's region.
#[utoipa::path(
    get, path = "/gov/analysis/key-industries", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the table (rows and total)", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn key_industries(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Function::GovDashboard)?;
    Ok(HttpResponse::Ok().json(analysis::key_industries(&state, &caller, q.region.as_deref(), q.year).await?))
}

/// The training-coverage plan: the fewest job × accident-type pairs covering the chosen
/// share of the region's accidents in the year, and the ten jobs with most accidents.
#[utoipa::path(
    get, path = "/gov/analysis/coverage", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the plan", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn coverage(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Function::GovDashboard)?;
    Ok(HttpResponse::Ok().json(analysis::coverage(&state, &caller, q.region.as_deref(), q.year, q.share).await?))
}

/// The cached report, or one part of it.
async fn report(
    state: &AppState,
    caller: &Caller,
    q: &AnalysisQuery,
    part: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Function::GovDashboard)?;
    let mut v = analysis::cached_report(state, caller, q.region.as_deref(), q.year, q.share).await?;
    let body = match part {
        Some(p) => v.get_mut(p).map(serde_json::Value::take).unwrap_or_default(),
        None => v,
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Trends over the year and the two before it: monthly and yearly counts and fund
/// payout, overall and by accident type, body part, injury nature and job, with the
/// change against the year before and a seasonal index over the full years.
#[utoipa::path(
    get, path = "/gov/analysis/trends", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the trends", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn trends(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, Some("trends")).await
}

/// Next year's focus: industries, enterprises and jobs ranked by severity-weighted
/// accidents × trend × rate, each with its reason, and the special topics (serious
/// injuries and deaths; new forms of employment such as delivery riders).
#[utoipa::path(
    get, path = "/gov/analysis/focus", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the focus lists and topics", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn focus(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, Some("focus")).await
}

/// The whole analysis report (工伤大数据分析报告) for the year: key-industry table,
/// training-coverage plan, trends, focus and topics, and the summary with improvement
/// suggestions, each citing its figures.
#[utoipa::path(
    get, path = "/gov/analysis/report", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the report", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn whole(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, None).await
}
