//! Data feeds over HTTP (`/gov/imports`): a roster or an accident file uploaded as
//! multipart/form-data, imported in the background, polled until done.

use actix_multipart::Multipart;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::origin;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::Caller;
use crate::reference::feeds::{self, Upload};
use crate::state::AppState;
use crate::store::feeds::Feed;

/// Form fields other than the file and the mapping are short.
const MAX_FIELD_BYTES: usize = 64;
/// A mapping file's text.
const MAX_MAPPING_BYTES: usize = 64 * 1024;

/// The multipart form of `POST /gov/imports`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// `roster` (参保单位名单, CSV or XLSX) or `accidents` (work-injury records, CSV).
    #[schema(pattern = "^(roster|accidents)$")]
    kind: String,
    /// Accidents: `osha-sir`, `msha` or `generic` (as `zhicha import accidents
    /// --profile`). Rosters take none.
    #[schema(nullable = false, pattern = "^(osha-sir|msha|generic|roster)$")]
    profile: Option<String>,
    /// The column mapping: the name of a file in `rules/mappings/` (a roster defaults
    /// to `roster_social_insurance`), or a mapping file's TOML text (as `--mapping`).
    /// Accidents need one with profile `generic` only.
    #[schema(nullable = false, max_length = 65536)]
    mapping: Option<String>,
    /// The file: at most `imports.max_bytes` (20 MiB unless configured).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// One refused or skipped row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowError {
    /// The file line (sheet row).
    pub line: u64,
    /// The field at fault, when one is (`credit_code`, `industry`, `region` …).
    pub field: Option<String>,
    pub reason: String,
}

/// A data feed and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportFeed {
    pub id: i64,
    /// `roster` or `accidents`.
    pub kind: String,
    pub profile: String,
    /// The mapping's name (a roster's), or the accident mapping's source.
    pub mapping: Option<String>,
    pub file_name: String,
    pub file_sha256: String,
    pub size_bytes: i64,
    /// `queued`, `running`, `done` or `failed`. A roster with any refused row is
    /// `failed` and wrote nothing (all or nothing); an accident file skips bad rows.
    pub status: String,
    /// Rows in the file (data rows, without the header).
    pub rows_total: i32,
    /// Rows written so far.
    pub rows_done: i32,
    /// When done: a roster's `rows_read, created, updated, unchanged, refused`; an
    /// accident file's `rows_read, imported, unchanged, jobs_updated, skipped,
    /// enterprises_created`.
    #[schema(value_type = Option<Object>)]
    pub counts: Option<Value>,
    /// Refused (roster) or skipped (accidents) rows, in file order.
    pub errors: Vec<ImportRowError>,
    /// A sentence on the outcome.
    pub message: Option<String>,
    /// The `import_runs` record of what it wrote (none when it wrote nothing new).
    pub run_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
    pub finished_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl From<Feed> for ImportFeed {
    fn from(f: Feed) -> Self {
        let errors = f
            .errors
            .as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| ImportRowError {
                line: e.get("line").and_then(Value::as_u64).unwrap_or(0),
                field: e.get("field").and_then(Value::as_str).map(str::to_string),
                reason: e.get("reason").and_then(Value::as_str).unwrap_or_default().to_string(),
            })
            .collect();
        Self {
            id: f.id,
            kind: f.kind,
            profile: f.profile,
            mapping: f.mapping,
            file_name: f.file_name,
            file_sha256: f.file_sha256,
            size_bytes: f.size_bytes,
            status: f.status,
            rows_total: f.rows_total,
            rows_done: f.rows_done,
            counts: f.counts,
            errors,
            message: f.message,
            run_id: f.run_id,
            created_at: f.created_at,
            updated_at: f.updated_at,
            finished_at: f.finished_at,
        }
    }
}

fn malformed(e: actix_multipart::MultipartError) -> ApiError {
    use actix_web::error::PayloadError;
    if let actix_multipart::MultipartError::Payload(PayloadError::Io(io)) = &e
        && io.kind() == std::io::ErrorKind::TimedOut
    {
        return ApiError::new(ErrorCode::BodyTimeout, "the file did not arrive in time; send it again");
    }
    ApiError::new(ErrorCode::InvalidBody, format!("the multipart/form-data body cannot be read: {e}"))
}

