//! Escalations as bureaus and enterprises read them, filtered by the caller's scope in
//! SQL (an escalation of an enterprise outside it reads as not found).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::escalations::{self, Escalation};
use crate::store::scope;
use crate::store::tasks::{self, Task};

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationView {
    pub id: i64,
    pub enterprise_id: i64,
    /// 1 自查自纠 … 5 联合督导.
    pub level: i16,
    /// `{rule id}/{subject}`, or `manual/...`; unique per enterprise.
    pub cause_key: String,
    pub rule_id: Option<String>,
    pub rule_version: Option<String>,
    /// `open`, `escalated` (a higher level took over) or `closed`.
    pub state: String,
    pub manual: bool,
    pub created_by: Option<i64>,
    pub reason: Option<String>,
    pub parent_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub closed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub close_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EscalationTask)]
pub struct TaskView {
    pub id: i64,
    /// `self_inspection`, `accident_investigation`, `expert_visit`, `joint_research`,
    /// `joint_supervision`, `follow_up`.
    pub kind: String,
    /// `open`, `accepted`, `done`, `cancelled`.
    pub status: String,
    pub accident_id: Option<i64>,
    /// Set by the expert dispatcher for expert tasks.
    pub expert_id: Option<i64>,
    /// The bureau a joint task is addressed to.
    pub organisation_id: Option<i64>,
    pub due_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub completed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The checklist; for an investigation the accidents and implicated hazard items.
    #[schema(value_type = Option<Object>)]
    pub instructions: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationDetail {
    #[serde(flatten)]
    pub escalation: EscalationView,
    /// What fired it: each comparison with the value read and the threshold; null for
    /// an escalation made by hand.
    #[schema(value_type = Option<Object>)]
    pub inputs: Value,
    pub tasks: Vec<TaskView>,
}

impl std::ops::Deref for EscalationDetail {
    type Target = EscalationView;
    fn deref(&self) -> &EscalationView {
        &self.escalation
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationPage {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub escalations: Vec<EscalationView>,
}

#[derive(Debug, Default)]
pub struct Filter {
    pub level: Option<i16>,
    pub state: Option<String>,
    pub enterprise_id: Option<i64>,
}

fn view(e: Escalation) -> (EscalationView, Value) {
    (
        EscalationView {
            id: e.id,
            enterprise_id: e.enterprise_id,
            level: e.level,
            cause_key: e.cause_key,
            rule_id: e.rule_id,
            rule_version: e.rule_version,
            state: e.state,
            manual: e.manual,
            created_by: e.created_by,
            reason: e.reason,
            parent_id: e.parent_id,
            created_at: e.created_at,
            closed_at: e.closed_at,
            close_reason: e.close_reason,
        },
        e.inputs,
    )
}

fn task_view(t: Task) -> TaskView {
    TaskView {
        id: t.id,
        kind: t.kind,
        status: t.status,
        accident_id: t.accident_id,
        expert_id: t.expert_id,
        organisation_id: t.organisation_id,
        due_at: t.due_at,
        completed_at: t.completed_at,
        instructions: t.instructions,
        result: t.result,
    }
}

/// Escalations of the enterprises in the caller's scope (one of them, given its id),
/// newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: &Filter,
    (page, per_page): (u64, u64),
) -> Result<EscalationPage, ApiError> {
    if let Some(l) = filter.level
        && !(1..=5).contains(&l)
    {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "level", "1-5"));
    }
    if let Some(s) = &filter.state
        && !["open", "escalated", "closed"].contains(&s.as_str())
    {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "state", "open, escalated or closed"));
    }
    if let Some(id) = filter.enterprise_id {
        // The enterprise itself must be in scope: out of scope is not found.
        scope::enterprise(&state.db, caller, Some(id)).await?;
    }
    let only = escalations::Filter {
        level: filter.level,
        state: filter.state.as_deref(),
        enterprise_id: filter.enterprise_id,
    };
    let (total, rows) = escalations::page_in_scope(&state.db, caller, &only, page, per_page).await?;
    Ok(EscalationPage { page, per_page, total, escalations: rows.into_iter().map(|e| view(e).0).collect() })
}

/// One escalation in the caller's scope, with its tasks.
pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> Result<EscalationDetail, ApiError> {
    let db = &state.db;
    let e = escalations::in_scope(db, caller, id).await?.ok_or_else(|| ApiError::not_found("escalation"))?;
    let tasks = tasks::of_escalation(db, e.id).await?;
    let (escalation, inputs) = view(e);
    Ok(EscalationDetail { escalation, inputs, tasks: tasks.into_iter().map(task_view).collect() })
}
