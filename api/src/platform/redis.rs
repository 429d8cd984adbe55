//! Redis, for what it holds here (the shared rate-limit buckets and the dashboard
//! cache), with every wait bounded. Both are things a request can do without for a
//! while: limiting per process, or computing an answer afresh, is better than not
//! serving because Redis stopped. So a call that does not answer within
//! `cache.timeout_ms` fails, and after a failure Redis is left alone for
//! [`PROBE_EVERY`] (callers take their fallback at once) before one call tries again;
//! the connection reconnects by itself when the server is back.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long Redis is skipped after a failure before a request tries it again.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Redis did not answer in time, or answered with an error.
#[derive(Debug, thiserror::Error)]
pub enum RedisFault {
    #[error("Redis was unreachable moments ago; not tried")]
    Skipped,
    #[error("Redis did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("Redis: {0}")]
    Failed(#[from] redis::RedisError),
}

pub struct Redis {
    conn: ConnectionManager,
    timeout: Duration,
    /// Until when calls are not tried, after a failure.
    resting_until: Mutex<Option<Instant>>,
}

impl Redis {
    /// Connects to `url` (start-up fails when Redis is configured but unreachable, rather
    /// than silently running without it).
    pub async fn connect(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).map_err(|e| anyhow::anyhow!("cache.redis_url: {e}"))?;
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        // Reconnection attempts stay short and close together, so a Redis that is back
        // is used again within moments.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout)
            .set_number_of_retries(2)
            .set_factor(millis.max(1))
            .set_max_delay(millis.max(1));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach Redis (cache.redis_url): {e}"))?;
        Ok(Self { conn, timeout, resting_until: Mutex::new(None) })
    }

    /// Runs `f` on the connection within the timeout; see the module's notes.
    pub async fn run<T, F, Fut>(&self, f: F) -> Result<T, RedisFault>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.resting() {
            return Err(RedisFault::Skipped);
        }
        let outcome = match tokio::time::timeout(self.timeout, f(self.conn.clone())).await {
            Ok(Ok(v)) => {
                self.recovered();
                return Ok(v);
            }
            Ok(Err(e)) => RedisFault::Failed(e),
            Err(_) => RedisFault::TimedOut(self.timeout),
        };
        if let Ok(mut until) = self.resting_until.lock() {
            *until = Some(Instant::now() + PROBE_EVERY);
        }
        Err(outcome)
    }

    fn resting(&self) -> bool {
        let Ok(mut until) = self.resting_until.lock() else { return false };
        match *until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                // This call probes; the others still skip until it has answered or failed.
                *until = Some(Instant::now() + self.timeout);
                false
            }
            None => false,
        }
    }

    /// A call that succeeded: Redis is in use again.
    fn recovered(&self) {
        if let Ok(mut until) = self.resting_until.lock() {
            *until = None;
        }
    }
}
