//! The scheduled sweep: every enterprise evaluated at `[governance] interval_minutes`,
//! which catches what only time changes (a task past due, a checkpoint passed, an
//! accident leaving its window). On PostgreSQL a transaction-scoped advisory lock,
//! held on one connection for the sweep, lets one instance sweep at a time; the others
//! skip the round (their writes would be idempotent, only wasted).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DbBackend;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::enterprises;

/// Advisory-lock key of the sweep ("zhicha govsweep" as a number).
pub const LOCK_KEY: i64 = 0x7a68_676f_7673_7770;

/// The sweep's row in `job_marks`: when the last round ran, on any instance.
const MARK: &str = "governance.sweep";

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    pub enterprises: usize,
    pub opened: usize,
    pub escalated: usize,
    pub closed: usize,
    /// Another instance held the lock; nothing was evaluated.
    pub busy: bool,
}

/// Evaluates every enterprise at `now`.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> Result<Sweep, ApiError> {
    // On PostgreSQL the guard is a transaction holding the sweep's advisory lock; SQLite
    // has one process and needs none (a write transaction held here would keep the
    // evaluations' writes waiting behind it in the writer queue).
    let guard = if state.db.get_database_backend() == DbBackend::Postgres {
        let guard = crate::platform::db::begin_write(&state.db).await?;
        if !crate::platform::db::xact_lock(&*guard, &[LOCK_KEY], false).await? {
            guard.rollback().await?;
            return Ok(Sweep { busy: true, ..Sweep::default() });
        }
        // Instances started at different times tick at different moments: the one
        // that comes second within half an interval finds the round done and skips it.
        let half =
            chrono::Duration::seconds(i64::try_from(state.settings.governance.interval_minutes).unwrap_or(60) * 30);
        if crate::store::reminders::last_run(&*guard, MARK).await?.is_some_and(|at| now - at < half) {
            guard.rollback().await?;
            return Ok(Sweep { busy: true, ..Sweep::default() });
        }
        Some(guard)
    } else {
        None
    };
    let ids = enterprises::all_ids(&state.db).await?;
    let applied = super::evaluate_each(state, ids.iter().copied(), now).await;
    if let Some(guard) = guard {
        // The mark commits with the guard, which releases the lock.
        crate::store::reminders::mark_run(&*guard, MARK, now).await?;
        guard.commit().await?;
    }
    Ok(Sweep {
        enterprises: ids.len(),
        opened: applied.iter().map(|a| a.opened.len()).sum(),
        escalated: applied.iter().map(|a| a.escalated.len()).sum(),
        closed: applied.iter().map(|a| a.closed.len()).sum(),
        busy: false,
    })
}

/// Sweeps every `governance.interval_minutes`, the first one interval after start-up
/// (start-up already has the refit and the clock to do).
pub fn spawn(state: AppState) {
    let every = Duration::from_secs(state.settings.governance.interval_minutes.saturating_mul(60));
    state.jobs.clone().every(every, every, move || {
        let state = state.clone();
        async move {
            match sweep(&state, Utc::now()).await {
                Ok(s) if s.busy => tracing::debug!("governance sweep skipped: another instance holds it"),
                Ok(s) => tracing::info!(?s, "governance sweep"),
                Err(e) => tracing::error!("governance sweep failed: {e}"),
            }
        }
    });
}
