//! The caller's own password and second factor (`/auth/password`, `/auth/totp/…`):
//! open to a session that must change its password or enrol its factor first.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::ValidatedJson;
use crate::identity::Caller;
use crate::identity::credentials::{self, TotpEnrolment};

use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub current_password: String,
    /// 12-128 characters mixing at least three of upper case, lower case, digits and
    /// symbols, without the username, and none of the account's last five passwords
    /// (MLPS level 3). A refusal is 422 `invalid_field` with `details.field` =
    /// `new_password` and `details.rule` = `length`, `character_classes`,
    /// `contains_username` or `reused`.
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmation {
    /// The six-digit code the authenticator shows now.
    #[validate(custom(function = "six_digits"))]
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

fn six_digits(s: &str) -> Result<(), validator::ValidationError> {
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("code").with_message("six digits".into()))
    }
}

/// Changes the caller's password (required after a one-time password or expiry).
#[utoipa::path(
    post, path = "/auth/password", tag = "identity", security(("bearer" = [])), request_body = PasswordChange,
    responses(
        (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`account_locked` after too many wrong current passwords (as sign-in)", body = ErrorBody),
        (status = 409, description = "a WeChat account, which has no password", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "wrong `current_password`, or `new_password` breaks the policy (`details.rule`)", body = ErrorBody),
    )
)]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: ValidatedJson<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    credentials::change_password(&state, &caller, &b.current_password, &b.new_password, &origin(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts enrolling a TOTP second factor: a new secret as an `otpauth://` URI and its QR
/// image, pending until `POST /auth/totp/confirm` with a first code.
#[utoipa::path(
    post, path = "/auth/totp/enrol", tag = "identity", security(("bearer" = [])),
    responses(
        (status = 200, body = TotpEnrolment), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "a factor is active already (`details.state` = `active`), or a WeChat account", body = ErrorBody),
    )
)]
pub async fn totp_enrol(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let e = credentials::enrol_totp(&state, &caller, &origin(&req)).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(e))
}

/// Confirms the pending TOTP factor with a code from it; from then on sign-in asks for a code.
#[utoipa::path(
    post, path = "/auth/totp/confirm", tag = "identity", security(("bearer" = [])), request_body = TotpConfirmation,
    responses(
        (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "nothing pending (`details.state` = `none` or `active`)", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "a wrong code (`details.field` = `code`)", body = ErrorBody),
    )
)]
pub async fn totp_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: ValidatedJson<TotpConfirmation>,
) -> Result<HttpResponse, ApiError> {
    credentials::confirm_totp(&state, &caller, &body.0.code, &origin(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}
