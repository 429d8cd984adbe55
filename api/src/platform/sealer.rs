//! The audit sealer's schedule: every `audit.seal_every_ms`, the waiting records are
//! chained ([`super::audit::seal`]). On PostgreSQL the instances race for the head row
//! and the losers skip the step (`SKIP LOCKED`), so sealing runs once across instances
//! whatever their number. Every few seconds the backlog is measured; a record waiting
//! longer than `audit.max_lag_seconds` is reported in the log, once per stall.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::audit;
use super::jobs::Jobs;
use crate::config::AuditSettings;

/// How often the backlog is measured, in milliseconds.
const LAG_CHECK_MS: u64 = 5_000;

pub fn spawn(jobs: &Jobs, db: DatabaseConnection, s: AuditSettings) {
    let every = Duration::from_millis(s.seal_every_ms);
    let max_lag_ms = s.max_lag_seconds.saturating_mul(1000);
    let check_each = (LAG_CHECK_MS / s.seal_every_ms.max(1)).max(1);
    let ticks = Arc::new(AtomicU64::new(0));
    let stalled = Arc::new(AtomicBool::new(false));
    jobs.every(every, every, move || {
        let (db, ticks, stalled) = (db.clone(), ticks.clone(), stalled.clone());
        let batch = s.seal_batch;
        async move {
            // A full batch means more wait: go on within the step, so a burst drains at
            // the sealer's speed rather than one batch per tick.
            loop {
                match audit::seal(&db, batch).await {
                    Ok(done) if done.records as u64 == batch => {}
                    Ok(_) => break,
                    Err(e) => {
                        tracing::error!("audit sealing failed: {e}");
                        break;
                    }
                }
            }
            if !ticks.fetch_add(1, Ordering::Relaxed).is_multiple_of(check_each) {
                return;
            }
            if let Ok(lag) = audit::lag(&db).await {
                let behind = lag.oldest_ms > max_lag_ms;
                if behind && !stalled.swap(true, Ordering::Relaxed) {
                    tracing::warn!(waiting = lag.waiting, oldest_ms = lag.oldest_ms, "audit sealing is behind");
                } else if !behind && stalled.swap(false, Ordering::Relaxed) {
                    tracing::info!("audit sealing has caught up");
                }
            }
        }
    });
}
