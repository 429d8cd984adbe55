//! Enterprise queries filtered by the caller's scope in SQL: a row outside the scope
//! is never loaded, so it reads as not found.
//!
//! Two layers: the enterprises a caller sees (its own, its region's, its clients'), and
//! within them the findings it sees. A responsible person (整改责任人) is an enterprise
//! account that sees only the findings whose rectification is assigned to them, and
//! the photos of those findings; every query of findings, photos and the change feed
//! adds the conditions below, so no route can forget it.

use sea_orm::sea_query::{Condition, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use crate::domain::{Caller, Role, Scope};
use crate::entities::{enterprises, evidence, rectifications, sync_log};
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

/// Whether the caller sees only the findings assigned to it rather than all of its
/// enterprise's (a responsible person).
pub fn assignee_only(caller: &Caller) -> bool {
    caller.role == Role::ResponsiblePerson
}

/// The ids of the findings assigned to the caller within its enterprise, as a subquery.
fn assigned_to(caller: &Caller) -> SelectStatement {
    let mut q = rectifications::Entity::find()
        .select_only()
        .column(rectifications::Column::FindingId)
        .filter(rectifications::Column::AssigneeId.eq(caller.user_id));
    // An assignment outside the caller's enterprise (the account moved) grants nothing;
    // an account bound to no enterprise matches no row (the column is never null).
    q = match caller.scope {
        Scope::Enterprise(id) => q.filter(rectifications::Column::EnterpriseId.eq(id)),
        _ => q.filter(rectifications::Column::EnterpriseId.is_null()),
    };
    q.into_query()
}

/// The findings the caller sees among its enterprises' ones, as a condition on a
/// finding-id column (`findings.id`, or any column naming a finding): always true for
/// officers and bureaus, the assigned ones for a responsible person.
pub fn findings<C: ColumnTrait>(caller: &Caller, finding_id: C) -> Condition {
    if assignee_only(caller) {
        Condition::all().add(finding_id.in_subquery(assigned_to(caller)))
    } else {
        Condition::all()
    }
}

/// The photos (records or upload intents, by their owner columns) the caller sees
/// among its enterprises' ones: for a responsible person, those of the findings
/// assigned to it (before, progress and after photos all hang off the finding); never
/// a round's checklist photos.
pub fn photos<K: ColumnTrait, I: ColumnTrait>(caller: &Caller, owner_kind: K, owner_id: I) -> Condition {
    if assignee_only(caller) {
        Condition::all().add(owner_kind.eq("finding")).add(owner_id.in_subquery(assigned_to(caller)))
    } else {
        Condition::all()
    }
}

/// [`photos`] on the evidence records.
pub fn evidence(caller: &Caller) -> Condition {
    photos(caller, evidence::Column::OwnerKind, evidence::Column::OwnerId)
}

/// The change-feed entries the caller sees: for a responsible person, the changes of
/// its findings and of their photos (not of rounds or reports, which are the officer's).
pub fn feed(caller: &Caller) -> Condition {
    if !assignee_only(caller) {
        return Condition::all();
    }
    let photos =
        evidence::Entity::find().select_only().column(evidence::Column::Id).filter(evidence(caller)).into_query();
    Condition::any()
        .add(
            Condition::all()
                .add(sync_log::Column::Kind.eq("finding"))
                .add(sync_log::Column::ObjectId.in_subquery(assigned_to(caller))),
        )
        .add(
            Condition::all()
                .add(sync_log::Column::Kind.eq("evidence"))
                .add(sync_log::Column::ObjectId.in_subquery(photos)),
        )
}
