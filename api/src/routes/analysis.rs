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
    /// The year analysed (default: this year); the table compares it with the year before.
    pub year: Option<i32>,
    /// Coverage only: the share of accidents the training plan must cover, in (0, 1] (default 0.8).
    pub share: Option<f64>,
}

/// The key-industry table of the source plan: per key industry, enterprises, insured
/// enterprises, workforce, insured workers, participation rate, accidents and rate in the
/// year and the change against the year before (aim −20%), for the caller's region.
#[utoipa::path(
    get, path = "/gov/analysis/key-industries", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the table (rows and total)", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn key_industries(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Function::GovDashboard)?;
    Ok(HttpResponse::Ok().json(analysis::key_industries(&state, &caller, q.year).await?))
}

/// The training-coverage plan: the fewest job × accident-type pairs covering the chosen
/// share of the region's accidents in the year, and the ten jobs with most accidents.
#[utoipa::path(
    get, path = "/gov/analysis/coverage", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the plan", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn coverage(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Function::GovDashboard)?;
    Ok(HttpResponse::Ok().json(analysis::coverage(&state, &caller, q.year, q.share).await?))
}
