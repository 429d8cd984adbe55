//! Enterprise queries filtered by the caller's scope in SQL: a row outside the scope
//! is never loaded, so it reads as not found.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use crate::auth::{Caller, Scope};
use crate::entities::enterprises;
use crate::error::{ApiError, ErrorCode};

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
