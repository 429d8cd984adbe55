//! Inspection rounds (自查): the officer starts one from a recommendation round (its
//! items become the checklist) or as a free round, marks each item found / not found /
//! not applicable, and closes it. Marks on recommended items are also the round's
//! feedback, so the next recommendation learns from them.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::{
    findings, hazard_items, inspection_items, inspections, recommendation_feedback as feedback, recommendation_rounds,
    recommendations,
};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::events::Event;
use crate::state::AppState;
use crate::{platform::sync, store::scope};

/// The phone's own id for something it creates: 8-64 visible ASCII characters (a UUID).
pub fn check_client_id(id: &str) -> Result<(), ApiError> {
    if (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(ApiError::field(ErrorCode::InvalidField, "client_id", "8-64 visible ASCII characters (a UUID)"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInspection {
    /// The phone's id for this round; sending it again returns the same round.
    pub client_id: String,
    /// Check the items of this recommendation round; omitted: a free round.
    pub recommendation_round_id: Option<i64>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(as = InspectionItemCounts)]
pub struct ItemCounts {
    pub pending: u64,
    pub found: u64,
    pub not_found: u64,
    pub not_applicable: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionView {
    pub id: i64,
    pub client_id: Option<String>,
    pub enterprise_id: i64,
    /// `recommended` or `free`.
    pub kind: String,
    /// `open` or `closed`.
    pub status: String,
    pub recommendation_round_id: Option<i64>,
    pub started_by: i64,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub closed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub version: i32,
    pub items: ItemCounts,
    /// Findings reported in this round (any state).
    pub findings: u64,
}

#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct ItemView {
    pub id: i64,
    pub recommendation_id: Option<i64>,
    /// Library item id (`HZ-ELEC-0011`).
    pub item_id: Option<String>,
    pub title: Option<String>,
    pub rank: Option<i32>,
    /// `pending`, `found`, `not_found` or `not_applicable`.
    pub result: String,
    pub reason: Option<String>,
    pub checked_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    pub inspection: InspectionView,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    /// `inspection_items.id`.
    pub item_id: i64,
    /// `found`, `not_found` or `not_applicable`.
    pub result: String,
    /// Required for `not_applicable`.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InspectionMarks)]
pub struct Marks {
    /// 1-500 marks; all are checked before any is stored; a later mark replaces an earlier.
    pub marks: Vec<Mark>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInspection {
    /// The version the client read.
    pub version: i32,
}

const RESULTS: [&str; 3] = ["found", "not_found", "not_applicable"];

async fn in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
) -> Result<inspections::Model, ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    inspections::Entity::find_by_id(id)
        .filter(inspections::Column::EnterpriseId.eq(e.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("inspection"))
}

pub async fn view(db: &impl ConnectionTrait, i: inspections::Model) -> Result<InspectionView, ApiError> {
    #[derive(FromQueryResult)]
    struct Count {
        result: String,
        n: i64,
    }
    let counts = inspection_items::Entity::find()
        .select_only()
        .column(inspection_items::Column::Result)
        .column_as(inspection_items::Column::Id.count(), "n")
        .filter(inspection_items::Column::InspectionId.eq(i.id))
        .group_by(inspection_items::Column::Result)
        .into_model::<Count>()
        .all(db)
        .await?;
    let mut items = ItemCounts::default();
    for c in counts {
        let n = u64::try_from(c.n).unwrap_or(0);
        match c.result.as_str() {
            "found" => items.found = n,
            "not_found" => items.not_found = n,
            "not_applicable" => items.not_applicable = n,
            _ => items.pending += n,
        }
    }
    let findings = findings::Entity::find().filter(findings::Column::InspectionId.eq(i.id)).count(db).await?;
    Ok(InspectionView {
        id: i.id,
        client_id: i.client_id,
        enterprise_id: i.enterprise_id,
        kind: i.kind,
        status: i.status,
        recommendation_round_id: i.recommendation_round_id,
        started_by: i.started_by,
        created_at: i.created_at,
        closed_at: i.closed_at,
        version: i.version,
        items,
        findings,
    })
}

/// Starts a round; `Ok((view, false))` when the client id names one already started.
pub async fn start(
    state: &AppState,
    caller: &Caller,
    req: &StartInspection,
    origin: &Origin,
) -> Result<(InspectionView, bool), ApiError> {
    check_client_id(&req.client_id)?;
    let e = scope::enterprise(&state.db, caller, None).await?;
    let existing = inspections::Entity::find()
        .filter(inspections::Column::EnterpriseId.eq(e.id))
        .filter(inspections::Column::ClientId.eq(req.client_id.as_str()))
        .one(&state.db)
        .await?;
    if let Some(i) = existing {
        if i.recommendation_round_id != req.recommendation_round_id {
            return Err(ApiError::field(
                ErrorCode::Conflict,
                "client_id",
                "this client_id names a round started from another recommendation round",
            ));
        }
        return Ok((view(&state.db, i).await?, false));
    }
    if let Some(round) = req.recommendation_round_id {
        recommendation_rounds::Entity::find_by_id(round)
            .filter(recommendation_rounds::Column::EnterpriseId.eq(e.id))
            .one(&state.db)
            .await?
            .ok_or_else(|| {
                ApiError::field(ErrorCode::NotFound, "recommendation_round_id", "no such round of this enterprise")
            })?;
    }
    let now = Utc::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let row = inspections::ActiveModel {
        created_at: Set(now),
        enterprise_id: Set(e.id),
        recommendation_round_id: Set(req.recommendation_round_id),
        kind: Set(if req.recommendation_round_id.is_some() { "recommended" } else { "free" }.to_string()),
        status: Set("open".to_string()),
        started_by: Set(caller.user_id),
        version: Set(1),
        client_id: Set(Some(req.client_id.clone())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(round) = req.recommendation_round_id {
        let recs = recommendations::Entity::find()
            .filter(recommendations::Column::RoundId.eq(round))
            .order_by_asc(recommendations::Column::Rank)
            .all(&txn)
            .await?;
        let items: Vec<_> = recs
            .iter()
            .map(|r| inspection_items::ActiveModel {
                created_at: Set(now),
                inspection_id: Set(row.id),
                recommendation_id: Set(Some(r.id)),
                hazard_item_id: Set(Some(r.hazard_item_id)),
                result: Set("pending".to_string()),
                ..Default::default()
            })
            .collect();
        for chunk in items.chunks(200) {
            inspection_items::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
    }
    sync::record(&txn, e.id, sync::Kind::Inspection, row.id).await?;
    audit::append(&txn, Entry::by(caller, origin, "inspection.start", "inspection").object(row.id).enterprise(e.id))
        .await?;
    txn.commit().await?;
    Ok((view(&state.db, row).await?, true))
}

pub async fn list(state: &AppState, caller: &Caller, enterprise: Option<i64>) -> Result<Vec<InspectionView>, ApiError> {
    let e = scope::enterprise(&state.db, caller, enterprise).await?;
    let rows = inspections::Entity::find()
        .filter(inspections::Column::EnterpriseId.eq(e.id))
        .order_by_desc(inspections::Column::Id)
        .limit(100)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(&state.db, r).await?);
    }
    Ok(out)
}

/// One round with a page of its items in priority order, optionally of one result.
pub async fn page(
    state: &AppState,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
    result: Option<&str>,
    (page, per_page): (u64, u64),
) -> Result<ItemPage, ApiError> {
    let i = in_scope(&state.db, caller, enterprise, id).await?;
    if let Some(r) = result
        && !(r == "pending" || RESULTS.contains(&r))
    {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "result", "pending, found, not_found or not_applicable"));
    }
    let mut q = inspection_items::Entity::find().filter(inspection_items::Column::InspectionId.eq(i.id));
    if let Some(r) = result {
        q = q.filter(inspection_items::Column::Result.eq(r));
    }
    let total = q.clone().count(&state.db).await?;
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
        .into_model::<ItemView>()
        .all(&state.db)
        .await?;
    Ok(ItemPage { inspection: view(&state.db, i).await?, page, per_page, total, items })
}

/// Records marks, all or none; marks on recommended items also become the round's feedback.
pub async fn mark(
    state: &AppState,
    caller: &Caller,
    id: i64,
    marks: &[Mark],
    origin: &Origin,
) -> Result<InspectionView, ApiError> {
    if marks.is_empty() || marks.len() > 500 {
        return Err(ApiError::field(ErrorCode::InvalidField, "marks", "1-500 marks per request"));
    }
    let i = in_scope(&state.db, caller, None, id).await?;
    if i.status != "open" {
        return Err(closed(&i));
    }
    let ids: Vec<i64> = marks.iter().map(|m| m.item_id).collect();
    let items: std::collections::HashMap<i64, inspection_items::Model> = inspection_items::Entity::find()
        .filter(inspection_items::Column::InspectionId.eq(i.id))
        .filter(inspection_items::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut checked = Vec::with_capacity(marks.len());
    for (n, m) in marks.iter().enumerate() {
        let field = |f: &str| format!("marks[{n}].{f}");
        let Some(item) = items.get(&m.item_id) else {
            return Err(ApiError::field(ErrorCode::InvalidField, &field("item_id"), "not an item of this round"));
        };
        let reason = crate::selfcheck::recommendations::check_mark(&m.result, m.reason.as_deref(), field)?;
        checked.push((item, m.result.as_str(), reason));
    }
    let now = Utc::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let codes = item_codes(&txn, checked.iter().filter_map(|(it, _, _)| it.hazard_item_id).collect()).await?;
    let mut answers = Vec::new();
    for (item, result, reason) in &checked {
        inspection_items::ActiveModel {
            id: Set(item.id),
            result: Set((*result).to_string()),
            reason: Set(reason.map(str::to_string)),
            checked_by: Set(Some(caller.user_id)),
            checked_at: Set(Some(now)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        if let (Some(rec), Some(round), Some(code)) =
            (item.recommendation_id, i.recommendation_round_id, item.hazard_item_id.and_then(|h| codes.get(&h)))
        {
            answers.push(feedback::ActiveModel {
                recommendation_id: Set(rec),
                round_id: Set(round),
                enterprise_id: Set(i.enterprise_id),
                item_code: Set(code.clone()),
                result: Set((*result).to_string()),
                reason: Set(reason.map(str::to_string)),
                marked_by: Set(caller.user_id),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    crate::selfcheck::recommendations::store_feedback(&txn, answers).await?;
    let bumped = bump(&txn, &i, None).await?;
    crate::selfcheck::progress::refresh(&txn, i.enterprise_id).await?;
    sync::record(&txn, i.enterprise_id, sync::Kind::Inspection, i.id).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "inspection.mark", "inspection")
            .object(i.id)
            .enterprise(i.enterprise_id)
            .detail(format!("{} marks", checked.len())),
    )
    .await?;
    txn.commit().await?;
    state.publish(Event::FiguresChanged { enterprise_id: i.enterprise_id }).await;
    view(&state.db, bumped).await
}

/// Closes the round: every item marked and no finding left in draft.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &CloseInspection,
    origin: &Origin,
) -> Result<InspectionView, ApiError> {
    let i = in_scope(&state.db, caller, None, id).await?;
    if i.status == "closed" && req.version + 1 == i.version {
        // The replay of the close that got us here.
        return view(&state.db, i).await;
    }
    if i.status != "open" {
        return Err(closed(&i));
    }
    if req.version != i.version {
        return Err(stale(i.version));
    }
    let pending = inspection_items::Entity::find()
        .filter(inspection_items::Column::InspectionId.eq(i.id))
        .filter(inspection_items::Column::Result.eq("pending"))
        .count(&state.db)
        .await?;
    let drafts = findings::Entity::find()
        .filter(findings::Column::InspectionId.eq(i.id))
        .filter(findings::Column::State.eq("draft"))
        .count(&state.db)
        .await?;
    if pending > 0 || drafts > 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            format!("{pending} items are not marked and {drafts} findings are still drafts"),
        )
        .with_details(serde_json::json!({ "state": "open", "pending_items": pending, "draft_findings": drafts })));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let closed = bump(&txn, &i, Some("closed")).await?;
    sync::record(&txn, i.enterprise_id, sync::Kind::Inspection, i.id).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "inspection.close", "inspection").object(i.id).enterprise(i.enterprise_id),
    )
    .await?;
    txn.commit().await?;
    view(&state.db, closed).await
}

/// Bumps the version (and sets `status`) only if nobody else did meanwhile.
async fn bump(
    db: &impl ConnectionTrait,
    i: &inspections::Model,
    status: Option<&str>,
) -> Result<inspections::Model, ApiError> {
    let mut q = inspections::Entity::update_many()
        .col_expr(inspections::Column::Version, sea_orm::sea_query::Expr::value(i.version + 1))
        .filter(inspections::Column::Id.eq(i.id))
        .filter(inspections::Column::Version.eq(i.version));
    if let Some(s) = status {
        q = q
            .col_expr(inspections::Column::Status, sea_orm::sea_query::Expr::value(s))
            .col_expr(inspections::Column::ClosedAt, sea_orm::sea_query::Expr::value(Utc::now().fixed_offset()));
    }
    if q.exec(db).await?.rows_affected != 1 {
        let now = inspections::Entity::find_by_id(i.id).one(db).await?.map_or(i.version, |r| r.version);
        return Err(stale(now));
    }
    inspections::Entity::find_by_id(i.id).one(db).await?.ok_or_else(|| ApiError::not_found("inspection"))
}

fn stale(current: i32) -> ApiError {
    ApiError::new(ErrorCode::VersionConflict, "the round changed since it was read")
        .with_details(serde_json::json!({ "current_version": current }))
}

fn closed(i: &inspections::Model) -> ApiError {
    ApiError::new(ErrorCode::InvalidState, format!("the round is {}", i.status))
        .with_details(serde_json::json!({ "state": i.status }))
}

async fn item_codes(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, String>, ApiError> {
    Ok(hazard_items::Entity::find()
        .filter(hazard_items::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.code))
        .collect())
}
