//! The scheduled refit: at start-up when the current fit is missing or stale, then
//! every `risk.refit_interval_hours`. Failures are logged and retried next time.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use zhicha_engine::risk::RiskConfig;

use super::refit::{Refit, Trigger, default_cutoff, refit};
use crate::config::RiskSettings;
use crate::platform::jobs::Jobs;

pub fn config_of(s: &RiskSettings) -> RiskConfig {
    RiskConfig { horizon_months: s.horizon_months, ..RiskConfig::default() }
}

/// Refits now and says what happened, for the log or the terminal.
pub async fn run(db: &DatabaseConnection, trigger: Trigger, s: &RiskSettings) -> String {
    let cutoff = match default_cutoff(db).await {
        Ok(c) => c,
        Err(e) => return format!("risk refit failed: {e:#}"),
    };
    // A start-up refit is wanted when the fit is older than the interval; a scheduled
    // one unless some instance refitted within the last half interval.
    let hours = i64::try_from(s.refit_interval_hours.max(1)).unwrap_or(24);
    let fresh = match trigger {
        Trigger::Startup => Some(chrono::Duration::hours(hours)),
        Trigger::Schedule => Some(chrono::Duration::minutes(hours * 30)),
        _ => None,
    };
    match refit(db, trigger, cutoff, &config_of(s), fresh).await {
        Ok(Refit::Fitted { fit_id, enterprises, accidents, duration_ms }) => format!(
            "risk refit {fit_id} (cutoff {cutoff}): {enterprises} enterprises from {accidents} accidents in {duration_ms} ms"
        ),
        Ok(Refit::Busy) => "risk refit skipped: another one is running; the next one includes everything".to_string(),
        Ok(Refit::Fresh) => "risk refit skipped: the current fit is recent".to_string(),
        Ok(Refit::TooLittleData(why)) => format!("risk refit skipped: {why}"),
        Err(e) => format!("risk refit failed: {e:#}"),
    }
}

async fn run_logged(db: &DatabaseConnection, trigger: Trigger, s: &RiskSettings) {
    let said = run(db, trigger, s).await;
    if said.contains("failed") {
        tracing::error!("{said}");
    } else {
        tracing::info!("{said}");
    }
}

/// Starts the schedule on the current runtime.
pub fn spawn(jobs: &Jobs, db: DatabaseConnection, s: RiskSettings) {
    jobs.spawn(move |mut stop| async move {
        // Whether the fit is stale is judged under the refit's lock (see `run`), where
        // another instance's fit made meanwhile counts too.
        if s.refit_on_start {
            run_logged(&db, Trigger::Startup, &s).await;
        }
        let every = Duration::from_secs(s.refit_interval_hours.max(1) * 3600);
        loop {
            if stop.sleep(every).await {
                break;
            }
            run_logged(&db, Trigger::Schedule, &s).await;
        }
    });
}
