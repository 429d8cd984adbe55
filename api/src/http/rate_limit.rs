//! Rate limiting: one token bucket per verified access token, one per IP for everything
//! else, plus a tighter one per IP for sign-in. A token counts as verified once the guard
//! has resolved it to a caller; until then (and for any made-up bearer string) the
//! request is charged to its IP, so inventing tokens buys no fresh buckets. With `cache.redis_url` the buckets live in Redis
//! and every instance of the service shares them; otherwise, and while Redis is
//! unreachable, each process keeps its own. Over the limit: 429 with Retry-After.
//! Health checks are exempt so an orchestrator never sees a false failure.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use dashmap::DashMap;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

use crate::config::{CacheSettings, LimitSettings};
use crate::domain::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::identity::tokens;
use crate::platform::redis::{Redis, RedisFault};

/// GCRA, the algorithm governor uses, kept in one Redis key per bucket: the key holds
/// the theoretical arrival time in microseconds. Redis's own clock serves every
/// instance, so their clocks need not agree. Returns microseconds to wait (0: go).
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return allow_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return 0
";

/// A bucket's shape: one request every `interval_us`, up to `burst` at once.
#[derive(Clone, Copy)]
struct Shape {
    interval_us: u64,
    burst: u32,
}

impl Shape {
    fn per_minute(n: u32, burst: u32) -> Self {
        Shape { interval_us: 60_000_000 / u64::from(n.max(1)), burst: burst.max(1) }
    }
}

struct Shared {
    conn: Redis,
    script: redis::Script,
    prefix: String,
}

pub struct Limits {
    general: DefaultKeyedRateLimiter<String>,
    sign_in: DefaultKeyedRateLimiter<String>,
    general_shape: Shape,
    sign_in_shape: Shape,
    shared: Option<Shared>,
    checks: AtomicU64,
    /// Digests of access tokens the guard resolved lately, and until when that counts.
    verified: DashMap<String, Instant>,
}

/// How long a token stays verified for the limiter after the guard last resolved it.
/// Only which bucket it is charged to depends on this, never whether it is accepted.
const VERIFIED_FOR: Duration = Duration::from_secs(300);

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

#[derive(Clone, Copy)]
enum Bucket {
    General,
    SignIn,
}

impl Limits {
    /// In-process limits, or shared ones when Redis is configured (and reachable:
    /// start-up fails rather than silently limiting per process).
    pub async fn new(s: &LimitSettings, cache: &CacheSettings) -> anyhow::Result<Arc<Self>> {
        let shared = match cache.redis_url.expose().as_str() {
            "" => None,
            url => {
                let conn = Redis::connect(url, Duration::from_millis(cache.timeout_ms)).await?;
                Some(Shared { conn, script: redis::Script::new(GCRA), prefix: format!("{}rl:", cache.key_prefix) })
            }
        };
        Ok(Arc::new(Self {
            general: RateLimiter::keyed(Quota::per_minute(nz(s.requests_per_minute)).allow_burst(nz(s.burst))),
            sign_in: RateLimiter::keyed(Quota::per_minute(nz(s.sign_in_per_minute))),
            general_shape: Shape::per_minute(s.requests_per_minute, s.burst),
            sign_in_shape: Shape::per_minute(s.sign_in_per_minute, s.sign_in_per_minute),
            shared,
            checks: AtomicU64::new(0),
            verified: DashMap::new(),
        }))
    }

    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    fn local(&self, bucket: Bucket, key: &str) -> Option<u64> {
        let limiter = match bucket {
            Bucket::General => &self.general,
            Bucket::SignIn => &self.sign_in,
        };
        let now = limiter.clock().now();
        limiter.check_key(&key.to_string()).err().map(|e| e.wait_time_from(now).as_secs() + 1)
    }

    /// Seconds to wait, if `key` is over its bucket's limit.
    async fn over(&self, bucket: Bucket, key: &str) -> Option<u64> {
        let Some(shared) = &self.shared else { return self.local(bucket, key) };
        let shape = match bucket {
            Bucket::General => self.general_shape,
            Bucket::SignIn => self.sign_in_shape,
        };
        let name = match bucket {
            Bucket::General => "g:",
            Bucket::SignIn => "s:",
        };
        let mut call = shared.script.key(format!("{}{name}{key}", shared.prefix));
        call.arg(shape.interval_us).arg(shape.burst);
        let waited = shared.conn.run(async |mut c| call.invoke_async::<u64>(&mut c).await).await;
        match waited {
            Ok(0) => None,
            Ok(us) => Some(us.div_ceil(1_000_000).max(1)),
            // Better limited per process than not at all, or not serving: a stopped
            // Redis must not take the API down with it (bounded by `cache.timeout_ms`).
            Err(RedisFault::Skipped) => self.local(bucket, key),
            Err(e) => {
                tracing::warn!("Redis rate limit unavailable, limiting in process: {e}");
                self.local(bucket, key)
            }
        }
    }

    fn is_verified(&self, digest: &str) -> bool {
        self.verified.get(digest).is_some_and(|until| *until > Instant::now())
    }

    /// Marks a resolved token verified; a read, not a write, while it has more than half
    /// its time left, so a busy caller does not take the map's write lock per request.
    fn mark_verified(&self, digest: String) {
        let now = Instant::now();
        if self.verified.get(&digest).is_some_and(|until| *until > now + VERIFIED_FOR / 2) {
            return;
        }
        self.verified.insert(digest, now + VERIFIED_FOR);
    }

    /// Seconds to wait, if `req` is over a limit.
    async fn check(&self, req: &ServiceRequest, digest: Option<&str>) -> Option<u64> {
        let path = req.path();
        if path == "/healthz" || path == "/readyz" {
            return None;
        }
        // Forget idle keys now and then so the maps do not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.general.retain_recent();
            self.sign_in.retain_recent();
            let now = Instant::now();
            self.verified.retain(|_, until| *until > now);
        }
        let ip = req.peer_addr().map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
        let key = match digest {
            Some(d) if self.is_verified(d) => format!("token:{d}"),
            _ => format!("ip:{ip}"),
        };
        if (matches!(path, "/auth/login" | "/auth/refresh" | "/mp/auth/login")
            || (path == "/dashboard/login" && req.method() == actix_web::http::Method::POST))
            && let Some(wait) = self.over(Bucket::SignIn, &format!("ip:{ip}")).await
        {
            return Some(wait);
        }
        self.over(Bucket::General, &key).await
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req.app_data::<actix_web::web::Data<Arc<Limits>>>().cloned();
    let digest = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| tokens::digest(t.trim()));
    let wait = match &limits {
        Some(l) => l.check(&req, digest.as_deref()).await,
        None => None,
    };
    if let Some(secs) = wait {
        let err = ApiError::new(ErrorCode::RateLimited, format!("too many requests; retry in {secs} s"))
            .with_details(json!({ "retry_after_seconds": secs }));
        let resp: HttpResponse = err.error_response();
        return Ok(req.into_response(resp));
    }
    let res = next.call(req).await?;
    // The guard resolved this token to a caller: from now on it has a bucket of its own.
    if let (Some(l), Some(d)) = (&limits, digest)
        && res.request().extensions().get::<Caller>().is_some()
    {
        l.mark_verified(d);
    }
    Ok(res.map_into_boxed_body())
}
