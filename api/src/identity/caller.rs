//! Who is calling: the bearer token resolved to a user, a role and a scope. Role and
//! scope come from the server's records, never from the request.

use chrono::{Duration, Utc};
use zhicha_engine::RegionCode;

use super::{gate, tokens};
pub use crate::domain::caller::{Caller, Role, Scope};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::store::users::{self, User};

pub fn scope_of(role: Role, u: &User) -> Scope {
    let region = || u.region_code.as_deref().and_then(|r| RegionCode::parse(r).ok());
    match role {
        Role::EnterpriseOfficer | Role::ResponsiblePerson => u.enterprise_id.map_or(Scope::Unbound, Scope::Enterprise),
        Role::HrssBureau | Role::EmergencyBureau => region().map_or(Scope::Unbound, Scope::Region),
        Role::Expert => u.expert_id.map_or(Scope::Unbound, Scope::Expert),
        Role::ServiceOrg => u.organisation_id.map_or(Scope::Unbound, Scope::ServiceOrg),
        Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin => Scope::System,
    }
}

fn unauthenticated(msg: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, msg)
}

/// Resolves a bearer access token of a session free to use every function its role
/// allows: one with something pending (a password change, a second factor to enrol) is
/// refused with that code. The API's guard uses [`resolve_gated`] instead.
pub async fn resolve(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    match resolve_gated(state, token).await? {
        (_, Some(p)) => Err(gate::refusal(p)),
        (c, None) => Ok(c),
    }
}

/// Resolves a bearer access token, with what the account must do first, if anything.
pub async fn resolve_gated(state: &AppState, token: &str) -> Result<(Caller, Option<gate::Pending>), ApiError> {
    let now = Utc::now();
    let found = users::session_by_access(&state.db, &tokens::digest(token)).await?;
    let Some((session, Some(user))) = found else { return Err(unauthenticated("unknown or expired access token")) };
    let idle = Duration::minutes(state.settings.auth.idle_timeout_minutes);
    if session.revoked_at.is_some() || session.spent_at.is_some() {
        return Err(unauthenticated("the session has ended; sign in again"));
    }
    if session.access_expires_at < now {
        return Err(unauthenticated("the access token has expired; use the refresh token"));
    }
    if session.last_seen_at + idle < now {
        return Err(unauthenticated("the session was idle too long; sign in again"));
    }
    if user.status != "active" {
        return Err(unauthenticated("the account is not active"));
    }
    let role =
        Role::parse(&user.role).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown role {}", user.role)))?;
    // Touch the session at most once a minute: idleness is measured in minutes.
    if session.last_seen_at + Duration::minutes(1) < now {
        users::touch_session(&state.db, session.id, now.fixed_offset()).await?;
    }
    let pending = gate::pending(&state.settings.auth, role, &user, now);
    let caller = Caller {
        user_id: user.id,
        display_name: user.display_name.clone(),
        scope: scope_of(role, &user),
        role,
        organisation_id: user.organisation_id,
        session_id: session.id,
        family_id: session.family_id,
    };
    Ok((caller, pending))
}

/// The bearer access token of a request, if it carries one of the right kind.
pub fn bearer(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(tokens::ACCESS_PREFIX))
        .map(str::to_string)
}
