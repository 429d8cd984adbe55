//! Field experts (`/expert`): only the tasks dispatched to them; any other task reads
//! as not found. Every POST needs an `Idempotency-Key` (experts are on phones too).
//! And the bureaus' and service organisation's view of tasks (`/gov/tasks`).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::governance::experts::{
    self, CheckinRequest, CheckinView, DeclineRequest, Declined, ExpertFinding, FollowUpRequest, GovTaskPage,
    ReportRequest, TaskDetail, TaskView,
};
use crate::http::extract::{Json, ValidatedJson};
use crate::identity::Caller;
use crate::selfcheck::findings::FindingDetail;
use crate::state::AppState;
use crate::store::paging::paging;

/// The tasks dispatched to the calling expert, newest first, with the enterprise's
/// site and the offer (status, answer deadline).
#[utoipa::path(
    get, path = "/expert/tasks", tag = "expert", security(("bearer" = [])),
    responses((status = 200, body = Vec<TaskView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn tasks(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let expert = experts::expert_of(&caller)?;
    Ok(HttpResponse::Ok().json(experts::list_for_expert(&state, expert).await?))
}

/// One task with its check-ins, report and result.
#[utoipa::path(
    get, path = "/expert/tasks/{id}", tag = "expert", security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id")),
    responses((status = 200, body = TaskDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn task(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(experts::own_task_detail(&state, &caller, *id).await?))
}

/// Accepts the offered task (before its `respond_by`).
#[utoipa::path(
    post, path = "/expert/tasks/{id}/accept", tag = "expert", security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = TaskDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not offered any more (`details.state`), or changed meanwhile", body = ErrorBody),
        (status = 428, body = ErrorBody),
    )
)]
pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(experts::accept(&state, &caller, *id, &origin(&req), Utc::now()).await?))
}

/// Declines the offered task with a reason; it is offered to another expert at once.
#[utoipa::path(
    post, path = "/expert/tasks/{id}/decline", tag = "expert", request_body = DeclineRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = Declined),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn decline(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<DeclineRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(experts::decline(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?))
}

/// Checks in on site: the server's time and the phone's position, with its distance
/// to the enterprise's site (`far` beyond `experts.site_radius_m`).
#[utoipa::path(
    post, path = "/expert/tasks/{id}/checkin", tag = "expert", request_body = CheckinRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = CheckinView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the task is not accepted", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn checkin(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<CheckinRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = experts::checkin(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?;
    Ok(HttpResponse::Created().json(c))
}

/// Reports a hazard found on site into the enterprise's list (submitted, marked
/// `origin: expert`); after check-in. The same `client_id` again returns it (200).
#[utoipa::path(
    post, path = "/expert/tasks/{id}/findings", tag = "expert", request_body = ExpertFinding, security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = FindingDetail), (status = 200, description = "already reported", body = FindingDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not accepted or not checked in (`details.state`)", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn finding(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: ValidatedJson<ExpertFinding>,
) -> Result<HttpResponse, ApiError> {
    let (detail, created) = experts::report_finding(&state, &caller, *id, &body.0, &origin(&req)).await?;
    Ok(if created { HttpResponse::Created().json(detail) } else { HttpResponse::Ok().json(detail) })
}

/// Reports on a visit with the 一企一策 plan: the task is done and a follow-up
/// inspection (回访巡查) is scheduled for the caller, due in `follow_up_days`.
#[utoipa::path(
    post, path = "/expert/tasks/{id}/report", tag = "expert", request_body = ReportRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = TaskDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ReportRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(experts::report(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?))
}

/// The verdict of a follow-up inspection: `passed` or `failed` (which the trigger
/// rules escalate), with notes and the findings checked; the task is done.
#[utoipa::path(
    post, path = "/expert/tasks/{id}/follow-up", tag = "expert", request_body = FollowUpRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = TaskDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn follow_up(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<FollowUpRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(experts::follow_up(&state, &caller, *id, &body.0, &origin(&req), Utc::now()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    pub page: Option<u64>,
    /// 1-200 (default 50).
    pub per_page: Option<u64>,
    /// `self_inspection`, `accident_investigation`, `expert_visit`, `joint_research`,
    /// `joint_supervision` or `follow_up`.
    #[param(
        pattern = "^(self_inspection|accident_investigation|expert_visit|joint_research|joint_supervision|follow_up)$"
    )]
    pub kind: Option<String>,
    /// `open`, `accepted`, `done` or `cancelled`.
    #[param(pattern = "^(open|accepted|done|cancelled)$")]
    pub status: Option<String>,
}

/// Tasks of the enterprises in the caller's jurisdiction, newest first, with who was
/// offered each, how they were drawn and what they answered.
#[utoipa::path(
    get, path = "/gov/tasks", tag = "bureau", security(("bearer" = [])),
    params(TaskQuery),
    responses((status = 200, body = GovTaskPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn gov_tasks(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<TaskQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = paging(q.page, q.per_page)?;
    Ok(HttpResponse::Ok().json(experts::gov_list(&state, &caller, q.kind.as_deref(), q.status.as_deref(), p).await?))
}
