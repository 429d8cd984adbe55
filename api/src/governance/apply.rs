//! One evaluation of one enterprise, written in one transaction: gather the state, run
//! the engine, turn each decision into rows of `escalations`, `tasks` and `outbox`.
//!
//! Idempotent however often and on however many instances it runs:
//! - a cause is one row, `UNIQUE (enterprise_id, cause_key)`, inserted with
//!   `ON CONFLICT DO NOTHING`; only the transaction whose insert took creates the
//!   tasks and the notification, so a lost race writes nothing and raises nothing;
//! - escalating and closing are conditional updates (`WHERE state = 'open'`,
//!   `WHERE state <> 'closed'`), so the second of two does nothing;
//! - notifications carry a dedupe key per cause and event (`UNIQUE outbox.dedupe_key`);
//! - on PostgreSQL the transaction first takes an advisory lock on the enterprise, so
//!   two evaluations of one enterprise queue up and the second reads what the first
//!   wrote (and decides nothing) instead of deadlocking on each other's rows. The
//!   evaluations a write asks for only try the lock ([`try_evaluate_enterprise`]): one
//!   that finds it held gives its pooled connection back and is asked for again later,
//!   rather than holding the connection while it waits.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use zhicha_engine::findings::local_date;
use zhicha_engine::triggers::{self, Decision, EnterpriseState};

use super::tasks::{self as task_rows, NewTask};
use crate::error::ApiError;
use crate::reference::rules::Rules;
use crate::store::enterprises::{self, Enterprise};
use crate::store::escalations::{self, NewEscalation};
use crate::store::outbox;

/// Topic of escalation notifications in the outbox.
pub const TOPIC: &str = "escalation";
/// First key of the per-enterprise advisory lock ("zhicha governance").
const LOCK_NAMESPACE: i32 = 0x7a67_6f76;

/// What one evaluation wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub enterprise_id: i64,
    /// Escalations opened (rule causes and escalations further up).
    pub opened: Vec<i64>,
    pub escalated: Vec<i64>,
    pub closed: Vec<i64>,
    pub tasks: Vec<i64>,
    /// Decisions another evaluation had already carried out.
    pub skipped: usize,
}

impl Applied {
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.escalated.is_empty() && self.closed.is_empty()
    }
}

/// Evaluates `enterprise_id` against the trigger rules at `now` and writes the decisions,
/// waiting for an evaluation of the same enterprise under way elsewhere to finish.
pub async fn evaluate_enterprise(
    db: &DatabaseConnection,
    rules: &Rules,
    enterprise_id: i64,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    evaluate(db, rules, enterprise_id, now, Wait::Yes).await.map(|a| a.unwrap_or_default())
}

