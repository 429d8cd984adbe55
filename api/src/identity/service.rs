//! Sign-in, token rotation and sign-out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::caller::{Caller, Role};
use super::{gate, password, tokens, totp};
use crate::error::{ApiError, ErrorCode};
use crate::platform::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::users::{self, NewSession, User};

pub use crate::domain::origin::Origin;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Seconds until the refresh token expires (each use replaces it).
    pub refresh_expires_in: i64,
    pub role: Role,
    pub display_name: String,
    /// False for a WeChat account not yet bound to an enterprise (`POST /mp/bind`).
    pub bound: bool,
    /// The password is a one-time password (first sign-in, reset) or has expired: until
    /// `POST /auth/password` changes it, every other call but `/auth/me`,
    /// `/auth/logout` and `/auth/totp/*` answers 403 `password_change_required`.
    pub password_change_required: bool,
    /// The role signs in with a TOTP code and none is enrolled: until
    /// `POST /auth/totp/enrol` and `/auth/totp/confirm`, every other call but
    /// `/auth/me`, `/auth/logout` and `/auth/password` answers 403
    /// `second_factor_enrolment_required`.
    pub second_factor_enrolment_required: bool,
    /// When the password expires (`auth.password_max_age_days` after it was set);
    /// `null` for accounts without one.
    pub password_expires_at: Option<DateTime<Utc>>,
}

/// An audit record of a sign-in step (the actor may be unknown).
pub fn login_entry(
    user: Option<&User>,
    action: &str,
    outcome: Outcome,
    origin: &Origin,
    detail: Option<String>,
) -> Entry {
    Entry {
        actor_id: user.map(|u| u.id),
        actor_role: user.map_or("anonymous".to_string(), |u| u.role.clone()),
        organisation_id: user.and_then(|u| u.organisation_id),
        action: action.to_string(),
        object_kind: "session".to_string(),
        object_id: None,
        enterprise_id: user.and_then(|u| u.enterprise_id),
        region_code: user.and_then(|u| u.region_code.clone()),
        outcome,
        request_id: origin.request_id.clone(),
        ip: origin.ip.clone(),
        detail,
    }
}

/// A new session (in `family`, or a new family) for `user`.
pub async fn issue(
    db: &impl ConnectionTrait,
    state: &AppState,
    user: &User,
    family: Option<String>,
    origin: &Origin,
) -> Result<TokenPair, ApiError> {
    let a = &state.settings.auth;
    let now = Utc::now();
    let access = tokens::new_token(tokens::ACCESS_PREFIX).map_err(ApiError::internal)?;
    let refresh = tokens::new_token(tokens::REFRESH_PREFIX).map_err(ApiError::internal)?;
    let family = match family {
        Some(f) => f,
        None => tokens::random_hex(16).map_err(ApiError::internal)?,
    };
    let access_ttl = Duration::minutes(a.access_ttl_minutes);
    let refresh_ttl = Duration::days(a.refresh_ttl_days);
    users::insert_session(
        db,
        NewSession {
            user_id: user.id,
            family_id: family,
            access_hash: tokens::digest(&access),
            refresh_hash: tokens::digest(&refresh),
            access_expires_at: (now + access_ttl).fixed_offset(),
            refresh_expires_at: (now + refresh_ttl).fixed_offset(),
            last_seen_at: now.fixed_offset(),
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
        },
    )
    .await?;
    let role =
        Role::parse(&user.role).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown role {}", user.role)))?;
    Ok(TokenPair {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: access_ttl.num_seconds(),
        refresh_expires_in: refresh_ttl.num_seconds(),
        bound: !matches!(super::caller::scope_of(role, user), super::caller::Scope::Unbound),
        role,
        display_name: user.display_name.clone(),
        password_change_required: gate::password_change_required(a, user, now),
        second_factor_enrolment_required: gate::second_factor_missing(role, user),
        password_expires_at: gate::password_expires_at(a, user),
    })
}

fn locked_until(u: &User, now: DateTime<Utc>) -> Option<i64> {
    u.locked_until.map(|t| (t.with_timezone(&Utc) - now).num_seconds()).filter(|s| *s > 0)
}

