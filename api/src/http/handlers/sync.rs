//! The phone's change feed (`/mp/sync`): after working offline it asks what changed
//! since its cursor and re-reads those resources.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::Caller;
use crate::platform::sync::Page;
use crate::selfcheck::sync;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SyncQuery {
    /// `next_cursor` of the previous call; 0 (the default) for everything.
    #[param(minimum = 0)]
    pub cursor: Option<i64>,
    /// Changes read per call, 1-1000 (default 500).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// What changed in the caller's enterprise after `cursor`, oldest first: each
/// inspection, finding, photo or report once, at its latest change.
#[utoipa::path(
    get, path = "/mp/sync", tag = "mini-program", security(("bearer" = [])),
    params(SyncQuery),
    responses((status = 200, body = Page), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn changes(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<SyncQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "limit", "1-1000"));
    }
    let cursor = q.cursor.unwrap_or(0);
    if cursor < 0 {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "cursor", "a previous next_cursor, or 0"));
    }
    Ok(HttpResponse::Ok().json(sync::changes(&state, &caller, cursor, limit).await?))
}
