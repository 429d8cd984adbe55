//! Findings (隐患): reported by the officer during a round or on their own, then driven
//! through the state machine of `zhicha_engine::findings` (submit, assign with a
//! deadline and, for major hazards, the 五落实 plan, rectify, accept or reject,
//! extensions, overdue, cancel, reopen). Every change is one transaction: the row
//! (version-checked), its rectification records, a history row, the sync feed and the
//! audit trail.

mod act;
mod create;
mod view;

pub use act::{ActRequest, FindingAction, ProgressRequest, act, mark_overdue, progress};
pub use create::{NewFinding, create, create_in};
pub use view::{
    ExtensionView, FindingDetail, FindingView, HistoryView, PhotoRef, PlanView, ProgressView, RectificationView,
    detail, finding_view, finding_views,
};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entities::{findings, rectifications};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::scope;

/// One finding of an enterprise in the caller's scope (`enterprise` for bureaus).
pub async fn in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
) -> Result<findings::Model, ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    findings::Entity::find_by_id(id)
        .filter(findings::Column::EnterpriseId.eq(e.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("finding"))
}

#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub state: Option<&'a str>,
    pub inspection_id: Option<i64>,
    /// Only those assigned to this user (a responsible person's own list).
    pub assignee: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingPage {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub findings: Vec<FindingView>,
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    enterprise: Option<i64>,
    filter: &Filter<'_>,
    (page, per_page): (u64, u64),
) -> Result<FindingPage, ApiError> {
    let e = scope::enterprise(&state.db, caller, enterprise).await?;
    let mut q = findings::Entity::find().filter(findings::Column::EnterpriseId.eq(e.id));
    if let Some(s) = filter.state {
        if zhicha_engine::findings::State::parse(s).is_none() {
            return Err(ApiError::field(ErrorCode::InvalidQuery, "state", "not a finding state"));
        }
        q = q.filter(findings::Column::State.eq(s));
    }
    if let Some(i) = filter.inspection_id {
        q = q.filter(findings::Column::InspectionId.eq(i));
    }
    if let Some(a) = filter.assignee {
        let mine = rectifications::Entity::find()
            .select_only()
            .column(rectifications::Column::FindingId)
            .filter(rectifications::Column::AssigneeId.eq(a))
            .filter(rectifications::Column::EnterpriseId.eq(e.id))
            .into_query();
        q = q.filter(findings::Column::Id.in_subquery(mine));
    }
    let total = q.clone().count(&state.db).await?;
    let rows = q
        .order_by_desc(findings::Column::UpdatedAt)
        .order_by_desc(findings::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(&state.db)
        .await?;
    Ok(FindingPage { page, per_page, total, findings: finding_views(&state.db, rows).await? })
}
