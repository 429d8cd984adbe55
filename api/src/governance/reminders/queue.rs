//! Reminders that fell due since the previous run go into the outbox, once each: the
//! dedupe key is (finding, kind, deadline), so a rerun adds nothing and an extension
//! (a new deadline) schedules new ones.

use chrono::{DateTime, Days, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use zhicha_engine::findings::{local_date, reminder_schedule};

use crate::entities::{findings, outbox, rectifications};
use crate::error::ApiError;
use crate::state::AppState;

pub const TOPIC: &str = "rectification_reminder";

/// Queues the reminders whose time is in `(since, now]`; returns how many were new.
pub async fn queue_reminders(state: &AppState, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, ApiError> {
    // A reminder falls at most three days before and one day after its deadline.
    let from = local_date(since).checked_sub_days(Days::new(2)).unwrap_or(local_date(since));
    let to = local_date(now).checked_add_days(Days::new(4)).unwrap_or(local_date(now));
    let owed = rectifications::Entity::find()
        .filter(rectifications::Column::Status.is_in(["open", "rejected"]))
        .filter(rectifications::Column::Deadline.between(from, to))
        .find_also_related(findings::Entity)
        .all(&state.db)
        .await?;
    let mut queued = 0;
    for (r, f) in owed {
        let Some(f) = f.filter(|f| f.state == "to_rectify" || f.state == "overdue") else { continue };
        for reminder in reminder_schedule(r.deadline) {
            if reminder.at <= since || reminder.at > now {
                continue;
            }
            let key = format!("reminder:{}:{}:{}", f.id, reminder.kind.as_str(), r.deadline);
            let row = outbox::ActiveModel {
                created_at: Set(now.fixed_offset()),
                topic: Set(TOPIC.to_string()),
                payload: Set(json!({
                    "user_id": r.assignee_id,
                    "finding_id": f.id,
                    "enterprise_id": f.enterprise_id,
                    "kind": reminder.kind.as_str(),
                    "deadline": r.deadline,
                    "location": f.location,
                })),
                available_at: Set(now.fixed_offset()),
                attempts: Set(0),
                dedupe_key: Set(Some(key)),
                ..Default::default()
            };
            let n = outbox::Entity::insert(row)
                .on_conflict(OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
                .exec_without_returning(&state.db)
                .await?;
            queued += n;
        }
    }
    Ok(queued)
}
