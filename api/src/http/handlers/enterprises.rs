//! Enterprises as bureaus (`/gov`) and enterprises themselves (`/mp`) see them.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::identity::Caller;
use crate::reference::enterprises;
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
    let filter = ListFilter { division: query.division.clone(), key_only: query.key_only == Some(true) };
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
