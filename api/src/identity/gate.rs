//! What a signed-in account must do before anything else: change a one-time or expired
//! password, or enrol the second factor its role signs in with. Judged from the account
//! row the caller's resolution reads anyway, so it costs no query. Until it is done the
//! session may only use its own session and credentials (`/auth/me`, `/auth/logout`,
//! `/auth/password`, `/auth/totp/*`).

use chrono::{DateTime, Duration, Utc};

use super::caller::Role;
use super::policy::Function;
use super::totp;
use crate::config::AuthSettings;
use crate::error::{ApiError, ErrorCode};
use crate::store::users::User;

/// The first thing the account must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// A one-time password (first sign-in, reset) or one older than
    /// `auth.password_max_age_days`: `POST /auth/password`.
    PasswordChange,
    /// A role that signs in with a TOTP code and has none: `POST /auth/totp/enrol`,
    /// then `/auth/totp/confirm`.
    SecondFactorEnrolment,
}

/// When the account's password expires (accounts without a password never do).
pub fn password_expires_at(settings: &AuthSettings, u: &User) -> Option<DateTime<Utc>> {
    u.password_hash.as_ref()?;
    let since = u.password_changed_at.unwrap_or(u.created_at).with_timezone(&Utc);
    Some(since + Duration::days(settings.password_max_age_days))
}

/// Whether the password must be changed now: a one-time password, or an expired one.
pub fn password_change_required(settings: &AuthSettings, u: &User, now: DateTime<Utc>) -> bool {
    u.password_hash.is_some() && (u.must_change_password || password_expires_at(settings, u).is_some_and(|t| t <= now))
}

/// Whether a role that needs a second factor signs in with a password and has none.
pub fn second_factor_missing(role: Role, u: &User) -> bool {
    u.password_hash.is_some() && totp::required_for(role) && u.totp_secret.is_none()
}

/// What the account must do first, if anything (the password before the factor).
pub fn pending(settings: &AuthSettings, role: Role, u: &User, now: DateTime<Utc>) -> Option<Pending> {
    if password_change_required(settings, u, now) {
        Some(Pending::PasswordChange)
    } else if second_factor_missing(role, u) {
        Some(Pending::SecondFactorEnrolment)
    } else {
        None
    }
}

/// The functions a session with something pending may still use.
pub fn allowed_while_pending(function: Function) -> bool {
    matches!(function, Function::OwnSession | Function::OwnCredentials)
}

/// The 403 for anything else.
pub fn refusal(p: Pending) -> ApiError {
    match p {
        Pending::PasswordChange => ApiError::new(
            ErrorCode::PasswordChangeRequired,
            "change the password first (POST /auth/password): it is a one-time password or has expired",
        ),
        Pending::SecondFactorEnrolment => ApiError::new(
            ErrorCode::SecondFactorEnrolmentRequired,
            "enrol the second factor first (POST /auth/totp/enrol, then /auth/totp/confirm)",
        ),
    }
}
