//! The expert pool at work (专家库): dispatching expert visits and follow-up
//! inspections to qualified experts, their answers (accept, decline, expiry and
//! re-dispatch), and their work on site: check-in, findings into the enterprise's
//! hazard list, the task report with the 一企一策 plan, and the follow-up verdict.
//!
//! The governance side creates `tasks` of kind `expert_visit` or `follow_up` with no
//! expert; [`dispatch_task`] (right after its commit) or the periodic [`tick`] offers
//! them. A follow-up's verdict is the task's `result` (see [`field::follow_up`]).

mod dispatch;
mod field;
mod offers;
pub mod pool;
mod rank;
mod view;

pub use dispatch::{DISPATCHED_KINDS, Dispatched, Pending, UNFILLED_TOPIC, dispatch_pending, dispatch_task};
pub use field::{
    CheckinRequest, ExpertFinding, FOLLOW_UP_FAILED_TOPIC, FollowUpRequest, ReportRequest, checkin, follow_up, report,
    report_finding,
};
pub use offers::{DeclineRequest, Declined, accept, decline, expire_offers};
pub use rank::{Candidate, Draw, IndustryMatch, draw};
pub use view::{
    CheckinView, DispatchView, GovTask, GovTaskPage, ReportView, SiteView, TaskDetail, TaskView, detail, gov_list,
    list_for_expert,
};

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::error::{ApiError, ErrorCode};
use crate::identity::{Caller, Scope};
use crate::platform::audit::{Entry, Outcome};
use crate::state::AppState;
use crate::store::tasks::{self, Task};

/// The calling expert's id (403 for an account not linked to the pool).
pub fn expert_of(caller: &Caller) -> Result<i64, ApiError> {
    match caller.scope {
        Scope::Expert(id) => Ok(id),
        _ => Err(ApiError::new(ErrorCode::Forbidden, "this account is not linked to the expert pool")),
    }
}

/// A task dispatched to the calling expert; any other reads as not found.
pub async fn own_task(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Task, ApiError> {
    let expert = expert_of(caller)?;
    tasks::of_expert(db, expert, id).await?.ok_or_else(|| ApiError::not_found("task"))
}

/// A task dispatched to the calling expert, with its check-ins, report and result.
pub async fn own_task_detail(state: &AppState, caller: &Caller, id: i64) -> Result<TaskDetail, ApiError> {
    detail(&state.db, own_task(&state.db, caller, id).await?).await
}

/// 409 `invalid_state` naming the task's state.
#[track_caller]
fn invalid_state(state: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidState, message).with_details(serde_json::json!({ "state": state }))
}

/// An audit entry for what the dispatcher does on its own.
fn system_audit(action: &str, task: i64, enterprise: Option<i64>, detail: String) -> Entry {
    Entry {
        actor_id: None,
        actor_role: "system".to_string(),
        organisation_id: None,
        action: action.to_string(),
        object_kind: "task".to_string(),
        object_id: Some(task.to_string()),
        enterprise_id: enterprise,
        region_code: None,
        outcome: Outcome::Ok,
        request_id: None,
        ip: None,
        detail: Some(detail),
    }
}

/// What one dispatcher run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    pub expired: u64,
    pub offered: u64,
    pub unfilled: u64,
}

/// One run at `now`: expire unanswered offers, then dispatch every pending task.
pub async fn tick(state: &AppState, now: DateTime<Utc>) -> Result<Tick, ApiError> {
    let expired = expire_offers(state, now).await?;
    let p = dispatch_pending(state, now).await?;
    Ok(Tick { expired, offered: p.offered, unfilled: p.unfilled })
}

/// Runs [`tick`] every `experts.interval_seconds`, the first time one interval after
/// start-up (start-up has enough to do); failures are logged and retried.
pub fn spawn(state: AppState) {
    let every = Duration::from_secs(state.settings.experts.interval_seconds);
    state.jobs.clone().every(every, every, move || {
        let state = state.clone();
        async move {
            match tick(&state, Utc::now()).await {
                Ok(t) if t != Tick::default() => tracing::info!(?t, "expert dispatcher"),
                Ok(_) => {}
                Err(e) => tracing::error!("expert dispatcher failed: {e}"),
            }
        }
    });
}
