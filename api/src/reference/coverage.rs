//! New units covered on day one, the reference context's half: an enterprise that
//! entered the register (by API, roster or accident import) is scored at once. It has
//! no accidents of its own, so the refit scores it from its industry's and region's
//! rates (the model's prior); then `UnitsScored` is published and the self-inspection
//! context makes its recommended checklist (its coverage pass).

use std::time::Duration;

use chrono::Utc;

use super::scoring::{self, Refit, Trigger};
use crate::platform::events::{Event, Events};
use crate::state::AppState;
use crate::store::register;

/// How long a pass waits for another refit to finish before giving up (the scheduled
/// refit and the next pass include the unit anyway).
const BUSY_RETRIES: u32 = 120;

/// Subscribes the pass to `UnitsAdded`.
pub fn subscribe(events: &mut Events<AppState>) {
    events.subscribe(|state, event| {
        if event == Event::UnitsAdded {
            soon(state);
        }
        Box::pin(async {})
    });
}

/// Runs a pass in the background; errors are logged, never returned to the writer.
pub fn soon(state: &AppState) {
    let jobs = state.jobs.clone();
    let state = state.clone();
    jobs.spawn(move |_| async move {
        match pass(&state).await {
            Ok(()) => state.publish(Event::UnitsScored).await,
            Err(e) => tracing::error!("new units: scoring failed: {e:#}"),
        }
    });
}

/// Refits when a new unit lacks a score in the current fit.
async fn pass(state: &AppState) -> anyhow::Result<()> {
    let since = (Utc::now() - chrono::Duration::days(i64::from(state.settings.imports.new_unit_days))).fixed_offset();
    let config = scoring::job::config_of(&state.settings.risk);
    for _ in 0..BUSY_RETRIES {
        // Read again each time: a refit that was running may have scored them meanwhile.
        let units = register::new_units(&state.db, since).await?;
        let unscored = units.iter().filter(|u| !u.scored).count();
        if unscored == 0 {
            return Ok(());
        }
        let cutoff = scoring::default_cutoff(&state.db).await?;
        match scoring::refit(&state.db, Trigger::Import, cutoff, &config, None).await? {
            Refit::Fitted { fit_id, enterprises, .. } => {
                tracing::info!(fit_id, enterprises, unscored, "new units scored by a refit");
                return Ok(());
            }
            Refit::TooLittleData(why) => {
                // No fit can be made yet: the checklist is ranked by the industry alone.
                tracing::info!(unscored, "new units not scored: {why}");
                return Ok(());
            }
            // Another refit is running; it may have read the register before the unit.
            Refit::Busy | Refit::Fresh => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
    anyhow::bail!("another refit kept running; new units wait for the next one")
}
