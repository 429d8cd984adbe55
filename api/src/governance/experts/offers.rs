//! The expert's answer to an offer (accept, decline with a reason) and offers that
//! expire unanswered. A declined or expired offer frees the task for re-dispatch.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dispatch::{Dispatched, dispatch_task};
use super::view::{TaskDetail, detail};
use super::{expert_of, invalid_state, own_task, system_audit};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::state::AppState;
use crate::store::tasks::{self, Dispatch, Task};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineRequest {
    /// Why (1-500 characters): busy, out of competence, a conflict not yet declared.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Declined {
    pub task_id: i64,
    /// Whether the task was offered to another expert at once.
    pub redispatched: bool,
}

/// The caller's open offer of `task`.
async fn open_offer(state: &AppState, caller: &Caller, task: &Task, now: DateTime<Utc>) -> Result<Dispatch, ApiError> {
    if task.status != "open" {
        return Err(invalid_state(&task.status, "the task is no longer offered"));
    }
    let offer =
        tasks::offer_of(&state.db, task.id, expert_of(caller)?).await?.ok_or_else(|| ApiError::not_found("task"))?;
    if offer.status != "offered" {
        return Err(invalid_state(&offer.status, "the offer has been answered"));
    }
    if offer.respond_by < now {
        return Err(invalid_state("expired", "the offer expired"));
    }
    Ok(offer)
}

/// The expert takes the task.
pub async fn accept(
    state: &AppState,
    caller: &Caller,
    id: i64,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<TaskDetail, ApiError> {
    let task = own_task(&state.db, caller, id).await?;
    let offer = open_offer(state, caller, &task, now).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let taken = tasks::accept(&txn, task.id, offer.expert_id).await?;
    if taken == 0 || !tasks::answer(&txn, offer.id, "accepted", None, Some(now)).await? {
        return Err(ApiError::new(ErrorCode::VersionConflict, "the task changed meanwhile; read it again")
            .with_details(serde_json::json!({ "current_version": task.version + 1 })));
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "task.accept", "task").object(task.id).enterprise(task.enterprise_id),
    )
    .await?;
    txn.commit().await?;
    detail(&state.db, own_task(&state.db, caller, id).await?).await
}

/// The expert declines with a reason; the task goes to another expert at once.
pub async fn decline(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &DeclineRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Declined, ApiError> {
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::field(ErrorCode::InvalidField, "reason", "1-500 characters"));
    }
    let task = own_task(&state.db, caller, id).await?;
    let offer = open_offer(state, caller, &task, now).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !tasks::answer(&txn, offer.id, "declined", Some(reason.to_string()), Some(now)).await?
        || tasks::release(&txn, task.id, offer.expert_id).await? == 0
    {
        return Err(ApiError::new(ErrorCode::VersionConflict, "the task changed meanwhile; read it again")
            .with_details(serde_json::json!({ "current_version": task.version + 1 })));
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "task.decline", "task").object(task.id).enterprise(task.enterprise_id).detail(reason),
    )
    .await?;
    txn.commit().await?;
    let redispatched = matches!(dispatch_task(state, task.id, now).await?, Dispatched::Offered { .. });
    Ok(Declined { task_id: task.id, redispatched })
}

/// Expires every offer unanswered past its deadline and frees its task; returns how
/// many. The caller dispatches the freed tasks again ([`super::tick`] does).
pub async fn expire_offers(state: &AppState, now: DateTime<Utc>) -> Result<u64, ApiError> {
    let due = tasks::expired_offers(&state.db, now).await?;
    let mut n = 0;
    for (offer, task) in due {
        let txn = crate::platform::db::begin_write(&state.db).await?;
        if !tasks::answer(&txn, offer.id, "expired", None, None).await? {
            continue;
        }
        tasks::release(&txn, offer.task_id, offer.expert_id).await?;
        let enterprise = task.map(|t| t.enterprise_id);
        let detail = format!("offer to expert {} unanswered by {}", offer.expert_id, offer.respond_by.to_rfc3339());
        audit::append(&txn, system_audit("task.offer_expired", offer.task_id, enterprise, detail)).await?;
        txn.commit().await?;
        n += 1;
    }
    Ok(n)
}
