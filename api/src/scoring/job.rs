//! The scheduled refit: at start-up when the current fit is missing or stale, then
//! every `risk.refit_interval_hours`. Failures are logged and retried next time.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use zhicha_engine::risk::RiskConfig;

use super::refit::{Refit, Trigger, refit};
use crate::config::RiskSettings;
use crate::entities::risk_fits;

pub fn config_of(s: &RiskSettings) -> RiskConfig {
    RiskConfig { horizon_months: s.horizon_months, ..RiskConfig::default() }
}

async fn run(db: &DatabaseConnection, trigger: Trigger, s: &RiskSettings) {
    match refit(db, trigger, Utc::now().date_naive(), &config_of(s)).await {
        Ok(Refit::Fitted { fit_id, enterprises, accidents, duration_ms }) => {
            tracing::info!(fit_id, enterprises, accidents, duration_ms, "risk refit done")
        }
        Ok(Refit::Busy) => tracing::info!("risk refit skipped: another one is running"),
        Ok(Refit::TooLittleData(why)) => tracing::info!("risk refit skipped: {why}"),
        Err(e) => tracing::error!("risk refit failed: {e:#}"),
    }
}

async fn stale(db: &DatabaseConnection, hours: u64) -> bool {
    let current = risk_fits::Entity::find().filter(risk_fits::Column::State.eq("current")).one(db).await;
    match current {
        Ok(Some(f)) => {
            (Utc::now() - f.created_at.with_timezone(&Utc)).num_hours() >= i64::try_from(hours).unwrap_or(24)
        }
        Ok(None) => true,
        Err(_) => false,
    }
}

/// Starts the schedule on the current runtime.
pub fn spawn(db: DatabaseConnection, s: RiskSettings) {
    tokio::spawn(async move {
        if s.refit_on_start && stale(&db, s.refit_interval_hours).await {
            run(&db, Trigger::Startup, &s).await;
        }
        let every = Duration::from_secs(s.refit_interval_hours.max(1) * 3600);
        loop {
            tokio::time::sleep(every).await;
            run(&db, Trigger::Schedule, &s).await;
        }
    });
}
