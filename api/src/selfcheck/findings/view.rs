//! What the API shows of a finding: the row, its rectification, pending extension,
//! history and photos.

use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::store::findings::{self as rows, DeadlineExtension, Finding, Rectification, Transition};
use crate::store::{evidence, hazard_items};

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub id: i64,
    pub client_id: Option<String>,
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub inspection_item_id: Option<i64>,
    /// Library item id (`HZ-ELEC-0011`) when the finding is one of the library's.
    pub item_id: Option<String>,
    pub location: String,
    pub description: String,
    /// `general` (一般隐患) or `major` (重大隐患).
    pub grade: String,
    /// GB 6441-86 accident-type codes the hazard could lead to.
    pub accident_types: Vec<String>,
    /// `draft`, `submitted`, `to_rectify`, `overdue`, `rectification_submitted`, `accepted`, `cancelled`.
    pub state: String,
    /// `self` (the enterprise) or `expert`.
    pub origin: String,
    pub reported_by: i64,
    /// Send it back with every action (optimistic concurrency).
    pub version: i32,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub rectification: Option<RectificationView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub responsibility: Option<String>,
    pub measures: Option<String>,
    pub funds_fen: Option<i64>,
    pub deadline: Option<NaiveDate>,
    pub contingency: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RectificationView {
    /// Internal: the row its progress and extensions hang off.
    #[serde(skip)]
    pub(crate) id: i64,
    pub assignee_id: i64,
    /// The last day (China time) to finish; overdue from the next day.
    pub deadline: NaiveDate,
    /// `open`, `submitted`, `accepted` or `rejected`.
    pub status: String,
    /// The 五落实 plan, when one was given.
    pub plan: Option<PlanView>,
    pub accepted_by: Option<i64>,
    pub accepted_at: Option<DateTime<FixedOffset>>,
    pub pending_extension: Option<ExtensionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: i64,
    pub requested_by: i64,
    pub requested_deadline: NaiveDate,
    pub reason: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub at: DateTime<FixedOffset>,
    pub action: Option<String>,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_id: Option<i64>,
    pub actor_role: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub id: i64,
    pub author_id: i64,
    pub note: String,
    pub progress_pct: Option<i16>,
    pub evidence_ids: Vec<i64>,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoRef {
    pub id: i64,
    /// `before`, `progress` or `after`.
    pub phase: String,
    pub sha256: String,
    pub captured_at: Option<DateTime<FixedOffset>>,
    pub received_at: DateTime<FixedOffset>,
    /// Why the photo may not be what it claims (time or place far off), if anything.
    #[schema(value_type = Vec<Object>)]
    pub flags: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingDetail {
    #[serde(flatten)]
    pub finding: FindingView,
    pub history: Vec<HistoryView>,
    pub progress: Vec<ProgressView>,
    pub extensions: Vec<ExtensionView>,
    pub photos: Vec<PhotoRef>,
}

pub(super) fn extension_view(x: DeadlineExtension) -> ExtensionView {
    ExtensionView {
        id: x.id,
        requested_by: x.requested_by,
        requested_deadline: x.requested_deadline,
        reason: x.reason,
        status: x.status,
        decided_by: x.decided_by,
        decided_at: x.decided_at,
        created_at: x.created_at,
    }
}

/// The findings with their rectifications, in the order given: three queries whatever
/// their number (library codes, rectifications, pending extensions).
pub async fn finding_views(db: &impl ConnectionTrait, rows: Vec<Finding>) -> Result<Vec<FindingView>, ApiError> {
    use std::collections::HashMap;
    let item_ids: Vec<i64> = rows.iter().filter_map(|f| f.hazard_item_id).collect();
    let codes: HashMap<i64, String> =
        if item_ids.is_empty() { HashMap::new() } else { hazard_items::codes_of(db, item_ids).await? };
    let ids: Vec<i64> = rows.iter().map(|f| f.id).collect();
    let mut rects: HashMap<i64, Rectification> =
        rows::rectifications_of(db, ids).await?.into_iter().map(|r| (r.finding_id, r)).collect();
    let rect_ids: Vec<i64> = rects.values().map(|r| r.id).collect();
    let mut pending: HashMap<i64, DeadlineExtension> = if rect_ids.is_empty() {
        HashMap::new()
    } else {
        rows::pending_extensions_of(db, rect_ids).await?.into_iter().map(|x| (x.rectification_id, x)).collect()
    };
    Ok(rows
        .into_iter()
        .map(|f| {
            let rectification = rects.remove(&f.id).map(|r| {
                let has_plan = r.plan_responsibility.is_some() || r.plan_measures.is_some();
                RectificationView {
                    id: r.id,
                    assignee_id: r.assignee_id,
                    deadline: r.deadline,
                    status: r.status,
                    plan: has_plan.then_some(PlanView {
                        responsibility: r.plan_responsibility,
                        measures: r.plan_measures,
                        funds_fen: r.plan_funds_fen,
                        deadline: r.plan_deadline,
                        contingency: r.plan_contingency,
                    }),
                    accepted_by: r.accepted_by,
                    accepted_at: r.accepted_at,
                    pending_extension: pending.remove(&r.id).map(extension_view),
                }
            });
            let item_id = f.hazard_item_id.and_then(|h| codes.get(&h).cloned());
            view_of(f, item_id, rectification)
        })
        .collect())
}

/// The finding's row as shown, with its library code and rectification.
fn view_of(f: Finding, item_id: Option<String>, rectification: Option<RectificationView>) -> FindingView {
    FindingView {
        id: f.id,
        client_id: f.client_id,
        enterprise_id: f.enterprise_id,
        inspection_id: f.inspection_id,
        inspection_item_id: f.inspection_item_id,
        item_id,
        location: f.location,
        description: f.description,
        grade: f.grade,
        accident_types: serde_json::from_value(f.accident_types).unwrap_or_default(),
        state: f.state,
        origin: f.origin,
        reported_by: f.reported_by,
        version: f.version,
        created_at: f.created_at,
        updated_at: f.updated_at,
        rectification,
    }
}

fn history_view(t: Transition) -> HistoryView {
    HistoryView {
        at: t.created_at,
        action: t.action,
        from_state: t.from_state,
        to_state: t.to_state,
        actor_id: t.actor_id,
        actor_role: t.actor_role,
        note: t.note,
    }
}

/// A finding just reported, from what its creation wrote: the row (as stored), the
/// code of its library item and its one history row. It has no rectification, progress,
/// extension or photo yet, so this is what [`detail`] would read back, without reading.
pub(super) fn reported(f: Finding, item_id: Option<String>, report: Transition) -> FindingDetail {
    FindingDetail {
        finding: view_of(f, item_id, None),
        history: vec![history_view(report)],
        progress: Vec::new(),
        extensions: Vec::new(),
        photos: Vec::new(),
    }
}

/// One finding with its rectification (no history).
pub async fn finding_view(db: &impl ConnectionTrait, f: Finding) -> Result<FindingView, ApiError> {
    finding_views(db, vec![f]).await?.pop().ok_or_else(|| ApiError::not_found("finding"))
}

pub async fn detail(db: &impl ConnectionTrait, f: Finding) -> Result<FindingDetail, ApiError> {
    let id = f.id;
    let finding = finding_view(db, f).await?;
    let history = rows::history(db, id).await?.into_iter().map(history_view).collect();
    let (progress, extensions) = match finding.rectification.as_ref().map(|r| r.id) {
        Some(rect_id) => {
            let progress = rows::updates_of(db, rect_id)
                .await?
                .into_iter()
                .map(|u| ProgressView {
                    id: u.id,
                    author_id: u.author_id,
                    note: u.note,
                    progress_pct: u.progress_pct,
                    evidence_ids: u.evidence_ids.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
                    created_at: u.created_at,
                })
                .collect();
            let extensions = rows::extensions_of(db, rect_id).await?.into_iter().map(extension_view).collect();
            (progress, extensions)
        }
        None => (Vec::new(), Vec::new()),
    };
    let photos = evidence::of_finding(db, finding.enterprise_id, id)
        .await?
        .into_iter()
        .map(|e| PhotoRef {
            id: e.id,
            phase: e.phase,
            sha256: e.sha256,
            captured_at: e.captured_at,
            received_at: e.received_at,
            flags: e.flags,
        })
        .collect();
    Ok(FindingDetail { finding, history, progress, extensions, photos })
}
