//! Reminders that fell due since the previous run go into the outbox, once each: the
//! dedupe key is (finding, kind, deadline), so a rerun adds nothing and an extension
//! (a new deadline) schedules new ones.

use chrono::{DateTime, Days, Utc};
use serde_json::json;
use zhicha_engine::findings::{local_date, reminder_schedule};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{findings, outbox};

pub const TOPIC: &str = "rectification_reminder";

/// Queues the reminders whose time is in `(since, now]`; returns how many were new.
pub async fn queue_reminders(state: &AppState, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, ApiError> {
    // A reminder falls at most three days before and one day after its deadline.
    let from = local_date(since).checked_sub_days(Days::new(2)).unwrap_or(local_date(since));
    let to = local_date(now).checked_add_days(Days::new(4)).unwrap_or(local_date(now));
    let owed = findings::owed_between(&state.db, from, to).await?;
    let mut queued = 0;
    for (r, f) in owed {
        let Some(f) = f.filter(|f| f.state == "to_rectify" || f.state == "overdue") else { continue };
        for reminder in reminder_schedule(r.deadline) {
            if reminder.at <= since || reminder.at > now {
                continue;
            }
            let key = format!("reminder:{}:{}:{}", f.id, reminder.kind.as_str(), r.deadline);
            let payload = json!({
                "user_id": r.assignee_id,
                "finding_id": f.id,
                "enterprise_id": f.enterprise_id,
                "kind": reminder.kind.as_str(),
                "deadline": r.deadline,
                "location": f.location,
            });
            let n = outbox::enqueue_once(&state.db, TOPIC, payload, key, now).await?;
            queued += n;
        }
    }
    Ok(queued)
}
