//! Rate limiting in process (one token bucket per access token, or per IP without
//! one, plus a tighter one per IP for sign-in). Over the limit: 429 with Retry-After.
//! Health checks are exempt so an orchestrator never sees a false failure.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

use crate::auth::tokens;
use crate::config::LimitSettings;
use crate::error::{ApiError, ErrorCode};

pub struct Limits {
    general: DefaultKeyedRateLimiter<String>,
    sign_in: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    pub fn new(s: &LimitSettings) -> Arc<Self> {
        Arc::new(Self {
            general: RateLimiter::keyed(Quota::per_minute(nz(s.requests_per_minute)).allow_burst(nz(s.burst))),
            sign_in: RateLimiter::keyed(Quota::per_minute(nz(s.sign_in_per_minute))),
            checks: AtomicU64::new(0),
        })
    }

    /// Seconds to wait, if `req` is over a limit.
    fn check(&self, req: &ServiceRequest) -> Option<u64> {
        let path = req.path();
        if path == "/healthz" || path == "/readyz" {
            return None;
        }
        // Forget idle keys now and then so the maps do not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.general.retain_recent();
            self.sign_in.retain_recent();
        }
        let ip = req.peer_addr().map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
        let token =
            req.headers().get("authorization").and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
        let key = token.map_or_else(|| format!("ip:{ip}"), |t| format!("token:{}", tokens::digest(t.trim())));
        // Both limiters share the process-wide quanta clock; read it through one.
        let now = self.general.clock().now();
        let wait = |e: governor::NotUntil<_>| e.wait_time_from(now).as_secs() + 1;
        if (path == "/auth/login" || path == "/auth/refresh" || path == "/mp/auth/login")
            && let Err(e) = self.sign_in.check_key(&format!("ip:{ip}"))
        {
            return Some(wait(e));
        }
        self.general.check_key(&key).err().map(wait)
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req.app_data::<actix_web::web::Data<Arc<Limits>>>().cloned();
    if let Some(secs) = limits.and_then(|l| l.check(&req)) {
        let err = ApiError::new(ErrorCode::RateLimited, format!("too many requests; retry in {secs} s"))
            .with_details(json!({ "retry_after_seconds": secs }));
        let resp: HttpResponse = err.error_response();
        return Ok(req.into_response(resp));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
