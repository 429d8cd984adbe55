//! Risk scores (the current fit only) and programme targets, as bureaus and
//! enterprises see them.

use actix_web::{HttpResponse, web};

use crate::error::{ApiError, ErrorBody};
use crate::identity::Caller;
use crate::reference::scoring::{self, RiskView};
use crate::selfcheck::targets;
use crate::state::AppState;

/// An enterprise's risk in the caller's jurisdiction: expected accidents, chances,
/// percentiles, exposure mix and the factors behind them.
#[utoipa::path(
    get, path = "/gov/enterprises/{id}/risk", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses((status = 200, body = RiskView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn of_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(scoring::of_caller(&state, &caller, Some(*id)).await?))
}

/// The caller's own enterprise's risk.
#[utoipa::path(
    get, path = "/mp/risk", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = RiskView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn own(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(scoring::of_caller(&state, &caller, None).await?))
}

/// The programme targets of an enterprise in the caller's jurisdiction, live: ≥150
/// recommended items, ≥50 hazards found, ≥80% of them rectified.
#[utoipa::path(
    get, path = "/gov/enterprises/{id}/targets", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses((status = 200, body = crate::selfcheck::targets::Targets), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn gov_targets(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(targets::of_caller(&state, &caller, Some(*id)).await?))
}

/// The caller's own enterprise's programme targets, live.
#[utoipa::path(
    get, path = "/mp/targets", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = crate::selfcheck::targets::Targets), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn own_targets(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(targets::of_caller(&state, &caller, None).await?))
}
