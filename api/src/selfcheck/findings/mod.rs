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
pub use create::{AccidentTypeCode, NewFinding, create, create_in};
pub use view::{
    ExtensionView, FindingDetail, FindingView, HistoryView, PhotoRef, PlanView, ProgressView, RectificationView,
    detail, finding_view, finding_views,
};

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::identity::Caller;
use crate::state::AppState;
pub use crate::store::findings::{Filter, in_scope};

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
    let (total, rows) = crate::store::findings::page(&state.db, caller, enterprise, filter, (page, per_page)).await?;
    Ok(FindingPage { page, per_page, total, findings: finding_views(&state.db, rows).await? })
}

/// One finding in the caller's scope (of `enterprise`, when given), in full.
pub async fn one(
    state: &AppState,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
) -> Result<FindingDetail, ApiError> {
    let f = in_scope(&state.db, caller, enterprise, id).await?;
    detail(&state.db, f).await
}
