//! Sends queued reminders. A row is claimed with a short lease first, so two
//! instances never send the same one; a crash mid-send leaves the lease to expire and
//! the row is tried again (WeChat may then deliver it twice, which a reminder survives).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::queue::TOPIC;
use super::subscriptions::TEMPLATE;
use crate::error::ApiError;
use crate::platform::wechat::{SendOutcome, WechatError};
use crate::state::AppState;
use crate::store::outbox::{self, Message};
use crate::store::reminders::{clear, has_credit, spend};
use crate::store::users;

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
    let due = outbox::due(&state.db, TOPIC, now, BATCH).await?;
    let mut out = Dispatched::default();
    for row in due {
        if !outbox::claim(&state.db, row.id, now, now + Duration::seconds(LEASE_SECONDS)).await? {
            continue;
        }
        let done = send_one(state, &row).await?;
        let max = state.settings.reminders.max_attempts;
        match done {
            Done::Sent => {
                outbox::finish(&state.db, row.id, None, now).await?;
                out.sent += 1;
            }
            Done::Skipped(why) => {
                outbox::finish(&state.db, row.id, Some(why), now).await?;
                out.skipped += 1;
            }
            Done::Retry(why) if row.attempts + 1 >= max => {
                tracing::error!(outbox = row.id, "reminder given up after {max} attempts: {why}");
                outbox::finish(&state.db, row.id, Some(format!("gave up: {why}")), now).await?;
                out.failed += 1;
            }
            Done::Retry(why) => {
                // 1, 2, 4 … minutes, at most six hours.
                let pause = Duration::minutes(1i64 << row.attempts.clamp(0, 8)).min(Duration::hours(6));
                outbox::retry_at(&state.db, row.id, row.attempts + 1, now + pause, why).await?;
            }
        }
    }
    Ok(out)
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

async fn send_one(state: &AppState, row: &Message) -> Result<Done, ApiError> {
    let Some(user_id) = row.payload["user_id"].as_i64() else {
        return Ok(Done::Skipped("payload without user_id".into()));
    };
    let user = users::by_id(&state.db, user_id).await?;
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
