//! The caller's own credentials: changing the password under the MLPS level 3 policy
//! (`password_policy`), and enrolling a TOTP second factor through the API: a secret
//! pending until the first code from the authenticator confirms it.

use chrono::{DateTime, Duration, Utc};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::password_policy::{self as policy, Rule};
use super::{Caller, gate, password, totp};
use crate::error::{ApiError, ErrorCode};
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::users::{self, User};

/// The name authenticator apps show for the account.
const ISSUER: &str = "zhicha";

/// The caller's credentials, as `/auth/me` reports them.
#[derive(Debug)]
pub struct CredentialState {
    /// See `TokenPair.password_change_required`.
    pub password_change_required: bool,
    /// See `TokenPair.second_factor_enrolment_required`.
    pub second_factor_enrolment_required: bool,
    /// When the password expires; `null` for accounts without one (WeChat sign-in).
    pub password_expires_at: Option<DateTime<Utc>>,
    /// `none`, `pending` (enrolled, not yet confirmed by a code) or `active`.
    pub second_factor: String,
}

/// A second factor being enrolled: show the QR image (or the URI, or the secret) to an
/// authenticator app, then confirm with its first code.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// `otpauth://totp/zhicha:<username>?secret=…&issuer=zhicha&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_uri: String,
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

async fn own(state: &AppState, caller: &Caller) -> Result<User, ApiError> {
    users::by_id(&state.db, caller.user_id).await?.ok_or_else(|| ApiError::not_found("account"))
}

fn no_password() -> ApiError {
    ApiError::new(ErrorCode::InvalidState, "this account signs in through WeChat and has no password")
        .with_details(json!({ "state": "wechat" }))
}

pub async fn state_of(state: &AppState, caller: &Caller) -> Result<CredentialState, ApiError> {
    let u = own(state, caller).await?;
    let a = &state.settings.auth;
    let second_factor = match (&u.totp_secret, &u.totp_pending_secret) {
        (Some(_), _) => "active",
        (None, Some(_)) => "pending",
        (None, None) => "none",
    };
    Ok(CredentialState {
        password_change_required: gate::password_change_required(a, &u, Utc::now()),
        second_factor_enrolment_required: gate::second_factor_missing(caller.role, &u),
        password_expires_at: gate::password_expires_at(a, &u),
        second_factor: second_factor.to_string(),
    })
}

/// Whether `candidate` matches any of `hashes` (argon2, off the async workers).
async fn matches_any(state: &AppState, hashes: Vec<String>, candidate: &str) -> Result<bool, ApiError> {
    let a = state.settings.auth.clone();
    let candidate = candidate.to_string();
    tokio::task::spawn_blocking(move || hashes.iter().any(|h| password::verify(&a, h, &candidate)))
        .await
        .map_err(ApiError::internal)
}

pub async fn hash(state: &AppState, pass: &str) -> Result<String, ApiError> {
    let a = state.settings.auth.clone();
    let pass = pass.to_string();
    tokio::task::spawn_blocking(move || password::hash(&a, &pass))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Changes the caller's password: the current one proves it is them, the new one meets
/// the policy and is none of the last [`policy::HISTORY`].
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    current: &str,
    new: &str,
    origin: &Origin,
) -> Result<(), ApiError> {
    if current.chars().count() > policy::MAX_LENGTH {
        return Err(ApiError::field(ErrorCode::InvalidField, "current_password", "current_password: wrong password"));
    }
    policy::check(None, new).map_err(|r| policy::refusal("new_password", r))?;
    let u = own(state, caller).await?;
    let Some(stored) = u.password_hash.clone() else { return Err(no_password()) };
    policy::check(u.username.as_deref(), new).map_err(|r| policy::refusal("new_password", r))?;
    // A failed proof counts like a failed sign-in, and a locked account proves nothing
    // until the lockout ends: a stolen session cannot guess the password faster than
    // sign-in could. (The session itself goes on: its holder knew the password once.)
    let now = Utc::now();
    if let Some(secs) = u.locked_until.map(|t| (t.with_timezone(&Utc) - now).num_seconds()).filter(|s| *s > 0) {
        return Err(ApiError::new(ErrorCode::AccountLocked, "too many wrong passwords; try again later")
            .with_details(json!({ "retry_after_seconds": secs })));
    }
    if !matches_any(state, vec![stored.clone()], current).await? {
        let failures = u.failed_logins + 1;
        let a = &state.settings.auth;
        let lock = failures >= a.max_failed_logins;
        let txn = crate::platform::db::begin_write(&state.db).await?;
        let until = lock.then(|| (now + Duration::minutes(a.lockout_minutes)).fixed_offset());
        users::record_failed_login(&txn, u.id, if lock { 0 } else { failures }, until).await?;
        let detail = if lock { "wrong current password; account locked" } else { "wrong current password" };
        audit::append(
            &txn,
            Entry::by(caller, origin, "user.password.change", "user")
                .object(u.id)
                .outcome(Outcome::Failed)
                .detail(detail),
        )
        .await?;
        txn.commit().await?;
        return Err(ApiError::field(ErrorCode::InvalidField, "current_password", "current_password: wrong password"));
    }
    let mut recent = users::recent_passwords(&state.db, u.id, policy::HISTORY).await?;
    recent.push(stored);
    if matches_any(state, recent, new).await? {
        return Err(policy::refusal("new_password", Rule::Reused));
    }
    let hashed = hash(state, new).await?;
    let now = Utc::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    users::set_password(&txn, u.id, &hashed, false, now).await?;
    users::remember_password(&txn, u.id, &hashed, policy::HISTORY).await?;
    let before = if u.must_change_password { "one-time" } else { "set" };
    audit::append(
        &txn,
        Entry::by(caller, origin, "user.password.change", "user")
            .object(u.id)
            .detail(json!({ "before": before, "after": "changed" }).to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn otpauth_uri(username: &str, secret: &str) -> String {
    let label = utf8_percent_encode(username, NON_ALPHANUMERIC);
    format!("otpauth://totp/{ISSUER}:{label}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period=30")
}

fn qr_svg(uri: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| ApiError::internal(anyhow::anyhow!("QR code: {e}")))?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).build())
}

