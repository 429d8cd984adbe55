//! Recommendation rounds: the officer's checklist (`/mp`) and the bureau's view of
//! what was recommended and what was found (`/gov`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::etag;
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::selfcheck::recommendations::{self, Answer, Generated, Round, RoundPage};
use crate::state::AppState;
use crate::store::paging::paging;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RoundQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Page size, 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only this area (`电气安全`, ...).
    pub area: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// 1-500 answers; all are checked before any is stored.
    #[schema(min_items = 1, max_items = 500)]
    pub answers: Vec<Answer>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackSaved {
    pub recorded: usize,
    /// Items of the round answered so far.
    pub answered: u64,
}

/// Generates a new recommendation round for the caller's enterprise: at least 150
/// applicable items where the library allows, each with why it is there.
#[utoipa::path(
    post, path = "/mp/recommendations", tag = "mini-program", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = Generated),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the enterprise has no industry code", body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn generate(state: web::Data<AppState>, req: HttpRequest, caller: Caller) -> Result<HttpResponse, ApiError> {
    let round = recommendations::generate(&state, &caller, None, &origin(&req)).await?;
    Ok(HttpResponse::Created().json(round))
}

/// The caller's enterprise's rounds, newest first.
#[utoipa::path(
    get, path = "/mp/recommendations", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = Vec<Round>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn rounds(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(recommendations::rounds(&state, &caller, None).await?))
}

/// One round's items in priority order (optionally one area), with explanations and
/// answers. A round never changes, only its answers: send the page's `ETag` back as
/// `If-None-Match` and an unchanged page is 304 without a body.
#[utoipa::path(
    get, path = "/mp/recommendations/{id}", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), RoundQuery, etag::Conditional),
    responses(
        (status = 200, body = RoundPage, headers(
            ("ETag" = String, description = "strong; changes when an answer of the round does"),
            ("Cache-Control" = String, description = "`private, no-cache`: revalidate before reuse"),
        )),
        (status = 304, description = "the copy named by `If-None-Match` is current; no body", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn round(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    q: web::Query<RoundQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = paging(q.page, q.per_page)?;
    let held = |tag: &str| etag::held(&req, tag);
    let page = recommendations::page(&state, &caller, None, *id, q.area.as_deref(), p, held).await?;
    Ok(etag::answer(&page.tag, page.body))
}

/// Records the officer's answers for items of a round (found / not found / not
/// applicable with a reason); a later answer for the same item replaces the earlier.
#[utoipa::path(
    post, path = "/mp/recommendations/{id}/feedback", tag = "mini-program", request_body = FeedbackRequest,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = FeedbackSaved),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn feedback(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<FeedbackRequest>,
) -> Result<HttpResponse, ApiError> {
    let recorded = recommendations::answer(&state, &caller, *id, &body.0.answers, &origin(&req)).await?;
    let answered = recommendations::answered(&state, *id).await?;
    Ok(HttpResponse::Ok().json(FeedbackSaved { recorded, answered }))
}

/// An enterprise's rounds in the caller's jurisdiction.
#[utoipa::path(
    get, path = "/gov/enterprises/{id}/recommendations", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses((status = 200, body = Vec<Round>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn gov_rounds(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(recommendations::rounds(&state, &caller, Some(*id)).await?))
}

/// One round of an enterprise in the caller's jurisdiction: recommended against found.
/// Conditional like the officer's page (`ETag`, `If-None-Match`, 304).
#[utoipa::path(
    get, path = "/gov/enterprises/{id}/recommendations/{round_id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id"), ("round_id" = i64, Path, description = "round id"), RoundQuery, etag::Conditional),
    responses(
        (status = 200, body = RoundPage, headers(
            ("ETag" = String, description = "strong; changes when an answer of the round does"),
            ("Cache-Control" = String, description = "`private, no-cache`: revalidate before reuse"),
        )),
        (status = 304, description = "the copy named by `If-None-Match` is current; no body", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn gov_round(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    q: web::Query<RoundQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, round) = path.into_inner();
    let p = paging(q.page, q.per_page)?;
    let held = |tag: &str| etag::held(&req, tag);
    let page = recommendations::page(&state, &caller, Some(id), round, q.area.as_deref(), p, held).await?;
    Ok(etag::answer(&page.tag, page.body))
}
