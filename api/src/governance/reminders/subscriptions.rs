//! Consent for subscription messages: each acceptance the user gives in
//! `wx.requestSubscribeMessage` allows WeChat to deliver one message of the template,
//! so the server keeps a count per user and spends one per message sent.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::reminders as store;

/// The template for rectification reminders.
pub const TEMPLATE: &str = "rectification_reminder";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// `rectification_reminder`.
    #[schema(pattern = "^rectification_reminder$")]
    pub template: String,
    /// How many acceptances `wx.requestSubscribeMessage` just returned for it (1-10).
    #[schema(minimum = 1, maximum = 10)]
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
    if req.template != TEMPLATE {
        return Err(ApiError::field(ErrorCode::InvalidField, "template", "rectification_reminder"));
    }
    if !(1..=10).contains(&req.accepted) {
        return Err(ApiError::field(ErrorCode::InvalidField, "accepted", "1-10"));
    }
    let now = Utc::now().fixed_offset();
    let credits = store::add_credits(&state.db, caller.user_id, &req.template, req.accepted, now).await?;
    Ok(Subscriptions { template: req.template.clone(), credits })
}
