//! The tasks an escalation creates, who they are addressed to, and the queue the expert
//! dispatcher reads.
//!
//! - `self_inspection`, `accident_investigation`: the enterprise's own (no assignee yet).
//! - `expert_visit`, `follow_up`: `expert_id` stays null until the dispatcher picks an
//!   expert ([`awaiting_dispatch`]).
//! - `joint_research` (level 4): the HRSS bureau (人社局) of the enterprise's region.
//! - `joint_supervision` (level 5): the emergency bureau (应急局) of the region, and a
//!   second task for the HRSS bureau (joint supervision is done together).
//!
//! A bureau "of the region" is the nearest one up the division tree: the county's, else
//! the city's, else the province's.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};
use zhicha_engine::hazards::HazardLibrary;
use zhicha_engine::triggers::TaskKind;

use crate::store::enterprises::Enterprise;
use crate::store::tasks::{self, Task};
use crate::store::{accidents, organisations};

/// Most hazard items an investigation lists as implicated.
const MAX_IMPLICATED: usize = 30;

/// What a new task is for.
pub struct NewTask<'a> {
    pub enterprise: &'a Enterprise,
    pub escalation_id: i64,
    pub kind: TaskKind,
    pub due: DateTime<Utc>,
    pub checklist: &'a [String],
    pub accident_ids: &'a [i64],
    pub now: DateTime<Utc>,
}

/// Inserts the task(s) for one escalation; returns the ids.
pub async fn create(db: &impl ConnectionTrait, hazards: &HazardLibrary, t: &NewTask<'_>) -> Result<Vec<i64>, DbErr> {
    let instructions = instructions(db, hazards, t).await?;
    let addressed: Vec<Option<i64>> = match t.kind {
        TaskKind::JointResearch => vec![bureau_of(db, t.enterprise, "hrss_bureau").await?],
        TaskKind::JointSupervision => {
            vec![
                bureau_of(db, t.enterprise, "emergency_bureau").await?,
                bureau_of(db, t.enterprise, "hrss_bureau").await?,
            ]
        }
        _ => vec![None],
    };
    let mut ids = Vec::new();
    for organisation_id in addressed {
        let row = tasks::NewTaskRow {
            enterprise_id: t.enterprise.id,
            escalation_id: Some(t.escalation_id),
            accident_id: t.accident_ids.first().copied(),
            kind: t.kind.as_str(),
            status: "open",
            expert_id: None,
            organisation_id,
            due_at: Some(t.due),
            instructions: Some(instructions.clone()),
        };
        ids.push(tasks::insert(db, row, t.now).await?);
    }
    Ok(ids)
}

/// The checklist, and for an investigation the accidents and the library items whose
/// accident types match theirs (those applicable to the enterprise's industry first).
async fn instructions(db: &impl ConnectionTrait, hazards: &HazardLibrary, t: &NewTask<'_>) -> Result<Value, DbErr> {
    if t.kind != TaskKind::AccidentInvestigation || t.accident_ids.is_empty() {
        return Ok(json!({ "checklist": t.checklist }));
    }
    let types = accidents::types_gb86_of(db, t.accident_ids).await?;
    let types: Vec<String> = types.into_iter().flatten().collect();
    Ok(json!({
        "checklist": t.checklist,
        "accident_ids": t.accident_ids,
        "implicated_items": implicated(hazards, t.enterprise.industry_code.as_deref(), &types),
    }))
}

/// Active items linked to any of `types` (GB 6441-86), industry matches first.
pub fn implicated(hazards: &HazardLibrary, industry: Option<&str>, types: &[String]) -> Vec<Value> {
    let code = industry.and_then(|c| zhicha_engine::IndustryCode::parse(c).ok());
    let mut items: Vec<(bool, &zhicha_engine::hazards::HazardItem)> = hazards
        .active()
        .filter(|i| i.accident_types_86.iter().any(|t| types.contains(t)))
        .map(|i| (code.as_ref().is_some_and(|c| i.applicability.matches_industry(c)), i))
        .collect();
    items.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.weight.total_cmp(&a.1.weight)).then(a.1.id.cmp(&b.1.id)));
    items
        .into_iter()
        .take(MAX_IMPLICATED)
        .map(|(_, i)| json!({ "id": i.id, "title": i.title, "accident_types": i.accident_types_86, "grade": i.grade.as_str() }))
        .collect()
}

/// The bureau of `kind` nearest the enterprise's region: county, city, province.
pub async fn bureau_of(db: &impl ConnectionTrait, enterprise: &Enterprise, kind: &str) -> Result<Option<i64>, DbErr> {
    let Some(region) = enterprise.region_code.as_deref().filter(|r| r.len() == 6) else { return Ok(None) };
    let mut candidates = vec![region.to_string(), format!("{}00", &region[..4]), format!("{}0000", &region[..2])];
    candidates.dedup();
    for code in candidates {
        let found = organisations::first_of_kind_in(db, kind, &code).await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Expert tasks (`expert_visit`, `follow_up`) still open and without an expert, oldest
/// first: what the expert dispatcher assigns. It sets `tasks.expert_id` (version-checked)
/// and, when a task is done, should call [`crate::governance::evaluate_soon`] so the
/// escalation can close.
pub async fn awaiting_dispatch(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Task>, DbErr> {
    tasks::awaiting_expert(db, &[TaskKind::ExpertVisit.as_str(), TaskKind::FollowUp.as_str()], limit).await
}
