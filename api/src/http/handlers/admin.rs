//! Administrators (`/admin`), three separate roles as MLPS level 3 expects: the
//! security administrator manages accounts, the audit administrator reads the audit
//! trail, the system administrator sees the rules in force. None of them reads
//! enterprises' data.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::identity::Caller;
use crate::identity::audit_trail;
use crate::identity::people::{self, Account};
use crate::state::AppState;
use crate::store::audit::Filter;
use crate::store::paging::paging;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Page size, 1-200 (default 50).
    pub per_page: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<Account>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// Every account (phones masked).
#[utoipa::path(
    get, path = "/admin/users", tag = "admin", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = AccountPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn users(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = paging(query.page, query.per_page)?;
    let (total, items) = people::accounts(&state, &caller, page, per_page, &origin(&req)).await?;
    Ok(HttpResponse::Ok().json(AccountPage { items, page, per_page, total }))
}

/// Lifts an account's lockout after failed sign-ins.
#[utoipa::path(
    post, path = "/admin/users/{id}/unlock", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn unlock(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    people::unlock(&state, &caller, *id, &origin(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    /// Only this action (`auth.login`, `pii.read`, ...).
    pub action: Option<String>,
    /// Only this actor.
    pub actor_id: Option<i64>,
    /// Only records about this enterprise.
    pub enterprise_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    /// Its place in the hash chain; `null` for the moment (`audit.seal_every_ms`)
    /// between the write's commit and the sealer chaining it.
    pub seq: Option<i64>,
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub actor_id: Option<i64>,
    pub actor_role: String,
    pub organisation_id: Option<i64>,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub enterprise_id: Option<i64>,
    pub region_code: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub result: String,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
    /// The chain's hash at this record; `null` until it is sealed.
    pub hash: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRecord>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// The audit trail, newest first. Reading it is itself recorded.
#[utoipa::path(
    get, path = "/admin/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn audit_trail(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = paging(query.page, query.per_page)?;
    let query = query.into_inner();
    let filter = Filter { action: query.action, actor_id: query.actor_id, enterprise_id: query.enterprise_id };
    let (total, rows) = audit_trail::read(&state, &caller, &filter, page, per_page, &origin(&req)).await?;
    let items: Vec<AuditRecord> = rows
        .into_iter()
        .map(|(r, seal)| AuditRecord {
            id: r.id,
            seq: seal.as_ref().map(|s| s.seq),
            at: r.created_at,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            organisation_id: r.organisation_id,
            action: r.action,
            object_kind: r.object_kind,
            object_id: r.object_id,
            enterprise_id: r.enterprise_id,
            region_code: r.region_code,
            result: r.result,
            request_id: r.request_id,
            ip: r.ip,
            detail: r.detail,
            hash: seal.map(|s| s.hash),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, page, per_page, total }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleFile {
    /// Path under `rules/`, without extension.
    pub file: String,
    pub version: String,
}

/// Which rules library is in force and its files.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesInForce {
    /// `built_in`: the library built into the binary (`rules.dir` empty, the default);
    /// `directory`: the directory `rules.dir` names, which overrides it.
    #[schema(example = "built_in")]
    pub source: RulesSourceKind,
    /// The directory, for `source = directory`.
    pub directory: Option<String>,
    pub files: Vec<RuleFile>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RulesSourceKind {
    BuiltIn,
    Directory,
}

/// The rules library in force (built in, or a directory overriding it) and its files'
/// versions.
#[utoipa::path(
    get, path = "/admin/rules", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = RulesInForce), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn rules(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let files: Vec<RuleFile> = state
        .catalog
        .versions()
        .into_iter()
        .map(|(file, version)| RuleFile { file: file.to_string(), version: version.to_string() })
        .collect();
    let (source, directory) = match crate::reference::rules::source(&state.settings.rules.dir) {
        zhicha_engine::RuleSource::Dir(d) => (RulesSourceKind::Directory, Some(d.display().to_string())),
        zhicha_engine::RuleSource::Files { .. } => (RulesSourceKind::BuiltIn, None),
    };
    Ok(HttpResponse::Ok().json(RulesInForce { source, directory, files }))
}