/// The same, unless another evaluation of the enterprise holds its lock: then `None`,
/// at once, and the caller asks again later (the other one may have read before the
/// write that asked for this one).
pub async fn try_evaluate_enterprise(
    db: &DatabaseConnection,
    rules: &Rules,
    enterprise_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Applied>, ApiError> {
    evaluate(db, rules, enterprise_id, now, Wait::No).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Yes,
    No,
}

async fn evaluate(
    db: &DatabaseConnection,
    rules: &Rules,
    enterprise_id: i64,
    now: DateTime<Utc>,
    wait: Wait,
) -> Result<Option<Applied>, ApiError> {
    let txn = crate::platform::db::begin_write(db).await?;
    let keys = [i64::from(LOCK_NAMESPACE), i64::from(lock_key(enterprise_id))];
    if !crate::platform::db::xact_lock(&txn, &keys, wait == Wait::Yes).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let enterprise = enterprises::by_id(&txn, enterprise_id).await?.ok_or_else(|| ApiError::not_found("enterprise"))?;
    let state = gather_for(&txn, &enterprise, now).await?;
    let decisions = triggers::evaluate(&state, &rules.triggers, now);
    let applied = write(&txn, rules, &enterprise, &decisions, now).await?;
    txn.commit().await?;
    if !applied.is_empty() {
        tracing::info!(
            enterprise_id,
            opened = applied.opened.len(),
            escalated = applied.escalated.len(),
            closed = applied.closed.len(),
            "escalations"
        );
    }
    Ok(Some(applied))
}

/// The enterprise's state as the rules see it at `now`.
pub async fn gather_for(
    db: &impl ConnectionTrait,
    enterprise: &Enterprise,
    now: DateTime<Utc>,
) -> Result<EnterpriseState, ApiError> {
    let joined = local_date(enterprise.created_at.with_timezone(&Utc));
    super::state::gather(db, enterprise.id, joined, now).await
}

/// The advisory lock's second key: the id folded into 32 bits (a collision only makes
/// two enterprises wait for each other).
fn lock_key(enterprise_id: i64) -> i32 {
    (enterprise_id ^ (enterprise_id >> 32)) as i32
}

/// Writes `decisions` for `enterprise`.
pub async fn write(
    db: &impl ConnectionTrait,
    rules: &Rules,
    enterprise: &Enterprise,
    decisions: &[Decision],
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let mut out = Applied { enterprise_id: enterprise.id, ..Applied::default() };
    for d in decisions {
        match d {
            Decision::Open(o) => {
                let row = NewEscalation {
                    level: o.level,
                    cause_key: &o.cause_key,
                    rule_id: Some(&o.rule_id),
                    rule_version: Some(o.rule_version.to_string()),
                    inputs: json!({ "subject": o.subject, "observed": o.inputs, "accident_ids": o.accident_ids, "finding_id": o.finding_id }),
                    manual: false,
                    created_by: None,
                    reason: None,
                    parent_id: None,
                };
                let Some(id) = escalations::insert(db, enterprise.id, &row, now).await? else {
                    out.skipped += 1;
                    continue;
                };
                let task = NewTask {
                    enterprise,
                    escalation_id: id,
                    kind: o.task,
                    due: o.due,
                    checklist: &o.checklist,
                    accident_ids: &o.accident_ids,
                    now,
                };
                out.tasks.extend(task_rows::create(db, &rules.hazards, &task).await?);
                notify(db, enterprise.id, id, &o.cause_key, "opened", o.level, now).await?;
                out.opened.push(id);
            }
            Decision::EscalateFurther(f) => {
                let Some(parent) = escalations::by_cause(db, enterprise.id, &f.from).await? else {
                    out.skipped += 1;
                    continue;
                };
                let row = NewEscalation {
                    level: f.level,
                    cause_key: &f.cause_key,
                    rule_id: Some(&f.rule_id),
                    rule_version: parent.rule_version.clone(),
                    inputs: json!({ "escalated_from": f.from, "reason": f.reason }),
                    manual: false,
                    created_by: None,
                    reason: Some(f.reason.clone()),
                    parent_id: Some(parent.id),
                };
                let Some(id) = escalations::insert(db, enterprise.id, &row, now).await? else {
                    out.skipped += 1;
                    continue;
                };
                escalations::mark_escalated(db, parent.id).await?;
                let task = NewTask {
                    enterprise,
                    escalation_id: id,
                    kind: f.task,
                    due: f.due,
                    checklist: &f.checklist,
                    accident_ids: &[],
                    now,
                };
                out.tasks.extend(task_rows::create(db, &rules.hazards, &task).await?);
                notify(db, enterprise.id, id, &f.cause_key, "escalated", f.level, now).await?;
                out.escalated.push(id);
            }
            Decision::Close(c) => match escalations::close(db, enterprise.id, &c.cause_key, &c.reason, now).await? {
                Some(e) => {
                    notify(db, enterprise.id, e.id, &c.cause_key, "closed", u8::try_from(e.level).unwrap_or(1), now)
                        .await?;
                    out.closed.push(e.id);
                }
                None => out.skipped += 1,
            },
        }
    }
    Ok(out)
}

/// Queues a notification of `event` for the escalation, once per cause and event.
pub async fn notify(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    escalation_id: i64,
    cause_key: &str,
    event: &str,
    level: u8,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let payload = json!({
        "event": event,
        "enterprise_id": enterprise_id,
        "escalation_id": escalation_id,
        "cause_key": cause_key,
        "level": level,
    });
    outbox::enqueue_once(db, TOPIC, payload, dedupe_key(enterprise_id, cause_key, event), now).await?;
    Ok(())
}

/// `escalation:{enterprise}:{cause key}:{event}`, hashed when longer than the column.
fn dedupe_key(enterprise_id: i64, cause_key: &str, event: &str) -> String {
    let key = format!("escalation:{enterprise_id}:{cause_key}:{event}");
    if key.len() <= 128 {
        return key;
    }
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("escalation:{enterprise_id}:sha256:{hex}")
}
