//! Tasks (`tasks`) with their offers to experts (`task_dispatches`) and the experts'
//! check-ins on site (`task_checkins`). Every status change bumps `version`, so a
//! write conditioned on the version read fails when anything changed meanwhile.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::domain::Caller;
use crate::entities::{enterprises, experts, task_checkins, task_dispatches, tasks};
use crate::error::ApiError;
use crate::store::enterprises::Enterprise;
use crate::store::experts::Expert;
use crate::store::scope;

pub type Task = tasks::Model;
/// An offer of a task to an expert.
pub type Dispatch = task_dispatches::Model;
pub type Checkin = task_checkins::Model;

/// A task to insert, at version 1.
pub struct NewTaskRow<'a> {
    pub enterprise_id: i64,
    pub escalation_id: Option<i64>,
    pub accident_id: Option<i64>,
    pub kind: &'a str,
    pub status: &'a str,
    pub expert_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
    pub instructions: Option<Value>,
}

/// Inserts a task created at `now`; returns its id.
pub async fn insert(db: &impl ConnectionTrait, t: NewTaskRow<'_>, now: DateTime<Utc>) -> Result<i64, DbErr> {
    let row = tasks::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(t.enterprise_id),
        escalation_id: Set(t.escalation_id),
        accident_id: Set(t.accident_id),
        kind: Set(t.kind.to_string()),
        status: Set(t.status.to_string()),
        expert_id: Set(t.expert_id),
        organisation_id: Set(t.organisation_id),
        due_at: Set(t.due_at.map(|d| d.fixed_offset())),
        instructions: Set(t.instructions),
        version: Set(1),
        ..Default::default()
    };
    Ok(tasks::Entity::insert(row).exec(db).await?.last_insert_id)
}

/// Task `id`, outside any caller's scope: for a task already read in scope, or for jobs.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Task>, DbErr> {
    tasks::Entity::find_by_id(id).one(db).await
}

