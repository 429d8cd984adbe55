//! Findings on the phone (`/mp/findings`) and in the bureau's view
//! (`/gov/enterprises/{id}/findings`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::{Json, ValidatedJson};
use crate::identity::Caller;
use crate::selfcheck::findings::{
    self, ActRequest, Filter, FindingAction, FindingDetail, FindingPage, NewFinding, ProgressRequest,
};
use crate::state::AppState;
use crate::store::paging::paging;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FindingQuery {
    pub page: Option<u64>,
    /// 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only findings in this state.
    #[param(pattern = "^(draft|submitted|to_rectify|overdue|rectification_submitted|accepted|cancelled)$")]
    pub state: Option<String>,
    /// Only findings of this round.
    pub inspection_id: Option<i64>,
}

/// Reports a finding (draft, or submitted with `"submit": true`). The same
/// `client_id` again returns the finding already made (200).
#[utoipa::path(
    post, path = "/mp/findings", tag = "mini-program", request_body = NewFinding, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = FindingDetail), (status = 200, description = "already reported", body = FindingDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: ValidatedJson<NewFinding>,
) -> Result<HttpResponse, ApiError> {
    let (detail, created) = findings::create(&state, &caller, &body.0, &origin(&req)).await?;
    Ok(if created { HttpResponse::Created().json(detail) } else { HttpResponse::Ok().json(detail) })
}

/// The enterprise's findings, latest change first; a responsible person sees those
/// assigned to them.
#[utoipa::path(
    get, path = "/mp/findings", tag = "mini-program", security(("bearer" = [])),
    params(FindingQuery),
    responses((status = 200, body = FindingPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<FindingQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = paging(q.page, q.per_page)?;
    let filter = Filter { state: q.state.as_deref(), inspection_id: q.inspection_id };
    Ok(HttpResponse::Ok().json(findings::list(&state, &caller, None, &filter, p).await?))
}

/// One finding with its rectification, history, progress, extensions and photos.
#[utoipa::path(
    get, path = "/mp/findings/{id}", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "finding id")),
    responses((status = 200, body = FindingDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(findings::one(&state, &caller, None, *id).await?))
}

/// One step of the hazard's life: `submit`, `assign` (assignee, deadline, the 五落实
/// `plan` for major hazards), `submit_rectification` (note and after-photos), `accept`,
/// `reject` (reason), `request_extension` / `approve_extension` / `refuse_extension`,
/// `cancel` (reason), `reopen` (reason). Send the `version` you read: a stale one is 409
/// `version_conflict`; an action the state does not allow is 409 `invalid_state` with
/// the state in `details.state`.
#[utoipa::path(
    post, path = "/mp/findings/{id}/actions", tag = "mini-program", request_body = FindingAction, security(("bearer" = [])),
    params(("id" = i64, Path, description = "finding id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = FindingDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ActRequest>,
) -> Result<HttpResponse, ApiError> {
    let action = body.0.parse()?;
    Ok(HttpResponse::Ok().json(findings::act(&state, &caller, *id, &action, &origin(&req)).await?))
}

/// A progress note from the assignee (with progress photos) while rectification is owed.
#[utoipa::path(
    post, path = "/mp/findings/{id}/progress", tag = "mini-program", request_body = ProgressRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "finding id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = FindingDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn progress(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ProgressRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(findings::progress(&state, &caller, *id, &body.0, &origin(&req)).await?))
}

/// An enterprise's findings in the caller's jurisdiction.
#[utoipa::path(
    get, path = "/gov/enterprises/{id}/findings", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id"), FindingQuery),
    responses((status = 200, body = FindingPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn gov_list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    q: web::Query<FindingQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = paging(q.page, q.per_page)?;
    let filter = Filter { state: q.state.as_deref(), inspection_id: q.inspection_id };
    Ok(HttpResponse::Ok().json(findings::list(&state, &caller, Some(*id), &filter, p).await?))
}

/// One finding of an enterprise in the caller's jurisdiction, with its history.
#[utoipa::path(
    get, path = "/gov/enterprises/{id}/findings/{finding_id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id"), ("finding_id" = i64, Path, description = "finding id")),
    responses((status = 200, body = FindingDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn gov_get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (e, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(findings::one(&state, &caller, Some(e), id).await?))
}
