//! The expert pool (专家库) as the service organisation keeps it, and as bureaus read
//! it: experts with competences, regions served, position, capacity and declared
//! conflicts, with their workload at a glance.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::governance::experts::pool::{
    self, ConflictRequest, DeactivateRequest, ExpertPage, ExpertPatch, ExpertRequest, ExpertView,
};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::paging::paging;

/// Adds an expert to the caller's pool; the dispatcher offers it tasks from now on
/// (pending ones at once). Its sign-in account is made by the security administrator
/// (`POST /admin/users` with role `expert` and this `expert_id`). Audited.
#[utoipa::path(
    post, path = "/gov/experts", tag = "bureau", request_body = ExpertRequest, security(("bearer" = [])),
    responses((status = 201, body = ExpertView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<ExpertRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(pool::create(&state, &caller, &body.0, &origin(&req), Utc::now()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExpertQuery {
    pub page: Option<u64>,
    /// 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only active (`true`) or only deactivated (`false`) experts.
    pub active: Option<bool>,
}

/// The pool in the caller's scope (a service organisation's own experts; a bureau's,
/// those living in or serving its region), each with open tasks, open offers and
/// capacity.
#[utoipa::path(
    get, path = "/gov/experts", tag = "bureau", security(("bearer" = [])),
    params(ExpertQuery),
    responses((status = 200, body = ExpertPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ExpertQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let p = paging(q.page, q.per_page)?;
    Ok(HttpResponse::Ok().json(pool::list(&state, &caller, q.active, p).await?))
}

/// One expert of the pool.
#[utoipa::path(
    get, path = "/gov/experts/{id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "expert id")),
    responses((status = 200, body = ExpertView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(pool::get(&state, &caller, *id).await?))
}

/// Edits an expert: only the fields given change, a list replaces the whole list.
/// Audited with before and after.
#[utoipa::path(
    patch, path = "/gov/experts/{id}", tag = "bureau", request_body = ExpertPatch, security(("bearer" = [])),
    params(("id" = i64, Path, description = "expert id")),
    responses((status = 200, body = ExpertView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ExpertPatch>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(pool::edit(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?))
}

/// Declares the expert's conflict of interest with an enterprise of the caller's
/// scope: it is never offered that enterprise's tasks. 409 when declared already.
#[utoipa::path(
    post, path = "/gov/experts/{id}/conflicts", tag = "bureau", request_body = ConflictRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "expert id")),
    responses((status = 201, body = ExpertView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn conflict(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ConflictRequest>,
) -> Result<HttpResponse, ApiError> {
    let v = pool::declare_conflict(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?;
    Ok(HttpResponse::Created().json(v))
}

/// Deactivates an expert with a reason: no more offers; offers awaiting its answer are
/// withdrawn and dispatched to others; accepted tasks stay. 409 when inactive already.
#[utoipa::path(
    post, path = "/gov/experts/{id}/deactivate", tag = "bureau", request_body = DeactivateRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "expert id")),
    responses((status = 200, body = ExpertView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn deactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<DeactivateRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(pool::deactivate(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?))
}