/// Cancels the escalation's tasks still open or accepted.
pub async fn cancel_pending_of_escalation(db: &impl ConnectionTrait, escalation_id: i64) -> Result<(), DbErr> {
    tasks::Entity::update_many()
        .col_expr(tasks::Column::Status, Expr::value("cancelled"))
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .filter(tasks::Column::EscalationId.eq(escalation_id))
        .filter(tasks::Column::Status.is_in(["open", "accepted"]))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks task `id` done at `now` with `result` if it is still at `version` (and, given
/// `from`, in that status); whether it was.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    version: i32,
    from: Option<&str>,
    result: Value,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut q = tasks::Entity::update_many()
        .col_expr(tasks::Column::Status, Expr::value("done"))
        .col_expr(tasks::Column::CompletedAt, Expr::value(now.fixed_offset()))
        .col_expr(tasks::Column::Result, Expr::value(result))
        .col_expr(tasks::Column::Version, Expr::value(version + 1))
        .filter(tasks::Column::Id.eq(id))
        .filter(tasks::Column::Version.eq(version));
    if let Some(status) = from {
        q = q.filter(tasks::Column::Status.eq(status));
    }
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// The enterprise's tasks of `kinds`, newest first.
pub async fn of_enterprise(db: &impl ConnectionTrait, enterprise_id: i64, kinds: &[&str]) -> Result<Vec<Task>, DbErr> {
    tasks::Entity::find()
        .filter(tasks::Column::EnterpriseId.eq(enterprise_id))
        .filter(tasks::Column::Kind.is_in(kinds.iter().copied()))
        .order_by_desc(tasks::Column::Id)
        .all(db)
        .await
}

/// Task `id` if it is the enterprise's and of one of `kinds`.
pub async fn of_enterprise_by_id(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    id: i64,
    kinds: &[&str],
) -> Result<Option<Task>, DbErr> {
    tasks::Entity::find_by_id(id)
        .filter(tasks::Column::EnterpriseId.eq(enterprise_id))
        .filter(tasks::Column::Kind.is_in(kinds.iter().copied()))
        .one(db)
        .await
}

/// Task `id` if it is of one of `kinds`, addressed to `organisation_id` and of an
/// enterprise in the caller's scope.
pub async fn addressed_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
    kinds: &[&str],
    organisation_id: i64,
) -> Result<Option<Task>, ApiError> {
    Ok(tasks::Entity::find_by_id(id)
        .filter(tasks::Column::EnterpriseId.in_subquery(scope::enterprise_ids(caller, None)?))
        .filter(tasks::Column::Kind.is_in(kinds.iter().copied()))
        .filter(tasks::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?)
}

/// (id, completed at) of the enterprise's done tasks of `kind`.
pub async fn done_of_kind(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    kind: &str,
) -> Result<Vec<(i64, Option<DateTime<FixedOffset>>)>, DbErr> {
    tasks::Entity::find()
        .select_only()
        .columns([tasks::Column::Id, tasks::Column::CompletedAt])
        .filter(tasks::Column::EnterpriseId.eq(enterprise_id))
        .filter(tasks::Column::Kind.eq(kind))
        .filter(tasks::Column::Status.eq("done"))
        .into_tuple()
        .all(db)
        .await
}

/// The results of the enterprise's done tasks of `kind`.
pub async fn done_results_of_kind(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    kind: &str,
) -> Result<Vec<Option<Value>>, DbErr> {
    tasks::Entity::find()
        .select_only()
        .column(tasks::Column::Result)
        .filter(tasks::Column::EnterpriseId.eq(enterprise_id))
        .filter(tasks::Column::Kind.eq(kind))
        .filter(tasks::Column::Status.eq("done"))
        .into_tuple()
        .all(db)
        .await
}

/// The enterprise's tasks that belong to an escalation.
pub async fn of_escalations_of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<Task>, DbErr> {
    tasks::Entity::find()
        .filter(tasks::Column::EnterpriseId.eq(enterprise_id))
        .filter(tasks::Column::EscalationId.is_not_null())
        .all(db)
        .await
}

/// The escalation's tasks, by id.
pub async fn of_escalation(db: &impl ConnectionTrait, escalation_id: i64) -> Result<Vec<Task>, DbErr> {
    tasks::Entity::find()
        .filter(tasks::Column::EscalationId.eq(escalation_id))
        .order_by_asc(tasks::Column::Id)
        .all(db)
        .await
}

/// Open tasks of `kinds` without an expert, the earliest due first, then by id.
pub async fn awaiting_expert(db: &impl ConnectionTrait, kinds: &[&str], limit: u64) -> Result<Vec<Task>, DbErr> {
    tasks::Entity::find()
        .filter(tasks::Column::Kind.is_in(kinds.iter().copied()))
        .filter(tasks::Column::Status.eq("open"))
        .filter(tasks::Column::ExpertId.is_null())
        .order_by_asc(tasks::Column::DueAt)
        .order_by_asc(tasks::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Ids of the open tasks of `kinds` without an expert, oldest first.
pub async fn awaiting_expert_ids(db: &impl ConnectionTrait, kinds: &[&str], limit: u64) -> Result<Vec<i64>, DbErr> {
    tasks::Entity::find()
        .select_only()
        .column(tasks::Column::Id)
        .filter(tasks::Column::Status.eq("open"))
        .filter(tasks::Column::ExpertId.is_null())
        .filter(tasks::Column::Kind.is_in(kinds.iter().copied()))
        .order_by_asc(tasks::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Task `id` if it was dispatched to `expert_id`.
pub async fn of_expert(db: &impl ConnectionTrait, expert_id: i64, id: i64) -> Result<Option<Task>, DbErr> {
    tasks::Entity::find_by_id(id).filter(tasks::Column::ExpertId.eq(expert_id)).one(db).await
}

/// The tasks dispatched to `expert_id`, newest first, at most `limit`.
pub async fn list_of_expert(db: &impl ConnectionTrait, expert_id: i64, limit: u64) -> Result<Vec<Task>, DbErr> {
    tasks::Entity::find()
        .filter(tasks::Column::ExpertId.eq(expert_id))
        .order_by_desc(tasks::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Gives task `id` to `expert_id` if it is still open, without expert and at `version`;
/// whether it did.
pub async fn claim_for(db: &impl ConnectionTrait, id: i64, expert_id: i64, version: i32) -> Result<bool, DbErr> {
    let claimed = tasks::Entity::update_many()
        .col_expr(tasks::Column::ExpertId, Expr::value(expert_id))
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .filter(tasks::Column::Id.eq(id))
        .filter(tasks::Column::Status.eq("open"))
        .filter(tasks::Column::ExpertId.is_null())
        .filter(tasks::Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected != 0)
}

/// Frees open task `id` from `expert_id` (a task the expert no longer holds is left
/// alone); the rows changed.
pub async fn release(db: &impl ConnectionTrait, id: i64, expert_id: i64) -> Result<u64, DbErr> {
    let r = tasks::Entity::update_many()
        .col_expr(tasks::Column::ExpertId, Expr::value(Option::<i64>::None))
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .filter(tasks::Column::Id.eq(id))
        .filter(tasks::Column::ExpertId.eq(expert_id))
        .filter(tasks::Column::Status.eq("open"))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Marks open task `id` of `expert_id` accepted; the rows changed.
pub async fn accept(db: &impl ConnectionTrait, id: i64, expert_id: i64) -> Result<u64, DbErr> {
    let r = tasks::Entity::update_many()
        .col_expr(tasks::Column::Status, Expr::value("accepted"))
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .filter(tasks::Column::Id.eq(id))
        .filter(tasks::Column::ExpertId.eq(expert_id))
        .filter(tasks::Column::Status.eq("open"))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// How many open or accepted tasks each of `expert_ids` holds (those with none are
/// left out).
pub async fn open_counts(db: &impl ConnectionTrait, expert_ids: Vec<i64>) -> Result<HashMap<i64, i64>, DbErr> {
    Ok(tasks::Entity::find()
        .select_only()
        .column(tasks::Column::ExpertId)
        .column_as(Expr::col(tasks::Column::Id).count(), "n")
        .filter(tasks::Column::ExpertId.is_in(expert_ids))
        .filter(tasks::Column::Status.is_in(["open", "accepted"]))
        .group_by(tasks::Column::ExpertId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// One page (1-based) of the tasks of enterprises in the caller's scope, optionally of
/// one kind and status, newest first, each with its enterprise; and how many there are.
pub async fn page_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    kind: Option<&str>,
    status: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<(Task, Option<Enterprise>)>), ApiError> {
    let firms = scope::enterprise_ids(caller, None)?;
    let mut q = tasks::Entity::find().filter(tasks::Column::EnterpriseId.in_subquery(firms));
    if let Some(k) = kind {
        q = q.filter(tasks::Column::Kind.eq(k));
    }
    if let Some(s) = status {
        q = q.filter(tasks::Column::Status.eq(s));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .find_also_related(enterprises::Entity)
        .order_by_desc(tasks::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((total, rows))
}

// Offers.

/// An offer to insert.
pub struct NewDispatch<'a> {
    pub task_id: i64,
    pub expert_id: i64,
    pub status: &'a str,
    /// How the expert was chosen.
    pub drawn_from: Value,
    pub respond_by: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
}

/// Inserts an offer made at `now`; returns its id.
pub async fn insert_dispatch(db: &impl ConnectionTrait, d: NewDispatch<'_>, now: DateTime<Utc>) -> Result<i64, DbErr> {
    let row = task_dispatches::ActiveModel {
        created_at: Set(now.fixed_offset()),
        task_id: Set(d.task_id),
        expert_id: Set(d.expert_id),
        status: Set(d.status.to_string()),
        drawn_from: Set(d.drawn_from),
        offered_at: Set(now.fixed_offset()),
        respond_by: Set(d.respond_by.fixed_offset()),
        responded_at: Set(d.responded_at.map(|t| t.fixed_offset())),
        ..Default::default()
    };
    Ok(task_dispatches::Entity::insert(row).exec(db).await?.last_insert_id)
}

/// Every offer of the task.
pub async fn dispatches_of(db: &impl ConnectionTrait, task_id: i64) -> Result<Vec<Dispatch>, DbErr> {
    task_dispatches::Entity::find().filter(task_dispatches::Column::TaskId.eq(task_id)).all(db).await
}

/// Every offer of the task with its expert, oldest first.
pub async fn dispatches_with_experts(
    db: &impl ConnectionTrait,
    task_id: i64,
) -> Result<Vec<(Dispatch, Option<Expert>)>, DbErr> {
    task_dispatches::Entity::find()
        .filter(task_dispatches::Column::TaskId.eq(task_id))
        .find_also_related(experts::Entity)
        .order_by_asc(task_dispatches::Column::Id)
        .all(db)
        .await
}

/// The offer of the task to `expert_id`.
pub async fn offer_of(db: &impl ConnectionTrait, task_id: i64, expert_id: i64) -> Result<Option<Dispatch>, DbErr> {
    task_dispatches::Entity::find()
        .filter(task_dispatches::Column::TaskId.eq(task_id))
        .filter(task_dispatches::Column::ExpertId.eq(expert_id))
        .one(db)
        .await
}

/// The offer of the task to `expert_id`, with the expert.
pub async fn offer_with_expert(
    db: &impl ConnectionTrait,
    task_id: i64,
    expert_id: i64,
) -> Result<Option<(Dispatch, Option<Expert>)>, DbErr> {
    task_dispatches::Entity::find()
        .filter(task_dispatches::Column::TaskId.eq(task_id))
        .filter(task_dispatches::Column::ExpertId.eq(expert_id))
        .find_also_related(experts::Entity)
        .one(db)
        .await
}

/// Sets offer `id`'s answer if it is still `offered`; whether it was.
pub async fn answer(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    reason: Option<String>,
    at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let r = task_dispatches::Entity::update_many()
        .col_expr(task_dispatches::Column::Status, Expr::value(status))
        .col_expr(task_dispatches::Column::Reason, Expr::value(reason))
        .col_expr(task_dispatches::Column::RespondedAt, Expr::value(at.map(|t| t.fixed_offset())))
        .filter(task_dispatches::Column::Id.eq(id))
        .filter(task_dispatches::Column::Status.eq("offered"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Offers still unanswered past their deadline at `now`, each with its task.
pub async fn expired_offers(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<(Dispatch, Option<Task>)>, DbErr> {
    task_dispatches::Entity::find()
        .filter(task_dispatches::Column::Status.eq("offered"))
        .filter(task_dispatches::Column::RespondBy.lt(now.fixed_offset()))
        .find_also_related(tasks::Entity)
        .all(db)
        .await
}

// Check-ins.

/// A check-in to record.
pub struct NewCheckin {
    pub task_id: i64,
    pub expert_id: i64,
    pub user_id: i64,
    /// The phone's time.
    pub client_at: Option<DateTime<FixedOffset>>,
    pub latitude: f64,
    pub longitude: f64,
    pub distance_m: Option<f64>,
    pub far: bool,
}

/// Records a check-in at `now` (the server's time is what counts).
pub async fn insert_checkin(db: &impl ConnectionTrait, c: NewCheckin, now: DateTime<Utc>) -> Result<Checkin, DbErr> {
    task_checkins::ActiveModel {
        created_at: Set(now.fixed_offset()),
        task_id: Set(c.task_id),
        expert_id: Set(c.expert_id),
        user_id: Set(c.user_id),
        checked_in_at: Set(now.fixed_offset()),
        client_at: Set(c.client_at),
        latitude: Set(c.latitude),
        longitude: Set(c.longitude),
        distance_m: Set(c.distance_m),
        far: Set(c.far),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The task's first check-in.
pub async fn first_checkin(db: &impl ConnectionTrait, task_id: i64) -> Result<Option<Checkin>, DbErr> {
    task_checkins::Entity::find()
        .filter(task_checkins::Column::TaskId.eq(task_id))
        .order_by_asc(task_checkins::Column::Id)
        .one(db)
        .await
}

/// The task's check-ins, by id.
pub async fn checkins_of(db: &impl ConnectionTrait, task_id: i64) -> Result<Vec<Checkin>, DbErr> {
    task_checkins::Entity::find()
        .filter(task_checkins::Column::TaskId.eq(task_id))
        .order_by_asc(task_checkins::Column::Id)
        .all(db)
        .await
}
