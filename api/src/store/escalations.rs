//! Escalations (`escalations`): the causes the trigger engine (or a bureau by hand)
//! opened for an enterprise, one row per `(enterprise_id, cause_key)`, each with the
//! tasks it created (`store::tasks`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::domain::Caller;
use crate::entities::escalations;
use crate::error::ApiError;
use crate::store::{scope, tasks};

pub type Escalation = escalations::Model;

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
    Ok(by_cause(db, enterprise_id, e.cause_key).await?.map(|m| m.id))
}

/// The enterprise's escalation of cause `key`.
pub async fn by_cause(db: &impl ConnectionTrait, enterprise_id: i64, key: &str) -> Result<Option<Escalation>, DbErr> {
    escalations::Entity::find()
        .filter(escalations::Column::EnterpriseId.eq(enterprise_id))
        .filter(escalations::Column::CauseKey.eq(key))
        .one(db)
        .await
}

/// Marks escalation `id` escalated (a higher level took over) if it is still open.
pub async fn mark_escalated(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    escalations::Entity::update_many()
        .col_expr(escalations::Column::State, Expr::value("escalated"))
        .filter(escalations::Column::Id.eq(id))
        .filter(escalations::Column::State.eq("open"))
        .exec(db)
        .await?;
    Ok(())
}

/// Closes the escalation of `key` if not yet closed and cancels its pending tasks;
/// `Some(row)` (as read before closing) when this call closed it.
pub async fn close(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    key: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<Escalation>, DbErr> {
    let Some(e) = by_cause(db, enterprise_id, key).await? else { return Ok(None) };
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
    tasks::cancel_pending_of_escalation(db, e.id).await?;
    Ok(Some(e))
}

/// The escalations `parent_id` led to.
pub async fn children_of(db: &impl ConnectionTrait, parent_id: i64) -> Result<Vec<Escalation>, DbErr> {
    escalations::Entity::find().filter(escalations::Column::ParentId.eq(parent_id)).all(db).await
}

/// Every escalation of the enterprise, closed ones included, by id.
pub async fn of_enterprise(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<Escalation>, DbErr> {
    escalations::Entity::find()
        .filter(escalations::Column::EnterpriseId.eq(enterprise_id))
        .order_by_asc(escalations::Column::Id)
        .all(db)
        .await
}

/// Which escalations a list shows. The caller checks that `enterprise_id` is in its
/// scope first, so that one outside it reads as not found rather than as none.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub level: Option<i16>,
    pub state: Option<&'a str>,
    pub enterprise_id: Option<i64>,
}

/// One page (1-based) of the escalations of enterprises in the caller's scope, newest
/// first, and how many there are.
pub async fn page_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    filter: &Filter<'_>,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<Escalation>), ApiError> {
    let firms = scope::enterprise_ids(caller, filter.enterprise_id)?;
    let mut q = escalations::Entity::find().filter(escalations::Column::EnterpriseId.in_subquery(firms));
    if let Some(l) = filter.level {
        q = q.filter(escalations::Column::Level.eq(l));
    }
    if let Some(s) = filter.state {
        q = q.filter(escalations::Column::State.eq(s));
    }
    let total = q.clone().count(db).await?;
    let rows = q.order_by_desc(escalations::Column::Id).offset((page - 1) * per_page).limit(per_page).all(db).await?;
    Ok((total, rows))
}

/// Escalation `id` if its enterprise is in the caller's scope.
pub async fn in_scope(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Option<Escalation>, ApiError> {
    Ok(escalations::Entity::find_by_id(id)
        .filter(escalations::Column::EnterpriseId.in_subquery(scope::enterprise_ids(caller, None)?))
        .one(db)
        .await?)
}
