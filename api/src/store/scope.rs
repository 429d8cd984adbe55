//! Enterprise queries filtered by the caller's scope in SQL: a row outside the scope
//! is never loaded, so it reads as not found.

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use crate::domain::{Caller, Scope};
use crate::entities::enterprises;
use crate::error::{ApiError, ErrorCode};

/// One enterprise in the caller's scope: `id`, or without one the caller's own (an
/// enterprise account's scope holds exactly one). Anything else reads as not found.
pub async fn enterprise(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: Option<i64>,
) -> Result<enterprises::Model, ApiError> {
    let mut q = enterprises(caller)?;
    if let Some(id) = id {
        q = q.filter(enterprises::Column::Id.eq(id));
    }
    q.one(db).await?.ok_or_else(|| ApiError::not_found("enterprise"))
}

pub fn enterprises(caller: &Caller) -> Result<Select<enterprises::Entity>, ApiError> {
    let q = enterprises::Entity::find();
    Ok(match caller.scope {
        Scope::Enterprise(id) => q.filter(enterprises::Column::Id.eq(id)),
        Scope::Region(r) => q.filter(enterprises::Column::RegionCode.starts_with(r.scope_prefix())),
        Scope::ServiceOrg(org) => q.filter(enterprises::Column::ServiceOrgId.eq(org)),
        Scope::Expert(_) | Scope::System | Scope::Unbound => {
            return Err(ApiError::new(ErrorCode::Forbidden, "this account has no enterprise scope"));
        }
    })
}

/// The ids of the enterprises in the caller's scope (only `id`, given one), as a
/// subquery for the rows that hang off them.
pub fn enterprise_ids(caller: &Caller, id: Option<i64>) -> Result<SelectStatement, ApiError> {
    let mut q = enterprises(caller)?.select_only().column(enterprises::Column::Id);
    if let Some(id) = id {
        q = q.filter(enterprises::Column::Id.eq(id));
    }
    Ok(q.into_query())
}
