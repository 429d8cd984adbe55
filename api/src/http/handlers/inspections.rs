//! Inspection rounds on the phone (`/mp/inspections`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::selfcheck::inspections::{self, CloseInspection, InspectionView, ItemPage, Marks, StartInspection};
use crate::state::AppState;
use crate::store::paging::paging;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Page size, 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only items with this result (`pending`, `found`, `not_found`, `not_applicable`).
    #[param(pattern = "^(pending|found|not_found|not_applicable)$")]
    pub result: Option<String>,
}

/// Starts a round from a recommendation round (its items become the checklist) or a
/// free round. The same `client_id` again returns the round already started (200).
#[utoipa::path(
    post, path = "/mp/inspections", tag = "mini-program", request_body = StartInspection, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = InspectionView), (status = 200, description = "already started", body = InspectionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<StartInspection>,
) -> Result<HttpResponse, ApiError> {
    let (view, created) = inspections::start(&state, &caller, &body.0, &origin(&req)).await?;
    Ok(if created { HttpResponse::Created().json(view) } else { HttpResponse::Ok().json(view) })
}

/// The enterprise's rounds, newest first.
#[utoipa::path(
    get, path = "/mp/inspections", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = Vec<InspectionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inspections::list(&state, &caller, None).await?))
}

/// A round with a page of its checklist in priority order.
#[utoipa::path(
    get, path = "/mp/inspections/{id}", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "inspection id"), ItemQuery),
    responses((status = 200, body = ItemPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    q: web::Query<ItemQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = paging(q.page, q.per_page)?;
    Ok(HttpResponse::Ok().json(inspections::page(&state, &caller, None, *id, q.result.as_deref(), p).await?))
}

/// Marks checklist items found / not found / not applicable (with a reason), all or none.
#[utoipa::path(
    post, path = "/mp/inspections/{id}/marks", tag = "mini-program", request_body = Marks, security(("bearer" = [])),
    params(("id" = i64, Path, description = "inspection id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = InspectionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn mark(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<Marks>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inspections::mark(&state, &caller, *id, &body.0.marks, &origin(&req)).await?))
}

/// Closes the round once every item is marked and no finding is a draft; the report
/// is generated from a closed round.
#[utoipa::path(
    post, path = "/mp/inspections/{id}/close", tag = "mini-program", request_body = CloseInspection, security(("bearer" = [])),
    params(("id" = i64, Path, description = "inspection id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = InspectionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "items unmarked, drafts left, or a stale version", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn close(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<CloseInspection>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inspections::close(&state, &caller, *id, &body.0, &origin(&req)).await?))
}
