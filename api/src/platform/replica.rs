//! The read handle for the dashboard's and analysis' read-only queries: a PostgreSQL
//! streaming replica (hot standby) while its replay lag is within
//! `database.replica_max_lag_ms`, else the primary.
//!
//! The lag is measured on the replica at most once a second, by whichever request finds
//! the last measurement a second old (in a task of its own, so no request waits for it);
//! every other request reads the cached verdict from two atomics. A replica that does
//! not answer, or falls behind, sends reads back to the primary until it catches up; a
//! query the replica fails for a transient reason (it went away between measurements,
//! or cancelled the query in a conflict with recovery) is run again on the primary
//! ([`ReadDb::run`]). Writes, and reads that must see the caller's own write, always use
//! `AppState::db`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use crate::config::Settings;
use crate::error::{ApiError, ErrorCode};

/// How often the replica's lag is measured at most.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// A measurement not answered within this counts as a replica out of reach (its pool
/// would otherwise keep retrying a refused connection until its acquire timeout).
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);
/// A favourable verdict older than this is not trusted: after a quiet spell the first
/// read goes to the primary while a fresh measurement is taken.
const TRUST_FOR: Duration = Duration::from_secs(3);
/// How long a read waits for a connection of the replica's pool at most.
const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// Replay lag in milliseconds. A server not in recovery is a primary and current by
/// definition (`pg_last_wal_receive_lsn()` is NULL there). On a standby that has replayed
/// everything it received the lag is 0 however long ago the last commit was, so an idle
/// primary does not make its replica look behind; otherwise it is the age of the last
/// replayed transaction, NULL (unknown) when none was replayed yet.
const LAG_SQL: &str = "SELECT CAST(CASE \
     WHEN NOT pg_is_in_recovery() THEN 0 \
     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
     ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 \
     END AS DOUBLE PRECISION) AS lag_ms";

/// Where the dashboard and the analysis read. Cheap to clone.
#[derive(Clone)]
pub struct ReadDb {
    primary: DatabaseConnection,
    replica: Option<Arc<Replica>>,
}

/// A connection to read from, and how stale what it reads may be.
pub struct Read<'a> {
    pub db: &'a DatabaseConnection,
    /// `None` on the primary; on the replica, the lag it was last measured within
    /// (`database.replica_max_lag_ms`), which bounds how long an answer computed from it
    /// may be cached.
    pub staleness: Option<Duration>,
}

struct Replica {
    conn: DatabaseConnection,
    gauge: Gauge,
}

impl ReadDb {
    /// Reads from the primary only (no replica configured).
    pub fn primary(primary: DatabaseConnection) -> Self {
        Self { primary, replica: None }
    }

    /// The read handle the settings ask for. A replica that cannot be reached now does
    /// not stop start-up: reads go to the primary, and to the replica once it answers
    /// within the bound (its pool connects lazily, so it is found when it comes up).
    pub async fn connect(settings: &Settings, primary: DatabaseConnection) -> Self {
        let url = settings.database.replica_url.expose();
        if url.is_empty() {
            return Self::primary(primary);
        }
        let d = &settings.database;
        let mut opts = ConnectOptions::new(url.clone());
        // A replica that went away costs a read at most a second before the primary
        // answers it ([`Self::run`]); sqlx would retry a refused connection until then.
        let acquire = Duration::from_millis(d.acquire_timeout_ms).min(REPLICA_ACQUIRE_TIMEOUT);
        opts.max_connections(d.max_connections)
            .min_connections(0)
            .acquire_timeout(acquire)
            .connect_lazy(true)
            .sqlx_logging(false);
        let conn = match Database::connect(opts).await {
            Ok(c) => c,
            Err(e) => {
                // The URL is a secret: only the error is logged.
                tracing::warn!("database.replica_url: cannot open the replica's pool ({e}); reads go to the primary");
                return Self::primary(primary);
            }
        };
        let replica = Arc::new(Replica { conn, gauge: Gauge::new(d.replica_max_lag_ms) });
        replica.gauge.claim(replica.gauge.now_ms());
        check(replica.clone()).await;
        if !replica.gauge.trusted(replica.gauge.now_ms()) {
            tracing::warn!(
                "database replica: not usable at start-up (unreachable or more than {} ms behind); \
                 the dashboard and analysis read the primary until it is",
                d.replica_max_lag_ms
            );
        }
        Self { primary, replica: Some(replica) }
    }

