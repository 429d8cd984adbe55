//! Inspection rounds (自查): the officer starts one from a recommendation round (its
//! items become the checklist) or as a free round, marks each item found / not found /
//! not applicable, and closes it. Marks on recommended items are also the round's
//! feedback, so the next recommendation learns from them.

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::events::Event;
use crate::state::AppState;
use crate::store::inspections::{self as rows, Inspection, ItemRow};
use crate::store::rounds::{self, NewAnswer};
use crate::store::{findings, hazard_items, scope};
use crate::{platform::sync, store::inspections::InspectionItem};

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
    #[schema(min_length = 8, max_length = 64, pattern = "^[!-~]{8,64}$")]
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

#[derive(Debug, Serialize, ToSchema)]
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
    #[schema(min_items = 1, max_items = 500)]
    pub marks: Vec<Mark>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInspection {
    /// The version the client read.
    pub version: i32,
}

const RESULTS: [&str; 3] = ["found", "not_found", "not_applicable"];

impl From<ItemRow> for ItemView {
    fn from(r: ItemRow) -> Self {
        ItemView {
            id: r.id,
            recommendation_id: r.recommendation_id,
            item_id: r.item_id,
            title: r.title,
            rank: r.rank,
            result: r.result,
            reason: r.reason,
            checked_at: r.checked_at,
        }
    }
}

pub async fn view(db: &impl ConnectionTrait, i: Inspection) -> Result<InspectionView, ApiError> {
    let counts = rows::count_by_result(db, i.id).await?;
    let mut items = ItemCounts::default();
    for (result, n) in counts {
        let n = u64::try_from(n).unwrap_or(0);
        match result.as_str() {
            "found" => items.found = n,
            "not_found" => items.not_found = n,
            "not_applicable" => items.not_applicable = n,
            _ => items.pending += n,
        }
    }
    let findings = findings::count_in_inspection(db, i.id, None).await?;
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
    let existing = rows::by_client_id(&state.db, e.id, &req.client_id).await?;
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
        rounds::of_enterprise(&state.db, e.id, round).await?.ok_or_else(|| {
            ApiError::field(ErrorCode::NotFound, "recommendation_round_id", "no such round of this enterprise")
        })?;
    }
    let now = crate::domain::clock::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let row = rows::insert(&txn, e.id, req.recommendation_round_id, caller.user_id, &req.client_id, now).await?;
    if let Some(round) = req.recommendation_round_id {
        let recs = rounds::recommendations_of(&txn, round).await?;
        let items: Vec<(i64, i64)> = recs.iter().map(|r| (r.id, r.hazard_item_id)).collect();
        rows::add_items(&txn, row.id, &items, now).await?;
    }
    sync::record(&txn, e.id, sync::Kind::Inspection, row.id).await?;
    audit::append(&txn, Entry::by(caller, origin, "inspection.start", "inspection").object(row.id).enterprise(e.id))
        .await?;
    txn.commit().await?;
    Ok((view(&state.db, row).await?, true))
}

pub async fn list(state: &AppState, caller: &Caller, enterprise: Option<i64>) -> Result<Vec<InspectionView>, ApiError> {
    let recent = rows::recent(&state.db, caller, enterprise).await?;
    let mut out = Vec::with_capacity(recent.len());
    for r in recent {
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
    let i = rows::in_scope(&state.db, caller, enterprise, id).await?;
    if let Some(r) = result
        && !(r == "pending" || RESULTS.contains(&r))
    {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "result", "pending, found, not_found or not_applicable"));
    }
    let (total, items) = rows::item_page(&state.db, i.id, result, (page, per_page)).await?;
    let items = items.into_iter().map(ItemView::from).collect();
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
    let i = rows::in_scope(&state.db, caller, None, id).await?;
    if i.status != "open" {
        return Err(closed(&i));
    }
    let ids: Vec<i64> = marks.iter().map(|m| m.item_id).collect();
    let items: std::collections::HashMap<i64, InspectionItem> =
        rows::items_among(&state.db, i.id, ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let mut checked = Vec::with_capacity(marks.len());
    for (n, m) in marks.iter().enumerate() {
        let field = |f: &str| format!("marks[{n}].{f}");
        let Some(item) = items.get(&m.item_id) else {
            return Err(ApiError::field(ErrorCode::InvalidField, &field("item_id"), "not an item of this round"));
        };
        let reason = crate::selfcheck::recommendations::check_mark(&m.result, m.reason.as_deref(), field)?;
        checked.push((item, m.result.as_str(), reason));
    }
    let now = crate::domain::clock::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let codes =
        hazard_items::codes_of(&txn, checked.iter().filter_map(|(it, _, _)| it.hazard_item_id).collect()).await?;
    let mut answers = Vec::new();
    for (item, result, reason) in &checked {
        rows::mark_item(&txn, item.id, result, *reason, caller.user_id, now).await?;
        if let (Some(rec), Some(round), Some(code)) =
            (item.recommendation_id, i.recommendation_round_id, item.hazard_item_id.and_then(|h| codes.get(&h)))
        {
            answers.push(NewAnswer {
                recommendation_id: rec,
                round_id: round,
                enterprise_id: i.enterprise_id,
                item_code: code.clone(),
                result: (*result).to_string(),
                reason: reason.map(str::to_string),
                marked_by: caller.user_id,
                at: now,
            });
        }
    }
    rounds::store_answers(&txn, answers).await?;
    let bumped = bump(&txn, &i, None).await?;
    crate::selfcheck::progress::refresh_round(&txn, i.enterprise_id).await?;
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
    state.publish(Event::FiguresChanged { enterprise_id: i.enterprise_id, region: None }).await;
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
    let i = rows::in_scope(&state.db, caller, None, id).await?;
    if i.status == "closed" && i.version.checked_sub(1) == Some(req.version) {
        // The replay of the close that got us here.
        return view(&state.db, i).await;
    }
    if i.status != "open" {
        return Err(closed(&i));
    }
    if req.version != i.version {
        return Err(stale(i.version));
    }
    let pending = rows::count_items(&state.db, i.id, "pending").await?;
    let drafts = findings::count_in_inspection(&state.db, i.id, Some("draft")).await?;
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
async fn bump(db: &impl ConnectionTrait, i: &Inspection, status: Option<&str>) -> Result<Inspection, ApiError> {
    let close = status.map(|s| (s, crate::domain::clock::now().fixed_offset()));
    if !rows::bump_if_version(db, i.id, i.version, close).await? {
        let now = rows::reload(db, i.id).await?.map_or(i.version, |r| r.version);
        return Err(stale(now));
    }
    rows::reload(db, i.id).await?.ok_or_else(|| ApiError::not_found("inspection"))
}

fn stale(current: i32) -> ApiError {
    ApiError::new(ErrorCode::VersionConflict, "the round changed since it was read")
        .with_details(serde_json::json!({ "current_version": current }))
}

fn closed(i: &Inspection) -> ApiError {
    ApiError::new(ErrorCode::InvalidState, format!("the round is {}", i.status))
        .with_details(serde_json::json!({ "state": i.status }))
}
