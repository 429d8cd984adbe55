//! The outbox: messages written in the transaction that decided them and delivered
//! later, at most one per dedupe key, claimed with a lease so two instances never send
//! the same one.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::entities::outbox;

/// A row of the outbox.
pub type Message = outbox::Model;

/// Queues a message of `topic`, available at once, unless one with `dedupe_key` exists;
/// returns how many rows were written (0 or 1).
pub async fn enqueue_once(
    db: &impl ConnectionTrait,
    topic: &str,
    payload: Value,
    dedupe_key: String,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let row = outbox::ActiveModel {
        created_at: Set(now.fixed_offset()),
        topic: Set(topic.to_string()),
        payload: Set(payload),
        available_at: Set(now.fixed_offset()),
        attempts: Set(0),
        dedupe_key: Set(Some(dedupe_key)),
        ..Default::default()
    };
    outbox::Entity::insert(row)
        .on_conflict(OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await
}

/// Unlocked (or lease expired) messages of `topic` not yet dispatched and available
/// by `now`, oldest first, at most `limit`.
pub async fn due(
    db: &impl ConnectionTrait,
    topic: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Message>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Topic.eq(topic))
        .filter(outbox::Column::DispatchedAt.is_null())
        .filter(outbox::Column::AvailableAt.lte(now.fixed_offset()))
        .filter(unlocked(now))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

fn unlocked(now: DateTime<Utc>) -> Condition {
    Condition::any().add(outbox::Column::LockedUntil.is_null()).add(outbox::Column::LockedUntil.lt(now.fixed_offset()))
}

/// Takes the lease on message `id` until `until` if it is undispatched and unlocked at
/// `now`; whether this call took it.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let taken = outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::value(until.fixed_offset()))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::DispatchedAt.is_null())
        .filter(unlocked(now))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Marks message `id` dispatched at `now`, with why it was not sent if it was not.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::DispatchedAt, Expr::value(now.fixed_offset()))
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Releases message `id` to be tried again at `at`, its `attempts` and `error` recorded.
pub async fn retry_at(
    db: &impl ConnectionTrait,
    id: i64,
    attempts: i32,
    at: DateTime<Utc>,
    error: String,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::AvailableAt, Expr::value(at.fixed_offset()))
        .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<DateTime<FixedOffset>>::None))
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
