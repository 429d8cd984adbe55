//! Sign-in for accounts with a username (bureaus, service organisation, experts,
//! administrators), token refresh and sign-out.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::http::extract::Json;
use crate::http::request_id;
use crate::identity::credentials;
use crate::identity::service::{self, Origin, TokenPair};
use crate::identity::{Caller, Role, Scope};
use crate::state::AppState;

pub fn origin(req: &HttpRequest) -> Origin {
    Origin {
        ip: req.peer_addr().map(|a| a.ip().to_string()),
        user_agent: req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect()),
        request_id: request_id::current(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(pattern = "^[!-~]{1,64}$")]
    pub username: String,
    /// At most 128 characters (the password policy's maximum).
    #[schema(max_length = 128)]
    pub password: String,
    /// Six-digit TOTP code; required for bureau accounts.
    #[schema(pattern = "^[0-9]{6}$")]
    pub totp: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub display_name: String,
    pub role: Role,
    /// `enterprise`, `region`, `expert`, `service_org`, `system` or `unbound`.
    pub scope: String,
    /// The enterprise id, region code, expert id or organisation id of the scope.
    pub scope_id: Option<String>,
    /// A one-time or expired password: only `/auth/me`, `/auth/logout`,
    /// `/auth/password` and `/auth/totp/*` answer until `POST /auth/password` changes
    /// it; everything else is 403 `password_change_required`.
    pub password_change_required: bool,
    /// The role signs in with a TOTP code and none is active: only the same routes
    /// answer until `POST /auth/totp/enrol` and `/auth/totp/confirm`; everything else
    /// is 403 `second_factor_enrolment_required`.
    pub second_factor_enrolment_required: bool,
    /// When the password expires (`auth.password_max_age_days` after it was set; a
    /// password change is then required); `null` for WeChat accounts.
    pub password_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `none`, `pending` or `active`.
    #[schema(pattern = "^(none|pending|active)$")]
    pub second_factor: String,
}

/// Signs in with username and password, and the TOTP code once a second factor is
/// active. A one-time or expired password (`password_change_required`), or a role that
/// needs a second factor without one (`second_factor_enrolment_required`), still signs
/// in, to a session that may only call `/auth/me`, `/auth/logout`, `/auth/password` and
/// `/auth/totp/*` until that is done.
#[utoipa::path(
    post, path = "/auth/login", tag = "identity", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "wrong username, password or code; or a code is needed", body = ErrorBody),
        (status = 403, description = "account locked", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let pair = service::login(&state, &b.username, &b.password, b.totp.as_deref(), &origin(&req)).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(pair))
}

/// Exchanges a refresh token for a new pair (each refresh token is good once).
#[utoipa::path(
    post, path = "/auth/refresh", tag = "identity", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody))
)]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = service::refresh(&state, body.0.refresh_token.trim(), &origin(&req)).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(pair))
}

/// Signs out: every session of this sign-in is revoked.
#[utoipa::path(
    post, path = "/auth/logout", tag = "identity", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody))
)]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest, caller: Caller) -> Result<HttpResponse, ApiError> {
    service::logout(&state, &caller, &origin(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the token belongs to, with the role and scope the server assigns.
#[utoipa::path(
    get, path = "/auth/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody))
)]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let cred = credentials::state_of(&state, &caller).await?;
    let (scope, scope_id) = match caller.scope {
        Scope::Enterprise(id) => ("enterprise", Some(id.to_string())),
        Scope::Region(r) => ("region", Some(r.to_string())),
        Scope::Expert(id) => ("expert", Some(id.to_string())),
        Scope::ServiceOrg(id) => ("service_org", Some(id.to_string())),
        Scope::System => ("system", None),
        Scope::Unbound => ("unbound", None),
    };
    Ok(HttpResponse::Ok().json(Me {
        user_id: caller.user_id,
        display_name: caller.display_name.clone(),
        role: caller.role,
        scope: scope.into(),
        scope_id,
        password_change_required: cred.password_change_required,
        second_factor_enrolment_required: cred.second_factor_enrolment_required,
        password_expires_at: cred.password_expires_at,
        second_factor: cred.second_factor,
    }))
}
