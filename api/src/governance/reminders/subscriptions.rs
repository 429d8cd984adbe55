//! Consent for subscription messages: each acceptance the user gives in
//! `wx.requestSubscribeMessage` allows WeChat to deliver one message of the template,
//! so the server keeps a count per user and spends one per message sent.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::subscriptions;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::state::AppState;

/// The template for rectification reminders.
pub const TEMPLATE: &str = "rectification_reminder";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// `rectification_reminder`.
    pub template: String,
    /// How many acceptances `wx.requestSubscribeMessage` just returned for it (1-10).
    pub accepted: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Subscriptions {
    pub template: String,
    /// Messages the server may still send.
    pub credits: i32,
}

pub async fn add_credits(
    state: &AppState,
    caller: &Caller,
    req: &SubscriptionRequest,
) -> Result<Subscriptions, ApiError> {
    let db = &state.db;
    if req.template != TEMPLATE {
        return Err(ApiError::field(ErrorCode::InvalidField, "template", "rectification_reminder"));
    }
    if !(1..=10).contains(&req.accepted) {
        return Err(ApiError::field(ErrorCode::InvalidField, "accepted", "1-10"));
    }
    let now = Utc::now().fixed_offset();
    subscriptions::Entity::insert(subscriptions::ActiveModel {
        created_at: Set(now),
        user_id: Set(caller.user_id),
        template: Set(req.template.clone()),
        credits: Set(req.accepted),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([subscriptions::Column::UserId, subscriptions::Column::Template])
            .value(
                subscriptions::Column::Credits,
                Expr::col((subscriptions::Entity, subscriptions::Column::Credits)).add(req.accepted),
            )
            .value(subscriptions::Column::UpdatedAt, Expr::value(now))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(caller.user_id))
        .filter(subscriptions::Column::Template.eq(req.template.as_str()))
        .one(db)
        .await?;
    Ok(Subscriptions { template: req.template.clone(), credits: row.map_or(0, |r| r.credits) })
}

/// Whether `user_id` has a message of `template` left.
pub(super) async fn has_credit(db: &impl ConnectionTrait, user_id: i64, template: &str) -> Result<bool, ApiError> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Template.eq(template))
        .filter(subscriptions::Column::Credits.gt(0))
        .one(db)
        .await?
        .is_some())
}

/// Spends one message of `template` after WeChat took it.
pub(super) async fn spend(db: &impl ConnectionTrait, user_id: i64, template: &str) -> Result<(), ApiError> {
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Credits, Expr::col(subscriptions::Column::Credits).sub(1))
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Template.eq(template))
        .filter(subscriptions::Column::Credits.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the credits when WeChat says the user has none (they were revoked).
pub(super) async fn clear(db: &impl ConnectionTrait, user_id: i64, template: &str) -> Result<(), ApiError> {
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Credits, Expr::value(0))
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Template.eq(template))
        .exec(db)
        .await?;
    Ok(())
}
