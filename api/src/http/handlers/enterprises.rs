//! Enterprises as bureaus (`/gov`) and enterprises themselves (`/mp`) see them.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::reference::enterprises;
use crate::reference::register::{self, Draft};
use crate::state::AppState;
use crate::store::enterprises::{Enterprise as Row, ListFilter};

#[derive(Debug, Serialize, ToSchema)]
pub struct Enterprise {
    pub id: i64,
    pub credit_code: Option<String>,
    pub name: String,
    /// GB/T 4754-2017, e.g. `C2614`.
    pub industry_code: Option<String>,
    /// GB/T 2260.
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub workforce: Option<i32>,
    pub insured_workers: Option<i32>,
    pub risk_class: Option<i16>,
    pub standardisation_grade: Option<String>,
    pub is_key: bool,
    /// WGS 84 degrees.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The service organisation serving it.
    pub service_org_id: Option<i64>,
    /// Declared process conditions (terms of `rules/hazards/vocabulary.toml`).
    pub process_conditions: Vec<String>,
    /// Declared equipment (terms of the same vocabulary).
    pub equipment: Vec<String>,
    /// False once deactivated: it leaves the lists and proposals, its records stay.
    pub active: bool,
    pub deactivated_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// When the register first saw it (created, or first in a roster or accident import).
    pub first_seen_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// How it came in: `api`, `roster`, `accidents`, or none for the seeded ones.
    pub origin: Option<String>,
}

