//! Field experts (`/expert`): only the tasks dispatched to them.

use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Function, Scope};
use crate::entities::{enterprises, tasks};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpertTask {
    pub id: i64,
    /// `onsite_governance`, `accident_investigation`, `follow_up`, ...
    pub kind: String,
    pub status: String,
    pub enterprise_id: i64,
    pub enterprise_name: Option<String>,
    pub due_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

/// The tasks dispatched to the calling expert, newest first.
#[utoipa::path(
    get, path = "/expert/tasks", tag = "expert", security(("bearer" = [])),
    responses((status = 200, body = Vec<ExpertTask>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn tasks(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Function::ExpertTasks)?;
    let Scope::Expert(expert) = caller.scope else {
        return Err(ApiError::new(ErrorCode::Forbidden, "this account is not linked to the expert pool"));
    };
    let rows = tasks::Entity::find()
        .filter(tasks::Column::ExpertId.eq(expert))
        .find_also_related(enterprises::Entity)
        .order_by_desc(tasks::Column::Id)
        .all(&state.db)
        .await?;
    let items: Vec<ExpertTask> = rows
        .into_iter()
        .map(|(t, e)| ExpertTask {
            id: t.id,
            kind: t.kind,
            status: t.status,
            enterprise_id: t.enterprise_id,
            enterprise_name: e.map(|e| e.name),
            due_at: t.due_at,
            created_at: t.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}
