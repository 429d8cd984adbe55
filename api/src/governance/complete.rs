//! Completing the tasks people (not experts) carry out: the officer's self-inspection
//! and the safety-officer-assisted accident investigation (四不放过: cause found,
//! responsible handled, staff educated, measures taken), and the bureaus' joint research
//! and joint supervision. Every checklist item must be answered; the answers are the
//! task's result; the enterprise is evaluated again, so a finished task can close its
//! escalation.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::identity::service::Origin;
use crate::identity::{Caller, Scope};
use crate::platform::audit::{self, Entry};
use crate::state::AppState;
use crate::store::scope;
use crate::store::tasks::{self, Task};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TaskAnswer)]
pub struct Answer {
    /// The checklist item, as the task's `instructions.checklist` words it.
    pub item: String,
    /// What was done about it (1-2000 characters).
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTask {
    /// The version the caller read.
    pub version: i32,
    /// One answer per checklist item.
    pub answers: Vec<Answer>,
    /// The conclusion (1-2000 characters).
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CompletedTask)]
pub struct TaskView {
    pub id: i64,
    pub enterprise_id: i64,
    pub escalation_id: Option<i64>,
    pub kind: String,
    pub status: String,
    pub organisation_id: Option<i64>,
    pub due_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub completed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// What the task asks for: the checklist, and for an investigation its accidents and
    /// the implicated library items.
    #[schema(value_type = Option<Object>)]
    pub instructions: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub version: i32,
}

fn view(t: Task) -> TaskView {
    TaskView {
        id: t.id,
        enterprise_id: t.enterprise_id,
        escalation_id: t.escalation_id,
        kind: t.kind,
        status: t.status,
        organisation_id: t.organisation_id,
        due_at: t.due_at,
        completed_at: t.completed_at,
        instructions: t.instructions,
        result: t.result,
        version: t.version,
    }
}

const ENTERPRISE_KINDS: [&str; 2] = ["self_inspection", "accident_investigation"];
const BUREAU_KINDS: [&str; 2] = ["joint_research", "joint_supervision"];

/// The enterprise's own tasks (self-inspection, investigations), newest first.
pub async fn of_enterprise(state: &AppState, caller: &Caller) -> Result<Vec<TaskView>, ApiError> {
    let e = scope::enterprise(&state.db, caller, None).await?;
    let rows = tasks::of_enterprise(&state.db, e.id, &ENTERPRISE_KINDS).await?;
    Ok(rows.into_iter().map(view).collect())
}

/// The task `id` the caller may complete: an enterprise task of the officer's own
/// enterprise, or a joint task addressed to the bureau's organisation within its region.
async fn completable(state: &AppState, caller: &Caller, id: i64) -> Result<Task, ApiError> {
    let task = match caller.scope {
        Scope::Enterprise(e) => tasks::of_enterprise_by_id(&state.db, e, id, &ENTERPRISE_KINDS).await?,
        Scope::Region(_) => {
            let organisation = caller.organisation_id.unwrap_or(-1);
            tasks::addressed_in_scope(&state.db, caller, id, &BUREAU_KINDS, organisation).await?
        }
        _ => return Err(ApiError::new(ErrorCode::Forbidden, "this account completes no such tasks")),
    };
    task.ok_or_else(|| ApiError::not_found("task"))
}

fn text(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 2000 {
        return Err(ApiError::field(ErrorCode::InvalidField, field, "1-2000 characters"));
    }
    Ok(v.to_string())
}

pub async fn complete(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &CompleteTask,
    origin: &Origin,
) -> Result<TaskView, ApiError> {
    let task = completable(state, caller, id).await?;
    if !(task.status == "open" || task.status == "accepted") {
        return Err(ApiError::new(ErrorCode::InvalidState, format!("the task is {}", task.status))
            .with_details(json!({ "state": task.status })));
    }
    if req.version != task.version {
        return Err(ApiError::new(ErrorCode::VersionConflict, "the task changed since it was read")
            .with_details(json!({ "current_version": task.version })));
    }
    let checklist: Vec<String> = task
        .instructions
        .as_ref()
        .and_then(|i| serde_json::from_value(i["checklist"].clone()).ok())
        .unwrap_or_default();
    let summary = text("summary", &req.summary)?;
    let mut answers = Vec::with_capacity(checklist.len());
    for (n, item) in checklist.iter().enumerate() {
        let Some(a) = req.answers.iter().find(|a| a.item.trim() == item) else {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                &format!("answers[{n}]"),
                format!("answer every checklist item; missing: {item}"),
            ));
        };
        answers.push(json!({ "item": item, "note": text(&format!("answers[{n}].note"), &a.note)? }));
    }
    if let Some((n, a)) = req.answers.iter().enumerate().find(|(_, a)| !checklist.iter().any(|c| c == a.item.trim())) {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            &format!("answers[{n}].item"),
            format!("not on the checklist: {}", a.item),
        ));
    }
    let now = crate::domain::clock::now();
    let result = json!({ "kind": task.kind, "answers": answers, "summary": summary, "completed_by": caller.user_id });
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !tasks::finish(&txn, task.id, task.version, None, result, now).await? {
        return Err(ApiError::new(ErrorCode::VersionConflict, "the task changed while this request ran"));
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "task.complete", "task").object(task.id).enterprise(task.enterprise_id),
    )
    .await?;
    txn.commit().await?;
    // A finished task can close its escalation.
    super::evaluate_soon(state, task.enterprise_id);
    let row = tasks::by_id(&state.db, task.id).await?.ok_or_else(|| ApiError::not_found("task"))?;
    Ok(view(row))
}
