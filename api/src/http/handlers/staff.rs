//! The security administrator's staff accounts (`/admin/organisations`,
//! `/admin/users`): organisations, accounts with one-time passwords, disabling,
//! re-enabling and resetting. The rules of role separation are in `identity::staff`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::ValidatedJson;
use crate::identity::Caller;
use crate::identity::staff::{self, NewOrganisation, NewStaffAccount, OrganisationView, StaffCredentials};
use crate::state::AppState;

/// Every organisation accounts can belong to (bureaus and service organisations).
#[utoipa::path(
    get, path = "/admin/organisations", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrganisationView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn organisations(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(staff::organisations(&state).await?))
}

/// Creates an organisation: a bureau (of a province or a city) or a service
/// organisation, in a region of the GB/T 2260 table.
#[utoipa::path(
    post, path = "/admin/organisations", tag = "admin", security(("bearer" = [])), request_body = NewOrganisation,
    responses(
        (status = 201, body = OrganisationView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "an organisation of this kind has this name", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "a field is missing or wrong; `details.field` names it", body = ErrorBody),
    )
)]
pub async fn create_organisation(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: ValidatedJson<NewOrganisation>,
) -> Result<HttpResponse, ApiError> {
    let o = staff::create_organisation(&state, &caller, body.0, &origin(&req)).await?;
    Ok(HttpResponse::Created().json(o))
}

/// Creates a staff account with a one-time password, shown in this answer only and to
/// be changed at the first sign-in.
#[utoipa::path(
    post, path = "/admin/users", tag = "admin", security(("bearer" = [])), request_body = NewStaffAccount,
    responses(
        (status = 201, body = StaffCredentials),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the username is taken, or the expert has an account", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "a field is missing, wrong or does not fit the role; `details.field` names it", body = ErrorBody),
    )
)]
pub async fn create_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: ValidatedJson<NewStaffAccount>,
) -> Result<HttpResponse, ApiError> {
    let c = staff::create_account(&state, &caller, body.0, &origin(&req)).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(c))
}

/// Disables an account and ends its sessions. Not one's own account, and not the last
/// active security administrator.
#[utoipa::path(
    post, path = "/admin/users/{id}/disable", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses(
        (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "one's own account (`details.rule` = `own_account`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the last active security administrator", body = ErrorBody),
    )
)]
pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    staff::disable(&state, &caller, *id, &origin(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enables a disabled account again (and lifts a lockout). Not one's own account.
#[utoipa::path(
    post, path = "/admin/users/{id}/enable", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses(
        (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "one's own account (`details.rule` = `own_account`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    staff::enable(&state, &caller, *id, &origin(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new one-time password for an account (shown in this answer only): it must be
/// changed at the next sign-in, the second factor is cleared to be enrolled again, and
/// the account's sessions end. Not one's own account (that is `POST /auth/password`).
#[utoipa::path(
    post, path = "/admin/users/{id}/reset-password", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses(
        (status = 200, body = StaffCredentials), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "one's own account (`details.rule` = `own_account`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "a WeChat account, which has no password", body = ErrorBody),
    )
)]
pub async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let c = staff::reset_password(&state, &caller, *id, &origin(&req)).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(c))
}
