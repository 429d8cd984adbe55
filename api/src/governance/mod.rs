//! Dynamic precise governance (动态精准治理) in the database: the trigger engine
//! (`zhicha_engine::triggers`) evaluated for an enterprise over its stored state, its
//! decisions written as escalations, tasks and notifications, manual escalations and
//! closures by bureaus, and the reads.
//!
//! When it runs: after accidents are imported (each enterprise touched), after a
//! finding is submitted or rejected, after the clock marks findings overdue, and for
//! every enterprise on `[governance] interval_minutes`. Other code that changes what
//! the rules read (a task done by an expert, a report submitted) calls
//! [`evaluate_soon`], which coalesces: at most one evaluation of an enterprise runs
//! and one waits (`platform::coalesce`).

pub mod apply;
pub mod complete;
pub mod experts;
pub mod job;
pub mod manual;
pub mod reminders;
pub mod state;
pub mod tasks;
pub mod view;

pub use apply::{Applied, evaluate_enterprise};
pub use tasks::awaiting_dispatch;

use chrono::Utc;

use crate::platform::events::{Event, Events};
use crate::reference::rules::Rules;
use crate::state::AppState;

impl AppState {
    /// The rules this application was built with.
    pub fn rules(&self) -> Rules {
        Rules {
            catalog: self.catalog.clone(),
            hazards: self.hazards.clone(),
            profiles: self.profiles.clone(),
            triggers: self.triggers.clone(),
            analysis: self.analysis.clone(),
        }
    }
}

/// Subscribes the trigger engine to the writes that change what its rules read.
pub fn subscribe(events: &mut Events<AppState>) {
    events.subscribe(|state, event| {
        if let Event::TriggerInputsChanged { enterprise_id } = event {
            evaluate_soon(state, enterprise_id);
        }
        Box::pin(async {})
    });
}

/// Evaluates `enterprise_id` in the background, soon; errors are logged, never returned,
/// so the request that caused it does not fail for it. Coalesced: if an evaluation of
/// the enterprise is waiting to start this does nothing (that one reads this write); if
/// one is running, exactly one more runs after it.
pub fn evaluate_soon(state: &AppState, enterprise_id: i64) {
    if !state.evaluations.request(enterprise_id) {
        return;
    }
    let jobs = state.jobs.clone();
    let state = state.clone();
    // Kept as a job: a shutdown waits for an evaluation under way to write its decisions.
    jobs.spawn(move |_| async move {
        // Let the burst that asked for it land first: writes in the meantime find this
        // one queued and are read by it.
        tokio::time::sleep(std::time::Duration::from_millis(state.settings.governance.delay_ms)).await;
        let pending = state.evaluations.clone();
        pending
            .run(enterprise_id, || async {
                // Another instance (or the sweep) evaluating the enterprise holds its
                // lock: wait without a connection or a slot and try again, since it may
                // have read before the write that asked for this evaluation.
                let mut pause = std::time::Duration::from_millis(50);
                loop {
                    let Ok(slot) = state.evaluation_slots.acquire().await else { break };
                    let tried =
                        apply::try_evaluate_enterprise(&state.db, &state.rules(), enterprise_id, Utc::now()).await;
                    drop(slot);
                    match tried {
                        Ok(Some(_)) => break,
                        Ok(None) => {
                            tokio::time::sleep(pause).await;
                            pause = (pause * 2).min(std::time::Duration::from_secs(2));
                        }
                        Err(e) => {
                            tracing::error!(enterprise_id, "trigger evaluation failed: {e}");
                            break;
                        }
                    }
                }
            })
            .await;
    });
}

/// Evaluates each enterprise in turn at `now`, logging failures; returns what was written.
pub async fn evaluate_each(
    state: &AppState,
    enterprise_ids: impl IntoIterator<Item = i64>,
    now: chrono::DateTime<Utc>,
) -> Vec<Applied> {
    let rules = state.rules();
    let mut out = Vec::new();
    for id in enterprise_ids {
        match evaluate_enterprise(&state.db, &rules, id, now).await {
            Ok(a) => out.push(a),
            Err(e) => tracing::error!(enterprise_id = id, "trigger evaluation failed: {e}"),
        }
    }
    out
}
