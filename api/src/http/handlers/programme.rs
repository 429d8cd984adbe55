//! The programme's key enterprises: a bureau's proposal for a region, its confirmation
//! into enrolments, the enrolments of the jurisdiction and un-enrolment.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::programme::{
    ConfirmRequest, Confirmed, EndRequest, EnrolmentPage, EnrolmentView, ProposalRequest, ProposalView, enrolment,
    proposal,
};
use crate::state::AppState;
use crate::store::paging::paging;
use crate::store::programme::Filter;

/// Ranks the region's active enterprises from the risk model, the key-industry table,
/// the year's serious accidents and fund payout, and stores the best `count` (default
/// 30) with their reasons and figures. Enterprises with no signal are not proposed, so
/// `items` may hold fewer. Audited.
#[utoipa::path(
    post, path = "/gov/programme/proposals", tag = "bureau", request_body = ProposalRequest, security(("bearer" = [])),
    responses((status = 201, body = ProposalView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn propose(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<ProposalRequest>,
) -> Result<HttpResponse, ApiError> {
    let p = proposal::propose(&state, &caller, &body.0, &origin(&req), Utc::now()).await?;
    Ok(HttpResponse::Created().json(p))
}

/// A proposal of the caller's region, as it was made (and how it was confirmed).
#[utoipa::path(
    get, path = "/gov/programme/proposals/{id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "proposal id")),
    responses((status = 200, body = ProposalView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn proposal(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(proposal::get(&state, &caller, *id).await?))
}

/// Confirms a proposal, less `remove` and plus `add` (each with a reason): every
/// enterprise is enrolled (programme start today, checkpoints at 6 and 12 months, the
/// first self-inspection task, `is_key` set, the service organisation told through the
/// outbox). Enterprises enrolled already are left as they are. Once only (409 after).
#[utoipa::path(
    post, path = "/gov/programme/proposals/{id}/confirm", tag = "bureau", request_body = ConfirmRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "proposal id")),
    responses((status = 201, body = Confirmed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = proposal::confirm(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?;
    Ok(HttpResponse::Created().json(c))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentQuery {
    pub page: Option<u64>,
    /// 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only current (`true`) or only ended (`false`) enrolments.
    pub current: Option<bool>,
    /// Only this enterprise's (its history).
    pub enterprise_id: Option<i64>,
    /// Only those made by this proposal.
    pub proposal_id: Option<i64>,
}

/// Enrolments of the enterprises in the caller's scope, current and ended, newest first.
#[utoipa::path(
    get, path = "/gov/programme/enrolments", tag = "bureau", security(("bearer" = [])),
    params(EnrolmentQuery),
    responses((status = 200, body = EnrolmentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn enrolments(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<EnrolmentQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let p = paging(q.page, q.per_page)?;
    let filter = Filter { current: q.current, enterprise_id: q.enterprise_id, proposal_id: q.proposal_id };
    Ok(HttpResponse::Ok().json(enrolment::list(&state, &caller, &filter, p).await?))
}

/// Ends the enterprise's current enrolment with a reason: the enrolment stays as
/// history, `is_key` is cleared, the service organisation is told. Audited.
#[utoipa::path(
    post, path = "/gov/programme/enrolments/{enterprise_id}/end", tag = "bureau", request_body = EndRequest, security(("bearer" = [])),
    params(("enterprise_id" = i64, Path, description = "enterprise id")),
    responses((status = 200, body = EnrolmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn end(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    enterprise_id: web::Path<i64>,
    body: Json<EndRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(enrolment::end(&state, &caller, *enterprise_id, &body.0, &origin(&req), Utc::now()).await?))
}
