//! A bureau's own decisions: escalating an enterprise by hand, and closing (overriding)
//! an escalation. Both recorded with who and why, and audited in the same transaction.
//! The engine leaves manual escalations to people; a closed cause stays closed.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use zhicha_engine::triggers::TOP_LEVEL;

use super::apply;
use super::tasks::{self as task_rows, NewTask};
use super::view::{EscalationDetail, detail};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::state::AppState;
use crate::store::escalations::{self, NewEscalation};
use crate::store::scope;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualEscalation {
    /// 1 自查自纠 … 5 联合督导.
    #[schema(minimum = 1, maximum = 5)]
    pub level: u8,
    /// Why (recorded and audited), 2-500 characters.
    #[schema(min_length = 2, max_length = 500, pattern = "\\S[\\s\\S]*\\S")]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Why it is closed (recorded and audited), 2-500 characters.
    #[schema(min_length = 2, max_length = 500, pattern = "\\S[\\s\\S]*\\S")]
    pub reason: String,
}

fn check_reason(reason: &str) -> Result<String, ApiError> {
    let r = reason.trim();
    if !(2..=500).contains(&r.chars().count()) {
        return Err(ApiError::field(ErrorCode::InvalidField, "reason", "2-500 characters"));
    }
    Ok(r.to_string())
}

/// Escalates an enterprise in the caller's jurisdiction by hand, with the level's task.
pub async fn escalate(
    state: &AppState,
    caller: &Caller,
    enterprise_id: i64,
    req: &ManualEscalation,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<EscalationDetail, ApiError> {
    let reason = check_reason(&req.reason)?;
    if !(1..=TOP_LEVEL).contains(&req.level) {
        return Err(ApiError::field(ErrorCode::InvalidField, "level", "1-5"));
    }
    let e = scope::enterprise(&state.db, caller, Some(enterprise_id)).await?;
    let level = state
        .triggers
        .level(req.level)
        .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "level", "no such level"))?;
    let key = format!("manual/{}/{}", caller.user_id, now.timestamp_micros());
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let row = NewEscalation {
        level: req.level,
        cause_key: &key,
        rule_id: None,
        rule_version: None,
        inputs: json!({ "manual": true, "by": caller.user_id, "role": caller.role.as_str() }),
        manual: true,
        created_by: Some(caller.user_id),
        reason: Some(reason.clone()),
        parent_id: None,
    };
    let id = escalations::insert(&txn, e.id, &row, now)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "this escalation was just recorded; try again"))?;
    let due = zhicha_engine::findings::overdue_at(
        zhicha_engine::findings::local_date(now)
            .checked_add_days(chrono::Days::new(u64::from(level.due_days)))
            .unwrap_or(zhicha_engine::findings::local_date(now)),
    );
    let task = NewTask {
        enterprise: &e,
        escalation_id: id,
        kind: level.task,
        due,
        checklist: &level.checklist,
        accident_ids: &[],
        now,
    };
    task_rows::create(&txn, &state.hazards, &task).await?;
    apply::notify(&txn, e.id, id, &key, "opened", req.level, now).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "escalation.manual", "escalation")
            .object(id)
            .enterprise(e.id)
            .detail(format!("level {}: {reason}", req.level)),
    )
    .await?;
    txn.commit().await?;
    detail(state, caller, id).await
}

/// Closes an escalation in the caller's jurisdiction, and those it escalated to.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    escalation_id: i64,
    req: &CloseRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<EscalationDetail, ApiError> {
    let reason = check_reason(&req.reason)?;
    let current = detail(state, caller, escalation_id).await?;
    if current.state == "closed" {
        return Err(ApiError::new(ErrorCode::Conflict, "the escalation is already closed"));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let text = format!("closed by {} #{}: {reason}", caller.role.as_str(), caller.user_id);
    // The escalation and every one it led to, parents before children.
    let mut chain = vec![(current.id, current.cause_key.clone())];
    let mut i = 0;
    while i < chain.len() {
        let children = escalations::children_of(&txn, chain[i].0).await?;
        for c in children {
            if !chain.iter().any(|(id, _)| *id == c.id) {
                chain.push((c.id, c.cause_key));
            }
        }
        i += 1;
    }
    for (id, key) in &chain {
        if let Some(e) = escalations::close(&txn, current.enterprise_id, key, &text, now).await? {
            apply::notify(&txn, current.enterprise_id, *id, key, "closed", u8::try_from(e.level).unwrap_or(1), now)
                .await?;
        }
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "escalation.close", "escalation")
            .object(current.id)
            .enterprise(current.enterprise_id)
            .detail(reason),
    )
    .await?;
    txn.commit().await?;
    detail(state, caller, escalation_id).await
}
