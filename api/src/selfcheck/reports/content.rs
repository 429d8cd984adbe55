//! The report's content, built from the records of one closed inspection. It is stored
//! whole on the report version (`reports.content`), so a submitted version keeps saying
//! what it said even after the findings move on.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::selfcheck::targets::RECTIFIED_TARGET;
use crate::store::enterprises::Enterprise;
use crate::store::findings::{self, Rectification as RectificationRow};
use crate::store::hazard_items::{self, HazardItem};
use crate::store::inspections::{self, Inspection};
use crate::store::{evidence, regions, users};

/// Bumped when the shape changes, so a reader can tell old versions apart.
pub const SCHEMA: u32 = 1;

/// Where a finding's hazard item names no area.
pub const NO_AREA: &str = "未分类";

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Content {
    pub schema: u32,
    pub generated_at: DateTime<Utc>,
    pub enterprise: EnterpriseInfo,
    pub inspection: InspectionInfo,
    pub period: Period,
    pub items: ItemCounts,
    pub findings: FindingCounts,
    pub rectification: Rectification,
    /// Every finding of the inspection (drafts and cancelled ones left out).
    pub finding_list: Vec<FindingRow>,
    /// Findings not yet accepted, earliest deadline first.
    pub open_items: Vec<OpenItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseInfo {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub industry_code: Option<String>,
    pub industry_division: Option<String>,
    pub address: Option<String>,
    pub region_code: Option<String>,
    /// The division's name, `石嘴山市大武口区`-style where the parents are known.
    pub region_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InspectionInfo {
    pub id: i64,
    pub kind: String,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Checklist items by result.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = ReportItemCounts)]
pub struct ItemCounts {
    pub total: u64,
    pub found: u64,
    pub not_found: u64,
    pub not_applicable: u64,
    pub pending: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct FindingCounts {
    pub total: u64,
    pub general: u64,
    pub major: u64,
    /// Per area of the hazard library (`电气安全`, ...), by name.
    pub by_area: Vec<AreaCount>,
    /// Per finding state (`accepted`, `to_rectify`, ...).
    pub by_state: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ReportAreaCount)]
pub struct AreaCount {
    pub area: String,
    pub general: u64,
    pub major: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rectification {
    pub found: u64,
    /// Accepted after rectification (销号).
    pub rectified: u64,
    /// rectified / found; none when nothing was found.
    pub share: Option<f64>,
    /// The programme's target (0.8).
    pub target: f64,
    pub met: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingRow {
    pub id: i64,
    pub location: String,
    pub description: String,
    /// `general` or `major`.
    pub grade: String,
    pub state: String,
    pub area: String,
    pub hazard_code: Option<String>,
    pub assignee: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Evidence ids of the photos before and after rectification (display copies).
    pub before_photos: Vec<i64>,
    pub after_photos: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpenItem {
    pub finding_id: i64,
    pub location: String,
    pub description: String,
    pub grade: String,
    pub state: String,
    pub assignee: Option<String>,
    pub deadline: Option<NaiveDate>,
    /// Past its deadline on the day the report was generated.
    pub overdue: bool,
}

/// A photo to draw: its evidence id and the display copy's object key.
#[derive(Debug, Clone)]
pub struct Photo {
    pub id: i64,
    pub display_key: String,
}

/// Builds the content of `inspection`'s report; the caller has checked it is closed
/// and the enterprise's. Also returns each finding's photos, for the PDF.
pub async fn build(
    db: &impl ConnectionTrait,
    enterprise: &Enterprise,
    inspection: &Inspection,
    now: DateTime<Utc>,
) -> Result<(Content, HashMap<i64, (Vec<Photo>, Vec<Photo>)>), ApiError> {
    let mut items = ItemCounts::default();
    let rows = inspections::items_of(db, inspection.id).await?;
    for i in &rows {
        items.total += 1;
        match i.result.as_str() {
            "found" => items.found += 1,
            "not_found" => items.not_found += 1,
            "not_applicable" => items.not_applicable += 1,
            _ => items.pending += 1,
        }
    }

    let found = findings::found_in_inspection(db, inspection.id).await?;
    let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
    let hazard_ids: Vec<i64> = found.iter().filter_map(|f| f.hazard_item_id).collect();
    let hazards: HashMap<i64, HazardItem> =
        hazard_items::by_ids(db, hazard_ids).await?.into_iter().map(|h| (h.id, h)).collect();
    let rects: HashMap<i64, RectificationRow> =
        findings::rectifications_of(db, ids.clone()).await?.into_iter().map(|r| (r.finding_id, r)).collect();
    let assignee_ids: Vec<i64> = rects.values().map(|r| r.assignee_id).collect();
    let names: HashMap<i64, String> =
        users::by_ids(db, assignee_ids).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
    let mut photos: HashMap<i64, (Vec<Photo>, Vec<Photo>)> = HashMap::new();
    let shots = evidence::before_after_of_findings(db, ids).await?;
    for e in shots {
        let slot = photos.entry(e.owner_id).or_default();
        let photo = Photo { id: e.id, display_key: e.display_key };
        if e.phase == "before" { slot.0.push(photo) } else { slot.1.push(photo) }
    }

    let today = now.date_naive();
    let mut counts = FindingCounts::default();
    let mut areas: BTreeMap<String, AreaCount> = BTreeMap::new();
    let mut finding_list = Vec::with_capacity(found.len());
    let mut open_items = Vec::new();
    for f in found {
        let hazard = f.hazard_item_id.and_then(|id| hazards.get(&id));
        let area = hazard
            .and_then(|h| h.definition.get("area").and_then(|a| a.as_str()))
            .filter(|a| !a.is_empty())
            .unwrap_or(NO_AREA)
            .to_string();
        let major = f.grade == "major";
        counts.total += 1;
        if major {
            counts.major += 1
        } else {
            counts.general += 1
        }
        *counts.by_state.entry(f.state.clone()).or_default() += 1;
        let a = areas.entry(area.clone()).or_insert_with(|| AreaCount {
            area: area.clone(),
            general: 0,
            major: 0,
            total: 0,
        });
        a.total += 1;
        if major {
            a.major += 1
        } else {
            a.general += 1
        }

        let rect = rects.get(&f.id);
        let assignee = rect.and_then(|r| names.get(&r.assignee_id).cloned());
        let deadline = rect.map(|r| r.deadline);
        let (before, after) = photos.get(&f.id).map(|(b, a)| (ids_of(b), ids_of(a))).unwrap_or_default();
        if f.state != "accepted" {
            open_items.push(OpenItem {
                finding_id: f.id,
                location: f.location.clone(),
                description: f.description.clone(),
                grade: f.grade.clone(),
                state: f.state.clone(),
                assignee: assignee.clone(),
                deadline,
                overdue: f.state == "overdue" || deadline.is_some_and(|d| d < today),
            });
        }
        finding_list.push(FindingRow {
            id: f.id,
            location: f.location,
            description: f.description,
            grade: f.grade,
            state: f.state,
            area,
            hazard_code: hazard.map(|h| h.code.clone()),
            assignee,
            deadline,
            accepted_at: rect.and_then(|r| r.accepted_at).map(|t| t.with_timezone(&Utc)),
            before_photos: before,
            after_photos: after,
        });
    }
    counts.by_area = areas.into_values().collect();
    // Undated items last.
    open_items.sort_by_key(|o| (o.deadline.is_none(), o.deadline, o.finding_id));

    let rectified = counts.by_state.get("accepted").copied().unwrap_or(0);
    let share = (counts.total > 0).then(|| rectified as f64 / counts.total as f64);
    let rectification = Rectification {
        found: counts.total,
        rectified,
        share,
        target: RECTIFIED_TARGET,
        met: share.is_some_and(|s| s >= RECTIFIED_TARGET),
    };

    let started_at = inspection.created_at.with_timezone(&Utc);
    let closed_at = inspection.closed_at.map(|t| t.with_timezone(&Utc));
    let period = Period { start: started_at.date_naive(), end: closed_at.unwrap_or(now).date_naive() };
    let content = Content {
        schema: SCHEMA,
        generated_at: now,
        enterprise: EnterpriseInfo {
            id: enterprise.id,
            name: enterprise.name.clone(),
            credit_code: enterprise.credit_code.clone(),
            industry_code: enterprise.industry_code.clone(),
            industry_division: enterprise.industry_division.clone(),
            address: enterprise.address.clone(),
            region_code: enterprise.region_code.clone(),
            region_name: region_name(db, enterprise.region_code.as_deref()).await?,
        },
        inspection: InspectionInfo { id: inspection.id, kind: inspection.kind.clone(), started_at, closed_at },
        period,
        items,
        findings: counts,
        rectification,
        finding_list,
        open_items,
    };
    Ok((content, photos))
}

fn ids_of(photos: &[Photo]) -> Vec<i64> {
    photos.iter().map(|p| p.id).collect()
}

/// The division's name with its parents below the province (`石嘴山市大武口区`).
async fn region_name(db: &impl ConnectionTrait, code: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(code) = code else { return Ok(None) };
    let mut parts = Vec::new();
    let mut next = Some(code.to_string());
    // Three levels at most: district, city, province.
    for _ in 0..3 {
        let Some(c) = next.take() else { break };
        let Some(r) = regions::by_code(db, &c).await? else { break };
        if r.level == "province" && !parts.is_empty() {
            break;
        }
        parts.push(r.name_zh);
        next = r.parent_code;
    }
    parts.reverse();
    Ok((!parts.is_empty()).then(|| parts.concat()))
}
