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
//!   wrote (and decides nothing) instead of deadlocking on each other's rows.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use zhicha_engine::findings::local_date;
use zhicha_engine::triggers::{self, Decision, EnterpriseState};

use super::tasks::{self as task_rows, NewTask};
use crate::entities::{enterprises, escalations, outbox, tasks};
use crate::error::ApiError;
use crate::reference::rules::Rules;

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

/// Evaluates `enterprise_id` against the trigger rules at `now` and writes the decisions.
pub async fn evaluate_enterprise(
    db: &DatabaseConnection,
    rules: &Rules,
    enterprise_id: i64,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let txn = crate::platform::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let sql = format!("SELECT pg_advisory_xact_lock({LOCK_NAMESPACE}, {})", lock_key(enterprise_id));
        txn.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    }
    let enterprise = enterprises::Entity::find_by_id(enterprise_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("enterprise"))?;
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
    Ok(applied)
}

/// The enterprise's state as the rules see it at `now`.
pub async fn gather_for(
    db: &impl ConnectionTrait,
    enterprise: &enterprises::Model,
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
    enterprise: &enterprises::Model,
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
                let Some(id) = insert(db, enterprise.id, &row, now).await? else {
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
                let Some(parent) = find(db, enterprise.id, &f.from).await? else {
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
                let Some(id) = insert(db, enterprise.id, &row, now).await? else {
                    out.skipped += 1;
                    continue;
                };
                escalations::Entity::update_many()
                    .col_expr(escalations::Column::State, Expr::value("escalated"))
                    .filter(escalations::Column::Id.eq(parent.id))
                    .filter(escalations::Column::State.eq("open"))
                    .exec(db)
                    .await?;
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
            Decision::Close(c) => match close(db, enterprise.id, &c.cause_key, &c.reason, now).await? {
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

/// A row of `escalations` to insert.
pub struct NewEscalation<'a> {
    pub level: u8,
    pub cause_key: &'a str,
    pub rule_id: Option<&'a str>,
    pub rule_version: Option<String>,
    pub inputs: serde_json::Value,
    pub manual: bool,
    pub created_by: Option<i64>,
    pub reason: Option<String>,
    pub parent_id: Option<i64>,
}

/// Inserts the escalation unless its cause is recorded; `Some(id)` when this call made it.
pub async fn insert(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    e: &NewEscalation<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let row = escalations::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(enterprise_id),
        level: Set(i16::from(e.level)),
        cause_key: Set(e.cause_key.to_string()),
        rule_id: Set(e.rule_id.map(str::to_string)),
        rule_version: Set(e.rule_version.clone()),
        inputs: Set(e.inputs.clone()),
        state: Set("open".to_string()),
        manual: Set(e.manual),
        created_by: Set(e.created_by),
        reason: Set(e.reason.clone()),
        parent_id: Set(e.parent_id),
        ..Default::default()
    };
    let n = escalations::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([escalations::Column::EnterpriseId, escalations::Column::CauseKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    Ok(find(db, enterprise_id, e.cause_key).await?.map(|m| m.id))
}

async fn find(db: &impl ConnectionTrait, enterprise_id: i64, key: &str) -> Result<Option<escalations::Model>, DbErr> {
    escalations::Entity::find()
        .filter(escalations::Column::EnterpriseId.eq(enterprise_id))
        .filter(escalations::Column::CauseKey.eq(key))
        .one(db)
        .await
}

/// Closes the escalation of `key` if not yet closed and cancels its pending tasks;
/// `Some(row)` when this call closed it.
pub async fn close(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    key: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<escalations::Model>, DbErr> {
    let Some(e) = find(db, enterprise_id, key).await? else { return Ok(None) };
    let n = escalations::Entity::update_many()
        .col_expr(escalations::Column::State, Expr::value("closed"))
        .col_expr(escalations::Column::ClosedAt, Expr::value(now.fixed_offset()))
        .col_expr(escalations::Column::CloseReason, Expr::value(reason))
        .filter(escalations::Column::Id.eq(e.id))
        .filter(escalations::Column::State.ne("closed"))
        .exec(db)
        .await?
        .rows_affected;
    if n == 0 {
        return Ok(None);
    }
    tasks::Entity::update_many()
        .col_expr(tasks::Column::Status, Expr::value("cancelled"))
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .filter(tasks::Column::EscalationId.eq(e.id))
        .filter(tasks::Column::Status.is_in(["open", "accepted"]))
        .exec(db)
        .await?;
    Ok(Some(e))
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
    let row = outbox::ActiveModel {
        created_at: Set(now.fixed_offset()),
        topic: Set(TOPIC.to_string()),
        payload: Set(json!({
            "event": event,
            "enterprise_id": enterprise_id,
            "escalation_id": escalation_id,
            "cause_key": cause_key,
            "level": level,
        })),
        available_at: Set(now.fixed_offset()),
        attempts: Set(0),
        dedupe_key: Set(Some(dedupe_key(enterprise_id, cause_key, event))),
        ..Default::default()
    };
    outbox::Entity::insert(row)
        .on_conflict(OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
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

/// Enterprises with accidents stored by import run `run_id`.
pub async fn enterprises_of_run(db: &impl ConnectionTrait, run_id: i64) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    crate::entities::accidents::Entity::find()
        .select_only()
        .column(crate::entities::accidents::Column::EnterpriseId)
        .filter(crate::entities::accidents::Column::ImportRunId.eq(run_id))
        .distinct()
        .order_by_asc(crate::entities::accidents::Column::EnterpriseId)
        .into_tuple()
        .all(db)
        .await
}