pub async fn login(
    state: &AppState,
    username: &str,
    pass: &str,
    totp_code: Option<&str>,
    origin: &Origin,
) -> Result<TokenPair, ApiError> {
    // Checked here for every sign-in form (the API's and the dashboard page's), before
    // a long password costs an argon2 run.
    let controls = |s: &str| s.chars().any(crate::domain::input::is_refused_control);
    if username.is_empty()
        || username.len() > 64
        || pass.len() > 256
        || totp_code.is_some_and(|c| c.len() > 16)
        || controls(username)
        || totp_code.is_some_and(controls)
    {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "username",
            "username: 1-64 characters, no control characters; password at most 256, code at most 16",
        ));
    }
    let a = state.settings.auth.clone();
    let user = users::by_username(&state.db, username).await?;
    // One answer for every failed factor (unknown user, wrong password, missing or wrong
    // code), so no answer confirms one factor on its own.
    let invalid = || ApiError::new(ErrorCode::InvalidCredentials, "wrong username, password or code");
    let now = Utc::now();
    if let Some(u) = &user
        && let Some(secs) = locked_until(u, now)
    {
        audit::append(&state.db, login_entry(Some(u), "auth.login", Outcome::Denied, origin, Some("locked".into())))
            .await?;
        return Err(ApiError::new(ErrorCode::AccountLocked, "too many failed sign-ins; try again later")
            .with_details(json!({ "retry_after_seconds": secs })));
    }
    // argon2 is deliberately slow: keep it off the async workers. Unknown users are
    // checked against a decoy so both answers take as long.
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let pass = pass.to_string();
    let ok = tokio::task::spawn_blocking(move || match stored {
        Some(h) => password::verify(&a, &h, &pass),
        None => {
            let _ = password::verify(&a, &password::decoy(&a), &pass);
            false
        }
    })
    .await
    .map_err(ApiError::internal)?;
    let Some(user) = user else {
        audit::append(
            &state.db,
            login_entry(None, "auth.login", Outcome::Failed, origin, Some(json!({ "username": username }).to_string())),
        )
        .await?;
        return Err(invalid());
    };
    let role =
        Role::parse(&user.role).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown role {}", user.role)))?;
    // The second factor, once enrolled (required for some roles, chosen by others),
    // checked only once the password is right; a wrong or missing code counts as a
    // failed sign-in. A role that needs one and has none yet signs in with the password
    // alone, to a session that may only enrol it (`gate::Pending::SecondFactorEnrolment`).
    let mut totp_step = None;
    let mut ok = ok;
    if ok && let Some(sealed) = user.totp_secret.as_deref() {
        let secret = totp::unseal(&state.vault, sealed).map_err(ApiError::internal)?;
        // A missing code is a wrong one: answering it differently (as this once did,
        // with `second_factor_required`) told a guesser the password was right.
        let now = u64::try_from(now.timestamp()).unwrap_or(0);
        totp_step = totp_code.and_then(|code| totp::accept(&secret, code, now, user.totp_last_step));
        ok = totp_step.is_some();
    } else if ok && totp::required_for(role) {
        tracing::info!(user_id = user.id, "signed in to enrol a second factor: only enrolment is open to the session");
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !ok || user.status != "active" {
        let failures = user.failed_logins + 1;
        let lock = failures >= state.settings.auth.max_failed_logins;
        let until = lock.then(|| (now + Duration::minutes(state.settings.auth.lockout_minutes)).fixed_offset());
        users::record_failed_login(&txn, user.id, if lock { 0 } else { failures }, until).await?;
        let detail = if lock { "wrong password or code; account locked" } else { "wrong password or code" };
        audit::append(&txn, login_entry(Some(&user), "auth.login", Outcome::Failed, origin, Some(detail.into())))
            .await?;
        txn.commit().await?;
        return Err(invalid());
    }
    users::record_login(&txn, user.id, now.fixed_offset(), totp_step.or(user.totp_last_step)).await?;
    let pair = issue(&txn, state, &user, None, origin).await?;
    audit::append(&txn, login_entry(Some(&user), "auth.login", Outcome::Ok, origin, None)).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Exchanges a refresh token for a new pair. A token is good once: presenting a spent
/// one means it was stolen or replayed, and the whole family is revoked.
pub async fn refresh(state: &AppState, token: &str, origin: &Origin) -> Result<TokenPair, ApiError> {
    let now = Utc::now();
    let expired = || ApiError::new(ErrorCode::Unauthenticated, "unknown or expired refresh token; sign in again");
    let found = users::session_by_refresh(&state.db, &tokens::digest(token)).await?;
    let Some((session, Some(user))) = found else { return Err(expired()) };
    if session.revoked_at.is_some() || session.refresh_expires_at < now || user.status != "active" {
        return Err(expired());
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    // Spend it only if nobody has: a second, concurrent use counts as reuse.
    let spent = users::spend_session(&txn, session.id, now.fixed_offset()).await?;
    if spent == 0 {
        txn.rollback().await?;
        revoke_family(&state.db, &session.family_id, "refresh token reused").await?;
        audit::append(
            &state.db,
            login_entry(Some(&user), "auth.refresh", Outcome::Denied, origin, Some("reuse; family revoked".into())),
        )
        .await?;
        return Err(ApiError::new(ErrorCode::RefreshTokenReused, "this refresh token was already used; sign in again"));
    }
    let pair = issue(&txn, state, &user, Some(session.family_id.clone()), origin).await?;
    txn.commit().await?;
    Ok(pair)
}

pub async fn revoke_family(db: &impl ConnectionTrait, family: &str, reason: &str) -> Result<u64, ApiError> {
    Ok(users::revoke_family(db, family, reason, Utc::now().fixed_offset()).await?)
}

pub async fn logout(state: &AppState, caller: &Caller, origin: &Origin) -> Result<(), ApiError> {
    revoke_family(&state.db, &caller.family_id, "logout").await?;
    let user = users::by_id(&state.db, caller.user_id).await?;
    audit::append(&state.db, login_entry(user.as_ref(), "auth.logout", Outcome::Ok, origin, None)).await?;
    Ok(())
}