    /// The replica when one is configured and was last measured within the bound, else
    /// the primary. At most once a second this also starts a fresh measurement.
    pub fn pick(&self) -> Read<'_> {
        let Some(r) = &self.replica else {
            return Read { db: &self.primary, staleness: None };
        };
        let now = r.gauge.now_ms();
        if r.gauge.claim(now) {
            tokio::spawn(check(r.clone()));
        }
        if r.gauge.trusted(now) {
            Read { db: &r.conn, staleness: Some(Duration::from_millis(r.gauge.max_lag_ms)) }
        } else {
            Read { db: &self.primary, staleness: None }
        }
    }

    /// Runs the read-only `query` where [`Self::pick`] says, and with how stale its answer
    /// may be. A replica that fails it for a transient reason is taken out of use until
    /// the next measurement, and the primary answers instead.
    pub async fn run<T>(
        &self,
        query: impl AsyncFn(&DatabaseConnection) -> Result<T, ApiError>,
    ) -> Result<(T, Option<Duration>), ApiError> {
        let read = self.pick();
        let Some(staleness) = read.staleness else {
            return Ok((query(read.db).await?, None));
        };
        match query(read.db).await {
            Ok(t) => Ok((t, Some(staleness))),
            Err(e) if matches!(e.code, ErrorCode::DatabaseUnavailable | ErrorCode::Busy) => {
                if let Some(r) = &self.replica
                    && r.gauge.record(r.gauge.now_ms(), None) == Some(false)
                {
                    tracing::warn!("database replica: a read failed ({}); reads go to the primary", e.code.name());
                }
                Ok((query(&self.primary).await?, None))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether reads currently go to the replica (for tests and diagnostics).
    pub fn on_replica(&self) -> bool {
        self.replica.as_ref().is_some_and(|r| r.gauge.trusted(r.gauge.now_ms()))
    }
}

/// Measures the replica's lag and records the verdict, logging a switch once each way.
async fn check(r: Arc<Replica>) {
    let lag = measure(&r.conn).await;
    let max = r.gauge.max_lag_ms;
    match (r.gauge.record(r.gauge.now_ms(), lag.as_ref().ok().copied()), lag) {
        (Some(true), Ok(ms)) => {
            tracing::info!("database replica: {ms:.0} ms behind; the dashboard and analysis read it")
        }
        (Some(false), Ok(ms)) => {
            tracing::warn!("database replica: {ms:.0} ms behind (bound {max} ms); reads go to the primary")
        }
        (Some(false), Err(e)) => tracing::warn!("database replica: {e}; reads go to the primary"),
        _ => {}
    }
}

async fn measure(db: &DatabaseConnection) -> Result<f64, String> {
    let stmt = Statement::from_string(DbBackend::Postgres, LAG_SQL);
    let row = match tokio::time::timeout(CHECK_TIMEOUT, db.query_one_raw(stmt)).await {
        Err(_) => return Err(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
        Ok(Err(e)) => return Err(format!("unreachable ({e})")),
        Ok(Ok(row)) => row,
    };
    row.and_then(|r| r.try_get::<Option<f64>>("", "lag_ms").ok().flatten())
        .ok_or_else(|| "replay position unknown (nothing replayed yet)".to_string())
}

/// The cached verdict: the time of the last measurement and whether it was within the
/// bound, plus the time the last measurement was claimed, so concurrent requests start
/// one at most per [`CHECK_EVERY`]. Times are milliseconds since `epoch`, plus one, so 0
/// means never.
struct Gauge {
    max_lag_ms: u64,
    epoch: Instant,
    claimed_at: AtomicU64,
    checked_at: AtomicU64,
    within: AtomicBool,
}

impl Gauge {
    fn new(max_lag_ms: u64) -> Self {
        Self {
            max_lag_ms,
            epoch: Instant::now(),
            claimed_at: AtomicU64::new(0),
            checked_at: AtomicU64::new(0),
            within: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// True for exactly one caller per [`CHECK_EVERY`]: that caller measures.
    fn claim(&self, now: u64) -> bool {
        let last = self.claimed_at.load(Ordering::Acquire);
        if last != 0 && now.saturating_sub(last - 1) < millis(CHECK_EVERY) {
            return false;
        }
        self.claimed_at.compare_exchange(last, now + 1, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Records a measurement (`None`: failed). Returns the new verdict when it changed.
    fn record(&self, now: u64, lag_ms: Option<f64>) -> Option<bool> {
        // A negative lag is clock skew between the hosts: current.
        let within = lag_ms.is_some_and(|l| l <= self.max_lag_ms as f64);
        self.checked_at.store(now + 1, Ordering::Release);
        let before = self.within.swap(within, Ordering::AcqRel);
        (before != within).then_some(within)
    }

    /// Whether reads may go to the replica now: the last measurement was within the
    /// bound and is recent enough to trust.
    fn trusted(&self, now: u64) -> bool {
        let at = self.checked_at.load(Ordering::Acquire);
        at != 0 && now.saturating_sub(at - 1) <= millis(TRUST_FOR) && self.within.load(Ordering::Acquire)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_measurement_per_second_whoever_asks() {
        let g = Gauge::new(5000);
        assert!(g.claim(0), "the first caller measures");
        assert!(!g.claim(0) && !g.claim(500) && !g.claim(999), "the others read the cached verdict");
        assert!(g.claim(1000), "a second later, one caller measures again");
        assert!(!g.claim(1000) && !g.claim(1500));
        assert!(g.claim(2600));
    }

    #[test]
    fn the_replica_is_used_only_while_measured_within_the_bound() {
        let g = Gauge::new(5000);
        assert!(!g.trusted(0), "never measured: the primary");
        assert_eq!(g.record(10, Some(0.0)), Some(true), "the switch to the replica is reported");
        assert!(g.trusted(10));
        assert_eq!(g.record(1010, Some(5000.0)), None, "at the bound: still the replica, nothing to report");
        assert!(g.trusted(1010));
        assert_eq!(g.record(2010, Some(5000.5)), Some(false), "past the bound: back to the primary, reported once");
        assert!(!g.trusted(2010));
        assert_eq!(g.record(3010, Some(9000.0)), None, "still behind: not reported again");
        assert_eq!(g.record(4010, Some(-3.0)), Some(true), "clock skew reads as current");
        assert!(g.trusted(4010));
    }

    #[test]
    fn an_unreachable_replica_or_an_old_verdict_means_the_primary() {
        let g = Gauge::new(5000);
        assert_eq!(g.record(0, Some(12.0)), Some(true));
        assert_eq!(g.record(1000, None), Some(false), "a failed measurement sends reads to the primary");
        assert!(!g.trusted(1000));
        assert_eq!(g.record(2000, None), None);
        assert_eq!(g.record(3000, Some(1.0)), Some(true), "and back once it answers in time");
        assert!(g.trusted(3000) && g.trusted(3000 + millis(TRUST_FOR)));
        assert!(!g.trusted(3001 + millis(TRUST_FOR)), "a verdict nobody refreshed is not trusted");
    }
}
