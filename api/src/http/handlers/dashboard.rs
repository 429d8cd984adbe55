//! The bureaus' dashboard API (`/gov/dashboard`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::identity::Caller;
use crate::oversight::dashboard::{self, EnterprisePage, Feedback, ListQuery, Summary};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// A city or county within the caller's region (default: the whole region).
    #[param(pattern = "^(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}$")]
    pub region: Option<String>,
}

/// The region's progress: enterprises against the targets (≥150 recommended, ≥50
/// found, ≥80% rectified) with attainment counts, rectification (open, overdue,
/// median days to close), escalations, tasks and report receipts, in total and per city.
#[utoipa::path(
    get, path = "/gov/dashboard/summary", tag = "bureau", security(("bearer" = [])),
    params(SummaryQuery),
    responses((status = 200, body = Summary), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn summary(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let (region, prefix) = dashboard::region_of(&caller, q.region.as_deref())?;
    Ok(HttpResponse::Ok().json(dashboard::cached_summary(&state, &region, &prefix).await?))
}

/// The region's enterprises against the targets, filtered, sorted and paged.
#[utoipa::path(
    get, path = "/gov/dashboard/enterprises", tag = "bureau", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = EnterprisePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, prefix) = dashboard::region_of(&caller, None)?;
    Ok(HttpResponse::Ok().json(dashboard::list(&state, &prefix, &q).await?))
}

/// Feedback on the recommended items: per checklist area and per library item, how often
/// the latest rounds recommended it and how often it was marked found, not found or not
/// applicable, with the items most often not applicable (for the library's review).
#[utoipa::path(
    get, path = "/gov/dashboard/feedback", tag = "bureau", security(("bearer" = [])),
    params(SummaryQuery),
    responses((status = 200, body = Feedback), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn feedback(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let (region, prefix) = dashboard::region_of(&caller, q.region.as_deref())?;
    Ok(HttpResponse::Ok().json(dashboard::cached_feedback(&state, &region, &prefix).await?))
}
