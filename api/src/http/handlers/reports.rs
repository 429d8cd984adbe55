//! The self-inspection report: generated and submitted by the officer (`/mp`), read and
//! returned by the addressed bureaus (`/gov`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::etag;
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::selfcheck::reports::{Report, ReportPage, ReportSummary, service};
use crate::state::AppState;
use crate::store::paging::paging;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GovReportQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Page size, 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only versions in this state: `submitted`, `returned` or `superseded`.
    #[param(pattern = "^(submitted|returned|superseded)$")]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// What the enterprise must change, 1-2000 characters.
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub comments: String,
}

fn pdf(id: i64, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Content-Disposition", format!("inline; filename=\"report-{id}.pdf\"")))
        .body(bytes)
}

/// Generates the report of a closed inspection: version 1 as a draft (201), or the
/// existing draft again from the current records (200). A submitted version cannot be
/// regenerated; a returned one is revised instead (409 `invalid_state`).
#[utoipa::path(
    post, path = "/mp/inspections/{id}/report", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "inspection id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, description = "version 1 created", body = Report),
        (status = 200, description = "the draft regenerated", body = Report),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the inspection is not closed, or the report is past draft", body = ErrorBody),
        (status = 428, body = ErrorBody),
        (status = 503, description = "object storage or the report font is unavailable", body = ErrorBody),
    )
)]
pub async fn generate(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (report, created) = service::generate(&state, &caller, *id, &origin(&req)).await?;
    Ok(if created { HttpResponse::Created().json(report) } else { HttpResponse::Ok().json(report) })
}

/// The caller's enterprise's report versions, newest first.
#[utoipa::path(
    get, path = "/mp/reports", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReportSummary>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::list_own(&state, &caller).await?))
}

/// One report version: its content and each bureau's receipt. Send its `ETag` back as
/// `If-None-Match`: an unchanged report is 304 without a body.
#[utoipa::path(
    get, path = "/mp/reports/{id}", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), etag::Conditional),
    responses(
        (status = 200, body = Report, headers(
            ("ETag" = String, description = "strong; the hash of this answer"),
            ("Cache-Control" = String, description = "`private, no-cache`: revalidate before reuse"),
        )),
        (status = 304, description = "the copy named by `If-None-Match` is current; no body", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    etag::hashed(&req, &service::get_own(&state, &caller, *id).await?)
}

/// The report version's PDF.
#[utoipa::path(
    get, path = "/mp/reports/{id}/pdf", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub async fn get_pdf(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(pdf(*id, service::pdf_own(&state, &caller, *id).await?))
}

/// Submits a draft to the HRSS bureau and the emergency bureau of the enterprise's
/// city; each gets a receipt (`received`). The returned version it revises becomes
/// `superseded`. 409 when either bureau is not registered (nothing is written).
#[utoipa::path(
    post, path = "/mp/reports/{id}/submit", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 200, body = Report),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not a draft, or a bureau is missing", body = ErrorBody), (status = 428, body = ErrorBody),
    )
)]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::submit(&state, &caller, *id, &origin(&req)).await?))
}

/// Revises a returned version: the next version as a draft, built from the current
/// records; both versions are kept.
#[utoipa::path(
    post, path = "/mp/reports/{id}/revise", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = Report),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not returned, or already revised", body = ErrorBody), (status = 428, body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn revise(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(service::revise(&state, &caller, *id, &origin(&req)).await?))
}

/// Reports submitted by enterprises in the caller's jurisdiction, newest first.
#[utoipa::path(
    get, path = "/gov/reports", tag = "bureau", security(("bearer" = [])),
    params(GovReportQuery),
    responses((status = 200, body = ReportPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn gov_list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<GovReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = paging(q.page, q.per_page)?;
    Ok(HttpResponse::Ok().json(service::gov_list(&state, &caller, q.status.as_deref(), p).await?))
}

/// One report in the caller's jurisdiction. The first read by a bureau it is
/// addressed to turns that bureau's receipt to `read`. Conditional like the
/// enterprise's read (`ETag`, `If-None-Match`, 304).
#[utoipa::path(
    get, path = "/gov/reports/{id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), etag::Conditional),
    responses(
        (status = 200, body = Report, headers(
            ("ETag" = String, description = "strong; the hash of this answer"),
            ("Cache-Control" = String, description = "`private, no-cache`: revalidate before reuse"),
        )),
        (status = 304, description = "the copy named by `If-None-Match` is current; no body", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn gov_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    etag::hashed(&req, &service::gov_get(&state, &caller, *id, &origin(&req)).await?)
}

/// The PDF of a report in the caller's jurisdiction.
#[utoipa::path(
    get, path = "/gov/reports/{id}/pdf", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub async fn gov_pdf(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(pdf(*id, service::gov_pdf(&state, &caller, *id).await?))
}

/// Returns the report with comments (the bureau's receipt and the version become
/// `returned`); only a bureau the report is addressed to may.
#[utoipa::path(
    post, path = "/gov/reports/{id}/return", tag = "bureau", request_body = ReturnRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses(
        (status = 200, body = Report),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "superseded, or already returned by this bureau", body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn gov_return(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::gov_return(&state, &caller, *id, &body.0.comments, &origin(&req)).await?))
}
