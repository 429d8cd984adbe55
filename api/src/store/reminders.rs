//! The rectification clock's own rows: WeChat subscription-message credits per user and
//! template (`subscriptions`), and when each scheduled job last ran (`job_marks`).

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::{job_marks, subscriptions};

/// Adds `accepted` messages of `template` to the user's credits (a first acceptance
/// creates the row); returns the credits now held.
pub async fn add_credits(
    db: &impl ConnectionTrait,
    user_id: i64,
    template: &str,
    accepted: i32,
    now: DateTime<FixedOffset>,
) -> Result<i32, DbErr> {
    subscriptions::Entity::insert(subscriptions::ActiveModel {
        created_at: Set(now),
        user_id: Set(user_id),
        template: Set(template.to_string()),
        credits: Set(accepted),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([subscriptions::Column::UserId, subscriptions::Column::Template])
            .value(
                subscriptions::Column::Credits,
                Expr::col((subscriptions::Entity, subscriptions::Column::Credits)).add(accepted),
            )
            .value(subscriptions::Column::UpdatedAt, Expr::value(now))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Template.eq(template))
        .one(db)
        .await?;
    Ok(row.map_or(0, |r| r.credits))
}

/// Whether `user_id` has a message of `template` left.
pub async fn has_credit(db: &impl ConnectionTrait, user_id: i64, template: &str) -> Result<bool, DbErr> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Template.eq(template))
        .filter(subscriptions::Column::Credits.gt(0))
        .one(db)
        .await?
        .is_some())
}

/// Spends one message of `template` (never below zero).
pub async fn spend(db: &impl ConnectionTrait, user_id: i64, template: &str) -> Result<(), DbErr> {
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Credits, Expr::col(subscriptions::Column::Credits).sub(1))
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Template.eq(template))
        .filter(subscriptions::Column::Credits.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the user's credits of `template` to zero.
pub async fn clear(db: &impl ConnectionTrait, user_id: i64, template: &str) -> Result<(), DbErr> {
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Credits, Expr::value(0))
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Template.eq(template))
        .exec(db)
        .await?;
    Ok(())
}

/// When job `name` last ran, if ever.
pub async fn last_run(db: &impl ConnectionTrait, name: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(job_marks::Entity::find_by_id(name.to_string()).one(db).await?.map(|m| m.last_run_at.with_timezone(&Utc)))
}

/// Records that job `name` ran at `now`.
pub async fn mark_run(db: &impl ConnectionTrait, name: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    job_marks::Entity::insert(job_marks::ActiveModel {
        name: Set(name.to_string()),
        last_run_at: Set(now.fixed_offset()),
    })
    .on_conflict(OnConflict::column(job_marks::Column::Name).update_column(job_marks::Column::LastRunAt).to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(())
}
