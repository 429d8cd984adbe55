//! The rectification clock: a job that marks findings overdue when their deadline day
//! ends (China time), queues reminders to the assignee in the outbox (09:00 three days
//! and one day before the deadline, and when it becomes overdue) and sends them as
//! WeChat subscription messages to users who accepted them.
//!
//! Every step is safe to run on several instances at once and to repeat after a crash:
//! the overdue transition is version-checked, each reminder has a dedupe key (finding,
//! kind, deadline), and outbox rows are claimed with a lease before they are sent.

mod dispatch;
mod overdue;
mod queue;
mod subscriptions;

pub use dispatch::dispatch;
pub use overdue::{mark_overdue, mark_overdue_of};
pub use queue::{TOPIC, queue_reminders};
pub use subscriptions::{SubscriptionRequest, Subscriptions, TEMPLATE, add_credits};

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::reminders as store;

const JOB: &str = "reminders";

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    pub marked_overdue: u64,
    pub queued: u64,
    pub sent: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// One run at `now`: overdue, then reminders due since the previous run, then sending.
pub async fn tick(state: &AppState, now: DateTime<Utc>) -> Result<Tick, ApiError> {
    let since = match store::last_run(&state.db, JOB).await? {
        Some(at) => at,
        // First run: nothing is older than the job itself.
        None => now - chrono::Duration::seconds(i64::try_from(state.settings.reminders.interval_seconds).unwrap_or(60)),
    };
    let (marked, touched) = mark_overdue_of(state, now).await?;
    // Overdue hazards can fire trigger rules (a major one overdue is level 4).
    crate::governance::evaluate_each(state, touched, now).await;
    let mut t = Tick { marked_overdue: marked, ..Tick::default() };
    t.queued = queue_reminders(state, since.min(now), now).await?;
    store::mark_run(&state.db, JOB, now).await?;
    let d = dispatch(state, now).await?;
    t.sent = d.sent;
    t.skipped = d.skipped;
    t.failed = d.failed;
    Ok(t)
}

/// Runs [`tick`] every `reminders.interval_seconds`; failures are logged and retried.
pub fn spawn(state: AppState) {
    let every = Duration::from_secs(state.settings.reminders.interval_seconds);
    state.jobs.clone().every(Duration::ZERO, every, move || {
        let state = state.clone();
        async move {
            match tick(&state, Utc::now()).await {
                Ok(t) if t != Tick::default() => tracing::info!(?t, "rectification clock"),
                Ok(_) => {}
                Err(e) => tracing::error!("rectification clock failed: {e}"),
            }
        }
    });
}