/// Starts (or restarts) the enrolment of a TOTP second factor: a new secret, sealed and
/// pending until [`confirm_totp`]. An account whose factor is active keeps it; only the
/// security administrator's reset clears it for a new enrolment.
pub async fn enrol_totp(state: &AppState, caller: &Caller, origin: &Origin) -> Result<TotpEnrolment, ApiError> {
    let u = own(state, caller).await?;
    let Some(username) = u.username.clone().filter(|_| u.password_hash.is_some()) else { return Err(no_password()) };
    if u.totp_secret.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            "a second factor is active; the security administrator resets it before another is enrolled",
        )
        .with_details(json!({ "state": "active" })));
    }
    let (secret, sealed) = totp::enrol(&state.vault).map_err(ApiError::internal)?;
    let uri = otpauth_uri(&username, &secret);
    let qr = qr_svg(&uri)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    users::set_totp_pending(&txn, u.id, &sealed, Utc::now().fixed_offset()).await?;
    audit::append(&txn, Entry::by(caller, origin, "user.totp.enrol", "user").object(u.id).detail("pending")).await?;
    txn.commit().await?;
    Ok(TotpEnrolment { otpauth_uri: uri, secret, qr_svg: qr })
}

/// Confirms the pending second factor with a code from it: from then on sign-in asks
/// for a code.
pub async fn confirm_totp(state: &AppState, caller: &Caller, code: &str, origin: &Origin) -> Result<(), ApiError> {
    let u = own(state, caller).await?;
    if u.password_hash.is_none() {
        return Err(no_password());
    }
    let Some(sealed) = u.totp_pending_secret.clone().filter(|_| u.totp_secret.is_none()) else {
        let state = if u.totp_secret.is_some() { "active" } else { "none" };
        return Err(ApiError::new(ErrorCode::InvalidState, "no second factor is pending: POST /auth/totp/enrol first")
            .with_details(json!({ "state": state })));
    };
    let secret = totp::unseal(&state.vault, &sealed).map_err(ApiError::internal)?;
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let Some(step) = totp::accept(&secret, code, now, None) else {
        audit::append(
            &state.db,
            Entry::by(caller, origin, "user.totp.confirm", "user").object(u.id).outcome(Outcome::Failed),
        )
        .await?;
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "code",
            "code: not the authenticator's current code (check the device's clock)",
        ));
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if users::confirm_totp(&txn, u.id, &sealed, step, Utc::now().fixed_offset()).await? == 0 {
        return Err(ApiError::new(ErrorCode::Conflict, "the enrolment changed meanwhile; enrol again"));
    }
    audit::append(&txn, Entry::by(caller, origin, "user.totp.confirm", "user").object(u.id).detail("active")).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_names_the_account_and_the_qr_is_svg() {
        let uri = otpauth_uri("hrss.city", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/zhicha:hrss%2Ecity?secret=JBSWY3DPEHPK3PXP&issuer=zhicha&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap_or_default();
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{svg}");
    }
}
