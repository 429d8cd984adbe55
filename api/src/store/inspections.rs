//! Inspection rounds (`inspections`) and their checklist items (`inspection_items`).

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::domain::Caller;
use crate::entities::{hazard_items, inspection_items, inspections, recommendations};
use crate::error::ApiError;
use crate::store::scope;

pub type Inspection = inspections::Model;
pub type InspectionItem = inspection_items::Model;

/// One round of an enterprise in the caller's scope (`enterprise` for bureaus).
pub async fn in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
) -> Result<Inspection, ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    inspections::Entity::find_by_id(id)
        .filter(inspections::Column::EnterpriseId.eq(e.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("inspection"))
}

/// The latest 100 rounds of an enterprise in the caller's scope, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
) -> Result<Vec<Inspection>, ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    Ok(inspections::Entity::find()
        .filter(inspections::Column::EnterpriseId.eq(e.id))
        .order_by_desc(inspections::Column::Id)
        .limit(100)
        .all(db)
        .await?)
}

/// Round `id` if it is the enterprise's.
pub async fn of_enterprise(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    id: i64,
) -> Result<Option<Inspection>, DbErr> {
    inspections::Entity::find_by_id(id).filter(inspections::Column::EnterpriseId.eq(enterprise_id)).one(db).await
}

/// The enterprise's round the phone named `client_id`.
pub async fn by_client_id(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    client_id: &str,
) -> Result<Option<Inspection>, DbErr> {
    inspections::Entity::find()
        .filter(inspections::Column::EnterpriseId.eq(enterprise_id))
        .filter(inspections::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// A round read before in the caller's scope, read again after a write to it.
pub async fn reload(db: &impl ConnectionTrait, id: i64) -> Result<Option<Inspection>, DbErr> {
    inspections::Entity::find_by_id(id).one(db).await
}

/// A new open round, version 1: `recommended` from a recommendation round, else `free`.
pub async fn insert(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    recommendation_round_id: Option<i64>,
    started_by: i64,
    client_id: &str,
    at: DateTime<FixedOffset>,
) -> Result<Inspection, DbErr> {
    inspections::ActiveModel {
        created_at: Set(at),
        enterprise_id: Set(enterprise_id),
        recommendation_round_id: Set(recommendation_round_id),
        kind: Set(if recommendation_round_id.is_some() { "recommended" } else { "free" }.to_string()),
        status: Set("open".to_string()),
        started_by: Set(started_by),
        version: Set(1),
        client_id: Set(Some(client_id.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Bumps the round's version (and sets `status` and `closed_at`) if it is still at
/// `version`; `false` when someone else changed it first.
pub async fn bump_if_version(
    db: &impl ConnectionTrait,
    id: i64,
    version: i32,
    close: Option<(&str, DateTime<FixedOffset>)>,
) -> Result<bool, DbErr> {
    let mut q = inspections::Entity::update_many()
        .col_expr(inspections::Column::Version, Expr::value(version + 1))
        .filter(inspections::Column::Id.eq(id))
        .filter(inspections::Column::Version.eq(version));
    if let Some((status, at)) = close {
        q = q
            .col_expr(inspections::Column::Status, Expr::value(status))
            .col_expr(inspections::Column::ClosedAt, Expr::value(at));
    }
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// Checklist item `id`, of whatever round.
pub async fn item_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<InspectionItem>, DbErr> {
    inspection_items::Entity::find_by_id(id).one(db).await
}

/// Whether checklist item `id` belongs to a round of the enterprise.
pub async fn item_of_enterprise(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<bool, DbErr> {
    let n = inspection_items::Entity::find_by_id(id)
        .inner_join(inspections::Entity)
        .filter(inspections::Column::EnterpriseId.eq(enterprise_id))
        .select_only()
        .column(inspection_items::Column::Id)
        .count(db)
        .await?;
    Ok(n > 0)
}

/// Those of `ids` that are items of the round.
pub async fn items_among(
    db: &impl ConnectionTrait,
    inspection_id: i64,
    ids: Vec<i64>,
) -> Result<Vec<InspectionItem>, DbErr> {
    inspection_items::Entity::find()
        .filter(inspection_items::Column::InspectionId.eq(inspection_id))
        .filter(inspection_items::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// Every item of the round.
pub async fn items_of(db: &impl ConnectionTrait, inspection_id: i64) -> Result<Vec<InspectionItem>, DbErr> {
    inspection_items::Entity::find().filter(inspection_items::Column::InspectionId.eq(inspection_id)).all(db).await
}

/// A checklist item per (recommendation, library item), all `pending`.
pub async fn add_items(
    db: &impl ConnectionTrait,
    inspection_id: i64,
    recommended: &[(i64, i64)],
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let items: Vec<_> = recommended
        .iter()
        .map(|(recommendation_id, hazard_item_id)| inspection_items::ActiveModel {
            created_at: Set(at),
            inspection_id: Set(inspection_id),
            recommendation_id: Set(Some(*recommendation_id)),
            hazard_item_id: Set(Some(*hazard_item_id)),
            result: Set("pending".to_string()),
            ..Default::default()
        })
        .collect();
    for chunk in items.chunks(200) {
        inspection_items::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Marks a checklist item (`found`, `not_found` or `not_applicable` with a reason).
pub async fn mark_item(
    db: &impl ConnectionTrait,
    id: i64,
    result: &str,
    reason: Option<&str>,
    by: i64,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    inspection_items::ActiveModel {
        id: Set(id),
        result: Set(result.to_string()),
        reason: Set(reason.map(str::to_string)),
        checked_by: Set(Some(by)),
        checked_at: Set(Some(at)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// (result, count) of the round's items.
pub async fn count_by_result(db: &impl ConnectionTrait, inspection_id: i64) -> Result<Vec<(String, i64)>, DbErr> {
    inspection_items::Entity::find()
        .select_only()
        .column(inspection_items::Column::Result)
        .column_as(inspection_items::Column::Id.count(), "n")
        .filter(inspection_items::Column::InspectionId.eq(inspection_id))
        .group_by(inspection_items::Column::Result)
        .into_tuple()
        .all(db)
        .await
}

/// How many of the round's items have `result`.
pub async fn count_items(db: &impl ConnectionTrait, inspection_id: i64, result: &str) -> Result<u64, DbErr> {
    inspection_items::Entity::find()
        .filter(inspection_items::Column::InspectionId.eq(inspection_id))
        .filter(inspection_items::Column::Result.eq(result))
        .count(db)
        .await
}

/// A checklist item with its library code, title and recommended rank.
#[derive(Debug, FromQueryResult)]
pub struct ItemRow {
    pub id: i64,
    pub recommendation_id: Option<i64>,
    pub item_id: Option<String>,
    pub title: Option<String>,
    pub rank: Option<i32>,
    pub result: String,
    pub reason: Option<String>,
    pub checked_at: Option<DateTime<FixedOffset>>,
}

/// (total, one page) of the round's items in priority order, of `result` if given.
pub async fn item_page(
    db: &impl ConnectionTrait,
    inspection_id: i64,
    result: Option<&str>,
    (page, per_page): (u64, u64),
) -> Result<(u64, Vec<ItemRow>), DbErr> {
    let mut q = inspection_items::Entity::find().filter(inspection_items::Column::InspectionId.eq(inspection_id));
    if let Some(r) = result {
        q = q.filter(inspection_items::Column::Result.eq(r));
    }
    let total = q.clone().count(db).await?;
    let items = q
        .select_only()
        .column(inspection_items::Column::Id)
        .column(inspection_items::Column::RecommendationId)
        .column_as(hazard_items::Column::Code, "item_id")
        .column_as(hazard_items::Column::Title, "title")
        .column_as(recommendations::Column::Rank, "rank")
        .column(inspection_items::Column::Result)
        .column(inspection_items::Column::Reason)
        .column(inspection_items::Column::CheckedAt)
        .join(JoinType::LeftJoin, inspection_items::Relation::HazardItems.def())
        .join(JoinType::LeftJoin, inspection_items::Relation::Recommendations.def())
        .order_by_asc(recommendations::Column::Rank)
        .order_by_asc(inspection_items::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .into_model::<ItemRow>()
        .all(db)
        .await?;
    Ok((total, items))
}
