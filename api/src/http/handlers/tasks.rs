//! Tasks people complete: the enterprise's self-inspection and accident investigation
//! (`/mp/tasks`), the bureaus' joint research and supervision (`/gov/tasks/{id}/complete`).

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::governance::complete::{self, CompleteTask, TaskView};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::state::AppState;

/// The enterprise's own tasks from escalations: self-inspection rounds and accident
/// investigations, with their checklists.
#[utoipa::path(
    get, path = "/mp/tasks", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = Vec<TaskView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn own(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(complete::of_enterprise(&state, &caller).await?))
}

/// The officer completes a self-inspection or an accident investigation (四不放过):
/// one answer per checklist item and a summary.
#[utoipa::path(
    post, path = "/mp/tasks/{id}/complete", tag = "mini-program", request_body = CompleteTask, security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = TaskView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn mp_complete(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<CompleteTask>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(complete::complete(&state, &caller, *id, &body.0, &origin(&req)).await?))
}

/// The addressed bureau completes a joint research or joint supervision task.
#[utoipa::path(
    post, path = "/gov/tasks/{id}/complete", tag = "bureau", request_body = CompleteTask, security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id")),
    responses(
        (status = 200, body = TaskView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn gov_complete(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<CompleteTask>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(complete::complete(&state, &caller, *id, &body.0, &origin(&req)).await?))
}
