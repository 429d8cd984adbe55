//! The mini-program (`/mp`): WeChat sign-in, binding to an enterprise, the caller's
//! phone number, inviting responsible persons and the enterprise's people.
//! Every POST but sign-in needs an `Idempotency-Key` (see `crate::http::idempotency`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::governance::reminders::{self, SubscriptionRequest, Subscriptions};
use crate::http::extract::Json;
use crate::identity::binding::{self, BindRole, IssuedCode};
use crate::identity::people::{self, Person};
use crate::identity::service::TokenPair;
use crate::identity::{Caller, Scope, wechat_login};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WechatLogin {
    /// The one-time code from `wx.login()`.
    #[schema(pattern = "^[!-~]{1,128}$")]
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindRequest {
    /// The binding code (`XXXX-XXXX`) from the service organisation or an officer.
    #[schema(pattern = "^[!-~]{1,32}$")]
    pub code: String,
    /// The holder's name as colleagues know it (1-32 characters).
    #[schema(min_length = 1, max_length = 32, pattern = "\\S")]
    pub display_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Bound {
    pub user_id: i64,
    pub enterprise_id: Option<i64>,
    pub role: String,
    pub display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    /// The code from a `getPhoneNumber` button (`e.detail.code`).
    #[schema(pattern = "^[!-~]{1,128}$")]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneSaved {
    /// Masked: `138****1234`.
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FullPhone {
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct People {
    pub items: Vec<Person>,
}

fn code_field(code: &str, max: usize) -> Result<&str, ApiError> {
    let c = code.trim();
    if c.is_empty() || c.len() > max {
        return Err(ApiError::field(ErrorCode::InvalidField, "code", format!("code: 1-{max} characters")));
    }
    Ok(c)
}

/// Signs in with a `wx.login` code. A WeChat user new to zhicha gets an account bound
/// to nothing (`bound: false`) until it binds with a binding code.
#[utoipa::path(
    post, path = "/mp/auth/login", tag = "mini-program", request_body = WechatLogin,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "WeChat rejected the code", body = ErrorBody),
        (status = 403, description = "blocked by WeChat, or not a WeChat account", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 503, description = "WeChat busy or unreachable; see Retry-After", body = ErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<WechatLogin>,
) -> Result<HttpResponse, ApiError> {
    let code = code_field(&body.0.code, 128)?;
    let pair = wechat_login::login(&state, code, &origin(&req)).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(pair))
}

/// Binds the caller's new WeChat account to an enterprise with a binding code.
#[utoipa::path(
    post, path = "/mp/bind", tag = "mini-program", request_body = BindRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = Bound),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "already bound", body = ErrorBody),
        (status = 422, description = "unknown, expired or used code", body = ErrorBody),
        (status = 428, body = ErrorBody),
    )
)]
pub async fn bind(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<BindRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = code_field(&body.0.code, 32)?;
    let name = body.0.display_name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 32) {
        return Err(ApiError::field(ErrorCode::InvalidField, "display_name", "display_name: 1-32 characters"));
    }
    let u = binding::bind(&state, &caller, code, name, &origin(&req)).await?;
    Ok(HttpResponse::Ok().json(Bound {
        user_id: u.id,
        enterprise_id: u.enterprise_id,
        role: u.role,
        display_name: u.display_name,
    }))
}

/// Saves the caller's phone number from WeChat's phone-number button.
#[utoipa::path(
    post, path = "/mp/me/phone", tag = "mini-program", request_body = PhoneRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = PhoneSaved),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the number belongs to another account", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
        (status = 503, description = "WeChat busy or unreachable", body = ErrorBody),
    )
)]
pub async fn phone(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<PhoneRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = code_field(&body.0.code, 128)?;
    let phone = people::set_phone(&state, &caller, code, &origin(&req)).await?;
    Ok(HttpResponse::Ok().json(PhoneSaved { phone }))
}

/// Invites a responsible person: a single-use binding code for the caller's enterprise.
#[utoipa::path(
    post, path = "/mp/invites", tag = "mini-program", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = IssuedCode),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn invite(state: web::Data<AppState>, req: HttpRequest, caller: Caller) -> Result<HttpResponse, ApiError> {
    let Scope::Enterprise(enterprise) = caller.scope else {
        return Err(ApiError::new(ErrorCode::Forbidden, "bind this account to an enterprise first"));
    };
    let issued = binding::issue(&state, &caller, enterprise, BindRole::ResponsiblePerson, &origin(&req)).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(issued))
}

/// The people of the caller's enterprise, phones masked.
#[utoipa::path(
    get, path = "/mp/people", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = People), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn people_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let items = people::of_enterprise(&state, &caller, &origin(&req)).await?;
    Ok(HttpResponse::Ok().json(People { items }))
}

/// A colleague's full phone number (recorded on the audit trail).
#[utoipa::path(
    get, path = "/mp/people/{id}/phone", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses(
        (status = 200, body = FullPhone),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn person_phone(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let phone = people::phone_of(&state, &caller, *id, &origin(&req)).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(FullPhone { phone }))
}

/// Records what `wx.requestSubscribeMessage` returned: each acceptance lets the server
/// send one rectification reminder to the caller.
#[utoipa::path(
    post, path = "/mp/me/subscriptions", tag = "mini-program", request_body = SubscriptionRequest,
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = Subscriptions),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn subscribe(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<SubscriptionRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(reminders::add_credits(&state, &caller, &body.0).await?))
}
