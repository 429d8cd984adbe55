//! The demo city as a programme in progress: about half a year of activity, ending
//! today, generated deterministically (a fixed-seed RNG) through the same use cases
//! the HTTP handlers call — recommendation rounds, inspections with marks and findings,
//! generated photos through the evidence path, rectification, acceptance and
//! rejections, overdue and major hazards, the trigger rules' escalations and their
//! tasks, an expert visit with its follow-up, self-inspection reports and the
//! bureaus' receipts. Nothing is inserted around them.
//!
//! **Time.** The use cases stamp `domain::clock::now()`, which is the wall clock
//! except inside a simulated scope; the activity runs in one, setting the clock to
//! each act's day, and the jobs that take `now` (overdue marking, trigger evaluation,
//! expert dispatch) get it too. So every row carries the day its act happened and
//! deadlines, overdue hazards, close times and the rules' windows read as they would
//! have — no rows are rewritten afterwards. Two things keep the wall clock: the audit
//! trail (it records when the system wrote each record, which is now; its entries
//! carry the request id `demo-activity`) and the phones' sync feed.
//!
//! **Isolation.** The activity runs on a copy of the application state whose events
//! reach only the dashboard cache and whose background evaluations are refused (a
//! closed semaphore): the trigger rules are evaluated by the activity itself, at its
//! simulated times, so the result does not depend on timing. Which of several equally
//! qualified experts a task is offered to is drawn at random by the dispatcher, as in
//! production; everything else is the same on every run.

mod cast;
mod photo;
mod plan;
mod sim;
pub mod standalone;

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use crate::domain::clock::{self, SimClock};
use crate::platform::events::{Event, Events};
use crate::state::AppState;

pub use sim::Counts;

/// The seed of the activity's random choices.
const SEED: u64 = 20_260_701;

/// What the activity did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub counts: Counts,
    pub millis: u128,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "demo activity {} .. {}: {} rounds ({} items), {} marks, {} findings ({} major) with {} photos, \
             {} accepted, {} rejected, {} enterprise tasks done, {} expert offers taken, {} expert visit(s) \
             and {} follow-up(s), {} reports submitted ({} read, {} returned{}), in {} ms",
            self.from,
            self.to,
            c.rounds,
            c.recommended,
            c.marks,
            c.findings,
            c.majors,
            c.photos,
            c.accepted,
            c.rejected,
            c.tasks_completed,
            c.offers_accepted,
            c.expert_visits,
            c.follow_ups,
            c.reports,
            c.reports_read,
            c.reports_returned,
            if c.reports_skipped > 0 {
                format!(", {} not rendered for want of the report font", c.reports_skipped)
            } else {
                String::new()
            },
            self.millis
        )
    }
}

/// Runs the activity on the demo city just loaded (`seed::demo::load`) into `state`'s
/// database, ending now.
pub async fn run(state: &AppState) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let end = Utc::now();
    let start = plan::programme_start(end);
    let quiet = quiet_state(state);
    // The risk model ranks the checklists: fitted first, so every round reads it.
    refit(&quiet).await?;
    let cast = cast::read(&quiet.db).await?;
    let ids: Vec<i64> = cast.firms.iter().map(|f| f.enterprise.id).collect();
    crate::store::joined::set(&quiet.db, ids, start.fixed_offset()).await?;
    let sim_clock = SimClock::starting_at(start);
    let mut sim = sim::Sim::new(&quiet, sim_clock.clone(), cast, SEED, start, end);
    clock::simulated(&sim_clock, sim.run()).await?;
    // The dashboard's cached answers (if any were made meanwhile) are stale.
    for id in sim.enterprise_ids() {
        state.publish(Event::FiguresChanged { enterprise_id: id, region: None }).await;
    }
    Ok(Summary {
        from: plan::local_date(start),
        to: plan::local_date(end),
        counts: sim.counts.clone(),
        millis: started.elapsed().as_millis(),
    })
}

/// `state` with events reaching only the dashboard cache and background trigger
/// evaluations refused (see the module notes).
fn quiet_state(state: &AppState) -> AppState {
    let mut events = Events::default();
    crate::oversight::dashboard::subscribe(&mut events);
    let slots = tokio::sync::Semaphore::new(0);
    slots.close();
    AppState {
        events: Arc::new(events),
        evaluation_slots: Arc::new(slots),
        evaluations: Default::default(),
        jobs: crate::platform::jobs::Jobs::new(),
        ..state.clone()
    }
}

/// A current risk fit, waiting for one under way elsewhere (the start-up refit).
async fn refit(state: &AppState) -> anyhow::Result<()> {
    use crate::reference::scoring::job::config_of;
    use crate::reference::scoring::{Refit, Trigger, default_cutoff, refit};
    let cutoff = default_cutoff(&state.db).await?;
    let fresh = Some(chrono::Duration::hours(1));
    for _ in 0..100 {
        match refit(&state.db, Trigger::Manual, cutoff, &config_of(&state.settings.risk), fresh).await? {
            Refit::Busy => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            _ => return Ok(()),
        }
    }
    anyhow::bail!("the risk refit stayed busy for 10 s")
}