fn terms(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

impl From<Row> for Enterprise {
    fn from(m: Row) -> Self {
        Self {
            id: m.id,
            credit_code: m.credit_code,
            name: m.name,
            industry_code: m.industry_code,
            region_code: m.region_code,
            address: m.address,
            workforce: m.workforce,
            insured_workers: m.insured_workers,
            risk_class: m.risk_class,
            standardisation_grade: m.standardisation_grade,
            is_key: m.is_key,
            latitude: m.latitude,
            longitude: m.longitude,
            service_org_id: m.service_org_id,
            process_conditions: terms(m.process_conditions.as_ref()),
            equipment: terms(m.equipment.as_ref()),
            active: m.active,
            deactivated_at: m.deactivated_at,
            first_seen_at: m.first_seen_at,
            origin: m.origin,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Page size, 1-200 (default 50).
    pub per_page: Option<u64>,
    /// Only this GB/T 4754 division (2 digits).
    pub division: Option<String>,
    /// Only key enterprises.
    pub key_only: Option<bool>,
    /// Deactivated enterprises too (default: active ones only).
    pub include_inactive: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EnterpriseListPage)]
pub struct EnterprisePage {
    pub items: Vec<Enterprise>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// Enterprises in the caller's jurisdiction.
#[utoipa::path(
    get, path = "/gov/enterprises", tag = "bureau", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = EnterprisePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = crate::store::paging::paging(query.page, query.per_page)?;
    let filter = ListFilter {
        division: query.division.clone(),
        key_only: query.key_only == Some(true),
        include_inactive: query.include_inactive == Some(true),
    };
    let (total, rows) = enterprises::page(&state, &caller, &filter, page, per_page).await?;
    let items = rows.into_iter().map(Enterprise::from).collect();
    Ok(HttpResponse::Ok().json(EnterprisePage { items, page, per_page, total }))
}

/// One enterprise in the caller's jurisdiction; any other id reads as not found.
#[utoipa::path(
    get, path = "/gov/enterprises/{id}", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses((status = 200, body = Enterprise), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let e = enterprises::one(&state, &caller, Some(*id)).await?;
    Ok(HttpResponse::Ok().json(Enterprise::from(e)))
}

/// The caller's own enterprise (safety officers and responsible persons).
#[utoipa::path(
    get, path = "/mp/enterprise", tag = "mini-program", security(("bearer" = [])),
    responses((status = 200, body = Enterprise), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn own(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let e = enterprises::one(&state, &caller, None).await?;
    Ok(HttpResponse::Ok().json(Enterprise::from(e)))
}

/// A new enterprise: the four identifying fields are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EnterpriseCreate)]
pub struct CreateRequest {
    /// Unified social credit code, GB 32100-2015: 18 characters, the last a check
    /// character over the first 17 (a wrong one is refused naming this field).
    // Optional in Rust so that a missing one is answered naming it (`invalid_field`).
    #[schema(required = true, nullable = false, pattern = "^[0-9A-HJ-NP-RTUW-Y]{18}$")]
    pub credit_code: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// GB/T 4754-2017 class, `C2614` or `2614`; its division must be in the code table.
    #[schema(required = true, nullable = false, pattern = "^[A-T]?[0-9]{2,4}$")]
    pub industry_code: Option<String>,
    /// GB/T 2260 six-digit code inside the caller's region.
    #[schema(required = true, nullable = false, pattern = "^[0-9]{6}$")]
    pub region_code: Option<String>,
    #[schema(max_length = 300)]
    pub address: Option<String>,
    /// WGS 84, with `longitude`.
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: Option<f64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub workforce: Option<i32>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub insured_workers: Option<i32>,
    /// The serving service organisation (a bureau names one; the service organisation
    /// registers its own clients and may only name itself).
    pub service_org_id: Option<i64>,
    /// Process conditions (`有限空间`, `动火作业` …), terms of `rules/hazards/vocabulary.toml`.
    #[schema(max_items = 50)]
    pub process_conditions: Option<Vec<String>>,
    /// Equipment (`锅炉`, `压力容器` …), terms of the same vocabulary.
    #[schema(max_items = 50)]
    pub equipment: Option<Vec<String>>,
}

/// An edit: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EnterprisePatch)]
pub struct PatchRequest {
    #[schema(pattern = "^[0-9A-HJ-NP-RTUW-Y]{18}$")]
    pub credit_code: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(pattern = "^[A-T]?[0-9]{2,4}$")]
    pub industry_code: Option<String>,
    #[schema(pattern = "^[0-9]{6}$")]
    pub region_code: Option<String>,
    #[schema(max_length = 300)]
    pub address: Option<String>,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: Option<f64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub workforce: Option<i32>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub insured_workers: Option<i32>,
    pub service_org_id: Option<i64>,
    #[schema(max_items = 50)]
    pub process_conditions: Option<Vec<String>>,
    #[schema(max_items = 50)]
    pub equipment: Option<Vec<String>>,
}

fn too_many(field: &str, v: &Option<Vec<String>>) -> Result<(), ApiError> {
    if v.as_ref().is_some_and(|v| v.len() > 50) {
        return Err(ApiError::field(
            crate::error::ErrorCode::InvalidField,
            field,
            format!("{field}: at most 50 terms"),
        ));
    }
    Ok(())
}

impl PatchRequest {
    fn draft(self) -> Result<Draft, ApiError> {
        too_many("process_conditions", &self.process_conditions)?;
        too_many("equipment", &self.equipment)?;
        Ok(Draft {
            credit_code: self.credit_code,
            name: self.name,
            industry_code: self.industry_code,
            region_code: self.region_code,
            address: self.address,
            latitude: self.latitude,
            longitude: self.longitude,
            workforce: self.workforce,
            insured_workers: self.insured_workers,
            service_org_id: self.service_org_id,
            process_conditions: self.process_conditions,
            equipment: self.equipment,
        })
    }
}

impl CreateRequest {
    fn draft(self) -> Result<Draft, ApiError> {
        PatchRequest {
            credit_code: self.credit_code,
            name: self.name,
            industry_code: self.industry_code,
            region_code: self.region_code,
            address: self.address,
            latitude: self.latitude,
            longitude: self.longitude,
            workforce: self.workforce,
            insured_workers: self.insured_workers,
            service_org_id: self.service_org_id,
            process_conditions: self.process_conditions,
            equipment: self.equipment,
        }
        .draft()
    }
}

/// Registers an enterprise in the caller's scope (a bureau: inside its region; the
/// service organisation: as its client). Audited with the enterprise after; it is a
/// new unit, scored and given a checklist in the background at once.
#[utoipa::path(
    post, path = "/gov/enterprises", tag = "bureau", request_body = CreateRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = Enterprise),
        (status = 401, body = ErrorBody),
        (status = 403, description = "role, or `details.field` region_code / service_org_id outside the caller's scope", body = ErrorBody),
        (status = 409, description = "another enterprise has this credit code (`details.field`: credit_code)", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "a field the standards refuse; `details.field` names it", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<CreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let e = register::create(&state, &caller, &origin(&req), body.0.draft()?).await?;
    Ok(HttpResponse::Created().json(Enterprise::from(e)))
}

/// Edits an enterprise in the caller's scope: the fields given change, audited before
/// and after.
#[utoipa::path(
    patch, path = "/gov/enterprises/{id}", tag = "bureau", request_body = PatchRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses(
        (status = 200, body = Enterprise),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<PatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let e = register::edit(&state, &caller, &origin(&req), *id, body.0.draft()?).await?;
    Ok(HttpResponse::Ok().json(Enterprise::from(e)))
}

/// Deactivates an enterprise in the caller's scope: it leaves the lists and proposals,
/// its history stays. 409 `invalid_state` if it already is.
#[utoipa::path(
    post, path = "/gov/enterprises/{id}/deactivate", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses(
        (status = 200, body = Enterprise),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    )
)]
pub async fn deactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let e = register::set_active(&state, &caller, &origin(&req), *id, false).await?;
    Ok(HttpResponse::Ok().json(Enterprise::from(e)))
}

/// Reactivates a deactivated enterprise in the caller's scope.
#[utoipa::path(
    post, path = "/gov/enterprises/{id}/reactivate", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path, description = "enterprise id")),
    responses(
        (status = 200, body = Enterprise),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    )
)]
pub async fn reactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let e = register::set_active(&state, &caller, &origin(&req), *id, true).await?;
    Ok(HttpResponse::Ok().json(Enterprise::from(e)))
}
