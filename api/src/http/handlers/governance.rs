//! Escalations (动态精准治理): bureaus read those of their jurisdiction, escalate by
//! hand and close; an enterprise reads its own.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::governance::manual::{self, CloseRequest, ManualEscalation};
use crate::governance::view::{self, EscalationDetail, EscalationPage, Filter};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::paging::paging;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EscalationQuery {
    pub page: Option<u64>,
    /// 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only this level (1-5).
    #[param(minimum = 1, maximum = 5)]
    pub level: Option<i16>,
    /// Only `open`, `escalated` or `closed`.
    #[param(pattern = "^(open|escalated|closed)$")]
    pub state: Option<String>,
}

async fn list_of(
    state: &AppState,
    caller: &Caller,
    q: EscalationQuery,
    enterprise_id: Option<i64>,
) -> Result<EscalationPage, ApiError> {
    let p = paging(q.page, q.per_page)?;
    let filter = Filter { level: q.level, state: q.state, enterprise_id };
    view::list(state, caller, &filter, p).await
}

/// Escalations of every enterprise in the caller's jurisdiction, newest first.
#[utoipa::path(
    get, path = "/gov/escalations", tag = "bureau", security(("bearer" = [])),
    params(EscalationQuery),
    responses((status = 200, body = EscalationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<EscalationQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(list_of(&state, &caller, q.into_inner(), None).await?))
}

/// One escalation with what fired it and its tasks.
#[utoipa::path(
    get, path = "/gov/escalations/{id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "escalation id")),
    responses((status = 200, body = EscalationDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view::detail(&state, &caller, *id).await?))
}

/// The escalations of one enterprise in the caller's jurisdiction.
#[utoipa::path(
    get, path = "/gov/enterprises/{id}/escalations", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id"), EscalationQuery),
    responses((status = 200, body = EscalationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn of_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    q: web::Query<EscalationQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(list_of(&state, &caller, q.into_inner(), Some(*id)).await?))
}

/// Escalates an enterprise by hand to `level`, with that level's task; recorded as
/// manual with the caller and the reason, and audited. The engine leaves it to people.
#[utoipa::path(
    post, path = "/gov/enterprises/{id}/escalations", tag = "bureau", request_body = ManualEscalation, security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses((status = 201, body = EscalationDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn escalate(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ManualEscalation>,
) -> Result<HttpResponse, ApiError> {
    let d = manual::escalate(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?;
    Ok(HttpResponse::Created().json(d))
}

/// Closes an escalation (and those it escalated to) with a reason, cancelling their open
/// tasks; audited. Its cause is not opened again.
#[utoipa::path(
    post, path = "/gov/escalations/{id}/close", tag = "bureau", request_body = CloseRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "escalation id")),
    responses((status = 200, body = EscalationDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn close(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<CloseRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(manual::close(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?))
}

/// The caller's own enterprise's escalations.
#[utoipa::path(
    get, path = "/mp/escalations", tag = "mini-program", security(("bearer" = [])),
    params(EscalationQuery),
    responses((status = 200, body = EscalationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn own(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<EscalationQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(list_of(&state, &caller, q.into_inner(), None).await?))
}
