//! Dashboard answers cached per region and invalidated by the writes that change them.
//!
//! Each city has a generation number; a write to one of its enterprises bumps it (and
//! its province's), and a cached answer is keyed by the generations it was computed
//! under, so a stale answer is never found again. With `cache.redis_url` the
//! generations and answers live in Redis and every instance shares them; otherwise in
//! this process, where other instances' writes are caught by a short lifetime.
//!
//! An answer computed from a read replica may lack writes the replica had not replayed
//! yet although their generation is already bumped, so it is kept no longer than the
//! replica's lag bound ([`DashboardCache::cached_within`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::redis::Redis;
use crate::config::CacheSettings;
use crate::error::ApiError;

/// How long an answer lives at most, whatever happens.
const TTL: Duration = Duration::from_secs(30);
const LOCAL_MAX: usize = 2_000;

pub struct DashboardCache {
    redis: Option<(Redis, String)>,
    generations: Mutex<HashMap<String, u64>>,
    /// Each answer with the instant it expires.
    answers: Mutex<HashMap<String, (Instant, Value)>>,
}

impl DashboardCache {
    pub async fn new(s: &CacheSettings) -> anyhow::Result<Self> {
        let url = s.redis_url.expose();
        let redis = if url.is_empty() {
            None
        } else {
            let conn = Redis::connect(url, Duration::from_millis(s.timeout_ms)).await?;
            Some((conn, format!("{}dash:", s.key_prefix)))
        };
        Ok(Self { redis, generations: Mutex::default(), answers: Mutex::default() })
    }

    /// The scopes a region code belongs to: its province and its city.
    fn scopes(region_code: &str) -> Vec<String> {
        [2, 4].iter().filter_map(|n| region_code.get(..*n)).map(str::to_string).collect()
    }

    /// Something changed for an enterprise in `region_code`.
    pub async fn touch(&self, region_code: &str) {
        let scopes = Self::scopes(region_code);
        if let Some((conn, prefix)) = &self.redis {
            for s in &scopes {
                let key = format!("{prefix}gen:{s}");
                let r = conn.run(async |mut c| c.incr::<_, _, u64>(key, 1).await).await;
                if let Err(e) = r {
                    tracing::warn!("dashboard cache: cannot bump generation {s}: {e}");
                }
            }
            return;
        }
        if let Ok(mut g) = self.generations.lock() {
            for s in scopes {
                *g.entry(s).or_insert(0) += 1;
            }
        }
    }

    async fn generation(&self, scope: &str) -> Option<u64> {
        if let Some((conn, prefix)) = &self.redis {
            // Without Redis there is no generation to trust: no cached answer is used.
            let key = format!("{prefix}gen:{scope}");
            return conn.run(async |mut c| c.get::<_, Option<u64>>(key).await).await.ok().map(|g| g.unwrap_or(0));
        }
        self.generations.lock().ok().map(|g| g.get(scope).copied().unwrap_or(0))
    }

    /// The full key of an answer for `scope` (a region prefix): the request and the
    /// generations of the scope and of every city under a province.
    async fn key(&self, scope: &str, request: &str) -> Option<String> {
        // A province's figures change with any of its cities: its own generation is
        // bumped by every write in it, so one number covers them.
        let g = self.generation(scope).await?;
        Some(format!("{scope}:{g}:{request}"))
    }

    pub async fn get(&self, scope: &str, request: &str) -> Option<Value> {
        let key = self.key(scope, request).await?;
        if let Some((conn, prefix)) = &self.redis {
            let key = format!("{prefix}a:{key}");
            let text: Option<String> = conn.run(async |mut c| c.get(key).await).await.ok()?;
            return text.and_then(|t| serde_json::from_str(&t).ok());
        }
        let answers = self.answers.lock().ok()?;
        answers.get(&key).filter(|(until, _)| *until > Instant::now()).map(|(_, v)| v.clone())
    }

    /// Stores an answer for `lifetime` (at most [`TTL`]).
    pub async fn put(&self, scope: &str, request: &str, value: &Value, lifetime: Duration) {
        let Some(key) = self.key(scope, request).await else { return };
        let lifetime = lifetime.min(TTL);
        if let Some((conn, prefix)) = &self.redis {
            let (key, text) = (format!("{prefix}a:{key}"), value.to_string());
            let ms = u64::try_from(lifetime.as_millis()).unwrap_or(1).max(1);
            let r = conn.run(async |mut c| c.pset_ex::<_, _, ()>(key, text, ms).await).await;
            if let Err(e) = r {
                tracing::warn!("dashboard cache: cannot store an answer: {e}");
            }
            return;
        }
        if let Ok(mut answers) = self.answers.lock() {
            if answers.len() >= LOCAL_MAX {
                let now = Instant::now();
                answers.retain(|_, (until, _)| *until > now);
                if answers.len() >= LOCAL_MAX {
                    answers.clear();
                }
            }
            answers.insert(key, (Instant::now() + lifetime, value.clone()));
        }
    }

    /// The answer to `request` in `scope`: the cached one while nothing in the scope
    /// changed, else `compute`'s, stored for the next caller. An entry that no longer
    /// reads as `T` (another version wrote it) is computed afresh.
    pub async fn cached<T, E>(
        &self,
        scope: &str,
        request: &str,
        compute: impl Future<Output = Result<T, E>>,
    ) -> Result<T, ApiError>
    where
        T: Serialize + DeserializeOwned,
        ApiError: From<E>,
    {
        self.cached_within(scope, request, async { compute.await.map(|t| (t, None)) }).await
    }

    /// [`Self::cached`] for an answer computed with how stale it may be (read from a
    /// replica, [`crate::platform::replica::ReadDb::run`]): kept no longer than that.
    /// `None`: read from the primary, kept up to [`TTL`].
    pub async fn cached_within<T, E>(
        &self,
        scope: &str,
        request: &str,
        compute: impl Future<Output = Result<(T, Option<Duration>), E>>,
    ) -> Result<T, ApiError>
    where
        T: Serialize + DeserializeOwned,
        ApiError: From<E>,
    {
        if let Some(v) = self.get(scope, request).await
            && let Ok(t) = serde_json::from_value(v)
        {
            return Ok(t);
        }
        let (t, staleness) = compute.await?;
        let value = serde_json::to_value(&t).map_err(ApiError::internal)?;
        self.put(scope, request, &value, staleness.unwrap_or(TTL)).await;
        Ok(t)
    }
}