fn text(name: &str, buf: Vec<u8>) -> Result<String, ApiError> {
    String::from_utf8(buf)
        .map_err(|_| ApiError::field(ErrorCode::InvalidField, name, format!("{name}: not UTF-8 text")))
}

async fn read_form(mut form: Multipart, max_bytes: u64) -> Result<Upload, ApiError> {
    let max_file = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let mut u = Upload::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or_default().to_string();
        let limit = match name.as_str() {
            "file" => max_file,
            "mapping" => MAX_MAPPING_BYTES,
            "kind" | "profile" => MAX_FIELD_BYTES,
            other => {
                return Err(ApiError::field(ErrorCode::InvalidField, other, format!("unknown form field {other:?}")));
            }
        };
        if name == "file" {
            if u.file.is_some() {
                return Err(ApiError::field(ErrorCode::InvalidField, "file", "file: one file per upload"));
            }
            u.file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_string);
        }
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            if buf.len() + chunk.len() > limit {
                let code = if name == "file" { ErrorCode::PayloadTooLarge } else { ErrorCode::InvalidField };
                return Err(ApiError::field(
                    code,
                    &name,
                    format!("{name}: larger than {limit} bytes; nothing was recorded"),
                )
                .with_details(serde_json::json!({ "field": name, "max_bytes": limit })));
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => u.file = Some(buf),
            "mapping" => u.mapping = Some(text("mapping", buf)?),
            "kind" => u.kind = Some(text("kind", buf)?.trim().to_string()),
            _ => u.profile = Some(text("profile", buf)?.trim().to_string()).filter(|p| !p.is_empty()),
        }
    }
    Ok(u)
}

/// Uploads a roster or an accident file. The whole file is checked first (type, size,
/// encoding, structure, the mapping's columns): a bad file is refused and nothing is
/// recorded. Otherwise it is recorded as queued (202) and imported in the background:
/// poll `GET /gov/imports/{id}` until `status` is `done` or `failed`.
#[utoipa::path(
    post, path = "/gov/imports", tag = "bureau", security(("bearer" = [])),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "queued; `Location` is the feed to poll", body = ImportFeed),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "the file exceeds imports.max_bytes (`details.field`: file)", body = ErrorBody),
        (status = 415, description = "not multipart/form-data, or the file is not CSV/XLSX by its content (`details.field`: file)", body = ErrorBody),
        (status = 422, description = "a bad field (`details.field`: kind, profile, mapping) or a malformed file (`details.field`: file, with `line` and `column`)", body = ErrorBody),
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let multipart = req.mime_type().ok().flatten().is_some_and(|m| m.essence_str() == "multipart/form-data");
    if !multipart {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "send the file as multipart/form-data"));
    }
    let u = read_form(form, state.settings.imports.max_bytes).await?;
    let feed = feeds::upload(&state, &caller, &origin(&req), u).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/gov/imports/{}", feed.id)))
        .json(ImportFeed::from(feed)))
}

/// One data feed the caller sees (its own region's or organisation's): status,
/// progress, counts and row errors.
#[utoipa::path(
    get, path = "/gov/imports/{id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "import feed id")),
    responses((status = 200, body = ImportFeed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ImportFeed::from(feeds::one(&state, &caller, *id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportListQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Page size, 1-200 (default 50).
    pub per_page: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportFeedPage {
    pub items: Vec<ImportFeed>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// The data feeds the caller sees, newest first.
#[utoipa::path(
    get, path = "/gov/imports", tag = "bureau", security(("bearer" = [])), params(ImportListQuery),
    responses((status = 200, body = ImportFeedPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ImportListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = crate::store::paging::paging(query.page, query.per_page)?;
    let (total, rows) = feeds::page(&state, &caller, page, per_page).await?;
    Ok(HttpResponse::Ok().json(ImportFeedPage {
        items: rows.into_iter().map(ImportFeed::from).collect(),
        page,
        per_page,
        total,
    }))
}
