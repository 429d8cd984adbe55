//! Sends queued reminders. A row is claimed with a short lease first, so two
//! instances never send the same one; a crash mid-send leaves the lease to expire and
//! the row is tried again (WeChat may then deliver it twice, which a reminder survives).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use super::queue::TOPIC;
use super::subscriptions::{TEMPLATE, clear, has_credit, spend};
use crate::entities::{outbox, users};
use crate::error::ApiError;
use crate::platform::wechat::{SendOutcome, WechatError};
use crate::state::AppState;

const BATCH: u64 = 100;
const LEASE_SECONDS: i64 = 120;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    pub sent: u64,
    /// Nothing to send to: no WeChat account, no consent, no template configured.
    pub skipped: u64,
    /// Given up after `reminders.max_attempts`.
    pub failed: u64,
}

enum Done {
    Sent,
    Skipped(String),
    Retry(String),
}

pub async fn dispatch(state: &AppState, now: DateTime<Utc>) -> Result<Dispatched, ApiError> {
    let due = outbox::Entity::find()
        .filter(outbox::Column::Topic.eq(TOPIC))
        .filter(outbox::Column::DispatchedAt.is_null())
        .filter(outbox::Column::AvailableAt.lte(now.fixed_offset()))
        .filter(
            Condition::any()
                .add(outbox::Column::LockedUntil.is_null())
                .add(outbox::Column::LockedUntil.lt(now.fixed_offset())),
        )
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut out = Dispatched::default();
    for row in due {
        if !claim(state, &row, now).await? {
            continue;
        }
        let done = send_one(state, &row).await?;
        let max = state.settings.reminders.max_attempts;
        match done {
            Done::Sent => {
                finish(state, row.id, None, now).await?;
                out.sent += 1;
            }
            Done::Skipped(why) => {
                finish(state, row.id, Some(why), now).await?;
                out.skipped += 1;
            }
            Done::Retry(why) if row.attempts + 1 >= max => {
                tracing::error!(outbox = row.id, "reminder given up after {max} attempts: {why}");
                finish(state, row.id, Some(format!("gave up: {why}")), now).await?;
                out.failed += 1;
            }
            Done::Retry(why) => {
                // 1, 2, 4 … minutes, at most six hours.
                let pause = Duration::minutes(1i64 << row.attempts.clamp(0, 8)).min(Duration::hours(6));
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::Attempts, Expr::value(row.attempts + 1))
                    .col_expr(outbox::Column::AvailableAt, Expr::value((now + pause).fixed_offset()))
                    .col_expr(
                        outbox::Column::LockedUntil,
                        Expr::value(Option::<chrono::DateTime<chrono::FixedOffset>>::None),
                    )
                    .col_expr(outbox::Column::LastError, Expr::value(why))
                    .filter(outbox::Column::Id.eq(row.id))
                    .exec(&state.db)
                    .await?;
            }
        }
    }
    Ok(out)
}

async fn claim(state: &AppState, row: &outbox::Model, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let taken = outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::value((now + Duration::seconds(LEASE_SECONDS)).fixed_offset()))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::DispatchedAt.is_null())
        .filter(
            Condition::any()
                .add(outbox::Column::LockedUntil.is_null())
                .add(outbox::Column::LockedUntil.lt(now.fixed_offset())),
        )
        .exec(&state.db)
        .await?;
    Ok(taken.rows_affected == 1)
}

async fn finish(state: &AppState, id: i64, error: Option<String>, now: DateTime<Utc>) -> Result<(), ApiError> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::DispatchedAt, Expr::value(now.fixed_offset()))
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .filter(outbox::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// What the reminder says, in the template's three fields (WeChat caps `thing` at 20
/// characters).
fn message(openid: &str, template: &str, page: &str, p: &Value) -> Value {
    let location: String = p["location"].as_str().unwrap_or("隐患").chars().take(20).collect();
    let deadline = p["deadline"].as_str().unwrap_or_default();
    let due = match p["kind"].as_str() {
        Some("three_days_before") => "隐患整改将于3天后到期",
        Some("one_day_before") => "隐患整改明天到期",
        _ => "隐患整改已逾期，请尽快完成",
    };
    json!({
        "touser": openid,
        "template_id": template,
        "page": format!("{page}?id={}", p["finding_id"]),
        "data": {
            "thing1": { "value": location },
            "time2": { "value": deadline },
            "thing3": { "value": due },
        },
        "miniprogram_state": "formal",
        "lang": "zh_CN",
    })
}

async fn send_one(state: &AppState, row: &outbox::Model) -> Result<Done, ApiError> {
    let Some(user_id) = row.payload["user_id"].as_i64() else {
        return Ok(Done::Skipped("payload without user_id".into()));
    };
    let user = users::Entity::find_by_id(user_id).one(&state.db).await?;
    let Some(openid) = user.and_then(|u| u.wx_openid) else {
        return Ok(Done::Skipped("the assignee has no WeChat account".into()));
    };
    let s = &state.settings.reminders;
    let template = match (s.template_id.as_str(), state.wechat.is_standin()) {
        ("", false) => return Ok(Done::Skipped("reminders.template_id is not set".into())),
        ("", true) => "demo-template",
        (t, _) => t,
    };
    if !has_credit(&state.db, user_id, TEMPLATE).await? {
        return Ok(Done::Skipped("the assignee has not accepted reminders".into()));
    }
    match state.wechat.subscribe_send(&message(&openid, template, &s.page, &row.payload)).await {
        Ok(SendOutcome::Sent) => {
            spend(&state.db, user_id, TEMPLATE).await?;
            Ok(Done::Sent)
        }
        Ok(SendOutcome::NotSubscribed) => {
            clear(&state.db, user_id, TEMPLATE).await?;
            Ok(Done::Skipped("WeChat says the assignee has no acceptance left".into()))
        }
        Err(e @ (WechatError::Misconfigured(..) | WechatError::NotConfigured)) => {
            tracing::error!("reminder not sent: {e}");
            Ok(Done::Retry(e.to_string()))
        }
        Err(e) => Ok(Done::Retry(e.to_string())),
    }
}
