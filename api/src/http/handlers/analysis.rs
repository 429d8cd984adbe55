//! The bureaus' analysis of their region's accident records (`/gov/analysis`).

use actix_web::http::header::{
    CacheControl, CacheDirective, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::identity::Caller;
use crate::oversight::analysis;
use crate::oversight::analysis::export::{self, Download, Format};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnalysisQuery {
    /// A city or county within the caller's region (default: the whole region).
    #[param(pattern = "^(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}$")]
    pub region: Option<String>,
    /// The year analysed (default: this year); compared with the year before.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// The share of accidents the training plan must cover, in (0, 1] (default 0.8).
    #[param(exclusive_minimum = 0.0, maximum = 1.0)]
    pub share: Option<f64>,
}

/// The key-industry table of the source plan: per key industry, enterprises, insured
/// enterprises, workforce, insured workers, participation rate, accidents and rate in the
/// year and the change against the year before (aim −20%), for the caller's region.
#[utoipa::path(
    get, path = "/gov/analysis/key-industries", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the table (rows and total)", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn key_industries(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, Some("key_industries")).await
}

/// The training-coverage plan: the fewest job × accident-type pairs covering the chosen
/// share of the region's accidents in the year, and the ten jobs with most accidents.
#[utoipa::path(
    get, path = "/gov/analysis/coverage", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the plan", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn coverage(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, Some("coverage")).await
}

/// The cached report, or one part of it.
async fn report(
    state: &AppState,
    caller: &Caller,
    q: &AnalysisQuery,
    part: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let mut v = analysis::cached_report(state, caller, q.region.as_deref(), q.year, q.share).await?;
    let body = match part {
        Some(p) => v.get_mut(p).map(serde_json::Value::take).unwrap_or_default(),
        None => v,
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Trends over the year and the two before it: monthly and yearly counts and fund
/// payout, overall and by accident type, body part, injury nature and job, with the
/// change against the year before and a seasonal index over the full years.
#[utoipa::path(
    get, path = "/gov/analysis/trends", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the trends", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn trends(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, Some("trends")).await
}

/// Next year's focus: industries, enterprises and jobs ranked by severity-weighted
/// accidents × trend × rate, each with its reason, and the special topics (serious
/// injuries and deaths; new forms of employment such as delivery riders).
#[utoipa::path(
    get, path = "/gov/analysis/focus", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the focus lists and topics", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn focus(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, Some("focus")).await
}

/// The whole analysis report (工伤大数据分析报告) for the year: key-industry table,
/// training-coverage plan, trends, focus and topics, and the summary with improvement
/// suggestions, each citing its figures.
#[utoipa::path(
    get, path = "/gov/analysis/report", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses((status = 200, description = "the report", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn whole(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    report(&state, &caller, &q, None).await
}

/// A download: saved, never cached (the figures are the region's), named in ASCII for
/// old clients and in Chinese (RFC 5987 `filename*`) for the rest.
fn attachment(d: Download) -> HttpResponse {
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(d.ascii_name),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: d.name.into_bytes(),
            }),
        ],
    };
    HttpResponse::Ok()
        .content_type(d.format.content_type())
        .insert_header(disposition)
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(d.bytes)
}

async fn download(
    state: &AppState,
    req: &HttpRequest,
    caller: &Caller,
    q: &AnalysisQuery,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let query = export::Query { region: q.region.as_deref(), year: q.year, share: q.share };
    Ok(attachment(export::download(state, caller, &origin(req), query, format).await?))
}

/// The analysis report as a PDF (A4, Chinese, with the dashboard's charts): overview,
/// key industries, trends, categories, special topics, training coverage, next year's
/// focus and suggestions. Audited (`analysis.export`).
#[utoipa::path(
    get, path = "/gov/analysis/report.pdf", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses(
        (status = 200, description = "the report as an attachment", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, description = "the report font is not installed", body = ErrorBody),
    )
)]
pub async fn report_pdf(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    download(&state, &req, &caller, &q, Format::Pdf).await
}

/// The analysis report's tables as a workbook, one sheet per table (总体, 重点行业,
/// 月度趋势, 年度, 按事故类型, 按受伤部位, 按伤害性质, 按岗位, 专题, 培训覆盖, 重点关注,
/// 改进建议), figures as numbers. Audited (`analysis.export`).
#[utoipa::path(
    get, path = "/gov/analysis/report.xlsx", tag = "bureau", security(("bearer" = [])),
    params(AnalysisQuery),
    responses(
        (status = 200, description = "the workbook as an attachment", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn report_xlsx(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    q: web::Query<AnalysisQuery>,
) -> Result<HttpResponse, ApiError> {
    download(&state, &req, &caller, &q, Format::Xlsx).await
}
