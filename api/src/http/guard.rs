//! Deny by default, before anything else reads the request: the matched route is
//! looked up in the route table, the caller resolved and the role checked, so a
//! forbidden caller gets 403 even for a malformed body, and a route missing from the
//! table is refused outright. Handlers receive the resolved caller.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};

use super::routes::Access;
use crate::error::{ApiError, ErrorCode};
use crate::identity::caller::{self, Caller, bearer};
use crate::identity::gate;
use crate::identity::policy::allows;
use crate::state::AppState;

/// Registered routes outside the API description: the interactive docs page, and the
/// dashboard page, which signs its users in by cookie and checks their role itself.
const UNLISTED_PUBLIC: &[&str] = &["/docs", "/dashboard"];

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(pattern) = req.match_pattern() else {
        // No route: the default service answers 404.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let function = match super::routes::find(req.method(), &pattern) {
        Some(e) => match e.access {
            Access::Public => None,
            Access::Signed(f) => Some(f),
        },
        // Another method of a listed path: the resource answers 405 with `Allow`.
        None if super::routes::is_listed(&pattern) => None,
        // The prefix itself or below it: `/dashboard/login`, never a `/dashboards` route.
        None if UNLISTED_PUBLIC
            .iter()
            .any(|p| pattern == *p || pattern.strip_prefix(p).is_some_and(|r| r.starts_with('/'))) =>
        {
            None
        }
        None => {
            tracing::error!(pattern, "route missing from the route table; refused");
            let e = ApiError::new(ErrorCode::Forbidden, "this route is not in the access policy");
            return Ok(req.into_response(e.error_response()));
        }
    };
    let Some(function) = function else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(ApiError::internal(anyhow::anyhow!("no app state")).into());
    };
    let who = match bearer(req.headers()) {
        Some(token) => caller::resolve_gated(&state, &token).await,
        None => Err(ApiError::new(ErrorCode::Unauthenticated, "send Authorization: Bearer <access token>")),
    };
    let (who, pending) = match who {
        Ok(c) => c,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let role = who.role;
    // Resolved: the rate limit gives this token a bucket of its own, even when this
    // function is refused to its role (the token is genuine all the same).
    req.extensions_mut().insert::<Caller>(who);
    if !allows(function, role) {
        let e = ApiError::new(ErrorCode::Forbidden, format!("the role {} may not do this", role.as_str()));
        return Ok(req.into_response(e.error_response()));
    }
    // A one-time or expired password, or a second factor to enrol: only the caller's
    // own session and credentials until it is done.
    if let Some(p) = pending
        && !gate::allowed_while_pending(function)
    {
        return Ok(req.into_response(gate::refusal(p).error_response()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
