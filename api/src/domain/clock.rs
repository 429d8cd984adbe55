//! The time a use case stamps on what it writes.
//!
//! Always the wall clock, except inside [`simulated`]: the demo city's activity
//! (the top-level `activity` module) runs the real use cases over half a year that has
//! already passed, so each one stamps the day the simulated act happens on its rows,
//! and deadlines, overdue marking, close times and the trigger rules' windows all
//! read as they would have. Only code running in the scope's own task sees the
//! simulated time; background jobs and requests keep the wall clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

tokio::task_local! {
    static SIMULATED: Arc<AtomicI64>;
}

/// Now: the wall clock, or the simulated time inside [`simulated`].
pub fn now() -> DateTime<Utc> {
    SIMULATED
        .try_with(|t| DateTime::from_timestamp_micros(t.load(Ordering::Relaxed)))
        .ok()
        .flatten()
        .unwrap_or_else(Utc::now)
}

/// A simulated clock, set by whoever runs the simulation.
#[derive(Debug, Clone)]
pub struct SimClock(Arc<AtomicI64>);

impl SimClock {
    pub fn starting_at(t: DateTime<Utc>) -> Self {
        Self(Arc::new(AtomicI64::new(t.timestamp_micros())))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        self.0.store(t.timestamp_micros(), Ordering::Relaxed);
    }

    pub fn get(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0.load(Ordering::Relaxed)).unwrap_or_else(Utc::now)
    }
}

/// Runs `f` with [`now`] answering `clock`'s time.
pub async fn simulated<F: Future>(clock: &SimClock, f: F) -> F::Output {
    SIMULATED.scope(clock.0.clone(), f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_simulated_time_holds_only_inside_its_scope() {
        let past = DateTime::from_timestamp(1_750_000_000, 0).unwrap_or_default();
        let clock = SimClock::starting_at(past);
        assert_eq!(simulated(&clock, async { now() }).await, past);
        clock.set(past + chrono::Duration::days(3));
        assert_eq!(simulated(&clock, async { now() }).await, past + chrono::Duration::days(3));
        assert!(now() > past + chrono::Duration::days(100), "outside: the wall clock");
    }
}
