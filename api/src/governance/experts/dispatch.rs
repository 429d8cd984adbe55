//! Dispatch: a pending task (open, no expert) goes to the best qualified expert.
//!
//! Qualified: active, no declared conflict with the enterprise, not offered this task
//! before (who declined or let it expire is not asked again), under `max_open_tasks`,
//! and competent in the enterprise's industry: its GB/T 4754 division, or else its
//! section. Ranked by industry match, then how many of the task's accident types
//! (from its accident) they cover, then open workload, then distance to the site;
//! the best that are equal are drawn at random and the draw is stored with the offer.
//!
//! Several instances may dispatch at once: the task is claimed by a conditional
//! UPDATE (still open, still without expert, same version), and an expert is offered
//! a task at most once (unique index).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;
use zhicha_engine::industry_code::section_of;

use super::rank::{Candidate, IndustryMatch, draw};
use super::system_audit;
use crate::error::ApiError;
use crate::platform::audit;
use crate::selfcheck::evidence::GeoPoint;
use crate::state::AppState;
use crate::store::enterprises::{self, Enterprise};
use crate::store::experts::{self, Competence, Expert};
use crate::store::tasks::{self, NewDispatch, Task};
use crate::store::{accidents, expert_pool, outbox};
use zhicha_engine::RegionCode;

/// Task kinds the dispatcher gives to experts.
pub const DISPATCHED_KINDS: &[&str] = &["expert_visit", "follow_up"];

/// Outbox topic: a task no qualified expert could take (for the service organisation).
pub const UNFILLED_TOPIC: &str = "expert_dispatch_unfilled";

/// What [`dispatch_task`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    /// Offered to `expert_id` (offer row `dispatch_id`).
    Offered { expert_id: i64, dispatch_id: i64 },
    /// No qualified expert: the task stays pending, the service organisation is told.
    NoExpert,
    /// Not an open, undispatched expert task (or another instance just claimed it).
    NotPending,
}

/// What one [`dispatch_pending`] run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pending {
    pub offered: u64,
    pub unfilled: u64,
}

/// Dispatches every pending task (oldest first, at most 500 per run).
pub async fn dispatch_pending(state: &AppState, now: DateTime<Utc>) -> Result<Pending, ApiError> {
    let ids = tasks::awaiting_expert_ids(&state.db, DISPATCHED_KINDS, 500).await?;
    let mut out = Pending::default();
    for id in ids {
        match dispatch_task(state, id, now).await? {
            Dispatched::Offered { .. } => out.offered += 1,
            Dispatched::NoExpert => out.unfilled += 1,
            Dispatched::NotPending => {}
        }
    }
    Ok(out)
}

/// Offers task `task_id` to the best qualified expert, if it is pending.
#[tracing::instrument(skip(state))]
pub async fn dispatch_task(state: &AppState, task_id: i64, now: DateTime<Utc>) -> Result<Dispatched, ApiError> {
    let db = &state.db;
    let Some(task) = tasks::by_id(db, task_id).await? else { return Ok(Dispatched::NotPending) };
    if task.status != "open" || task.expert_id.is_some() || !DISPATCHED_KINDS.contains(&task.kind.as_str()) {
        return Ok(Dispatched::NotPending);
    }
    let Some(enterprise) = enterprises::by_id(db, task.enterprise_id).await? else {
        return Ok(Dispatched::NotPending);
    };
    let candidates = candidates(db, &task, &enterprise).await?;
    let Some(d) = draw(candidates, fastrand::u64(..)) else {
        unfilled(state, &task, &enterprise, now).await?;
        return Ok(Dispatched::NoExpert);
    };

    let txn = crate::platform::db::begin_write(db).await?;
    if !tasks::claim_for(&txn, task.id, d.drawn, task.version).await? {
        return Ok(Dispatched::NotPending);
    }
    let respond_by = now + Duration::hours(state.settings.experts.accept_hours);
    let offer = NewDispatch {
        task_id: task.id,
        expert_id: d.drawn,
        status: "offered",
        drawn_from: json!(d),
        respond_by,
        responded_at: None,
    };
    let dispatch_id = tasks::insert_dispatch(&txn, offer, now).await?;
    let detail = format!("expert {} drawn from {:?} (seed {})", d.drawn, d.tied, d.seed);
    audit::append(&txn, system_audit("task.dispatch", task.id, Some(task.enterprise_id), detail)).await?;
    txn.commit().await?;
    tracing::info!(task = task.id, expert = d.drawn, tied = d.tied.len(), "task offered");
    Ok(Dispatched::Offered { expert_id: d.drawn, dispatch_id })
}

/// The enterprise's division and section (GB/T 4754), when known.
fn industry_of(e: &Enterprise) -> (Option<String>, Option<char>) {
    let code = e.industry_code.as_deref().unwrap_or("");
    let digits: String = code.chars().filter(char::is_ascii_digit).take(2).collect();
    let division = e.industry_division.clone().or((digits.len() == 2).then_some(digits));
    let section = code
        .chars()
        .next()
        .filter(char::is_ascii_uppercase)
        .or_else(|| division.as_deref().and_then(|d| d.parse::<u8>().ok()).and_then(section_of));
    (division, section)
}

/// The task's accident types as (code system, code) pairs, from its accident.
async fn accident_types(db: &impl ConnectionTrait, task: &Task) -> Result<HashSet<(String, String)>, ApiError> {
    let mut out = HashSet::new();
    let Some(id) = task.accident_id else { return Ok(out) };
    if let Some(a) = accidents::by_id(db, id).await? {
        if let Some(c) = a.accident_type_gb86 {
            out.insert(("gb6441-86".to_string(), c));
        }
        if let Some(c) = a.accident_type_gb2025 {
            out.insert(("gb6441-2025".to_string(), c));
        }
    }
    Ok(out)
}

async fn candidates(
    db: &impl ConnectionTrait,
    task: &Task,
    enterprise: &Enterprise,
) -> Result<Vec<Candidate>, ApiError> {
    let mut excluded: HashSet<i64> = experts::conflicted_with(db, enterprise.id).await?.into_iter().collect();
    excluded.extend(tasks::dispatches_of(db, task.id).await?.into_iter().map(|d| d.expert_id));
    let pool: Vec<Expert> = experts::active(db).await?.into_iter().filter(|x| !excluded.contains(&x.id)).collect();
    if pool.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = pool.iter().map(|x| x.id).collect();
    let mut competences: HashMap<i64, Vec<Competence>> = HashMap::new();
    for c in experts::competences_of(db, ids.clone()).await? {
        competences.entry(c.expert_id).or_default().push(c);
    }
    // Regions served: an expert who declared some is offered only enterprises within
    // them; one from before regions were kept (none declared) is offered anywhere.
    let mut serves: HashMap<i64, Vec<String>> = HashMap::new();
    for (x, code) in expert_pool::regions_of(db, ids.clone()).await? {
        let prefix = RegionCode::parse(&code).map_or(code, |r| r.scope_prefix());
        serves.entry(x).or_default().push(prefix);
    }
    let open = tasks::open_counts(db, ids).await?;
    let (division, section) = industry_of(enterprise);
    let wanted = accident_types(db, task).await?;
    let site = enterprise.latitude.zip(enterprise.longitude).and_then(|(la, lo)| GeoPoint::new(la, lo));

    let mut out = Vec::new();
    for x in pool {
        if let (Some(prefixes), Some(region)) = (serves.get(&x.id), enterprise.region_code.as_deref())
            && !prefixes.iter().any(|p| region.starts_with(p.as_str()))
        {
            continue;
        }
        let open_tasks = open.get(&x.id).copied().unwrap_or(0);
        if open_tasks >= i64::from(x.max_open_tasks) {
            continue;
        }
        let mine = competences.get(&x.id).map(Vec::as_slice).unwrap_or_default();
        let industry = if division.is_none() && section.is_none() {
            Some(IndustryMatch::Unknown)
        } else {
            let industries = mine.iter().filter(|c| c.kind == "industry").map(|c| c.code.as_str());
            industries.fold(None, |best, code| {
                let m = if division.as_deref() == Some(code) {
                    Some(IndustryMatch::Division)
                } else if section.is_some()
                    && (code.parse::<u8>().ok().and_then(section_of) == section
                        || code.len() == 1 && code.chars().next() == section)
                {
                    Some(IndustryMatch::Section)
                } else {
                    None
                };
                std::cmp::max(best, m)
            })
        };
        let Some(industry) = industry else { continue };
        let accident = mine
            .iter()
            .filter(|c| c.kind == "accident_type" && wanted.contains(&(c.code_system.clone(), c.code.clone())))
            .count();
        let home = x.latitude.zip(x.longitude).and_then(|(la, lo)| GeoPoint::new(la, lo));
        let distance_km = site.zip(home).map(|(s, h)| (s.distance_m(h) / 1000.0).round() as u64);
        out.push(Candidate {
            expert_id: x.id,
            industry,
            accident_types: u32::try_from(accident).unwrap_or(u32::MAX),
            open_tasks: u64::try_from(open_tasks).unwrap_or(0),
            distance_km,
        });
    }
    Ok(out)
}

/// No one qualified: logged, and the enterprise's service organisation is told once
/// for each set of refusals (a new decline or expiry that empties the pool tells again).
async fn unfilled(state: &AppState, task: &Task, enterprise: &Enterprise, now: DateTime<Utc>) -> Result<(), ApiError> {
    let asked = tasks::dispatches_of(&state.db, task.id).await?.len();
    tracing::warn!(task = task.id, enterprise = enterprise.id, asked, "no qualified expert for the task");
    let payload = json!({
        "task_id": task.id,
        "kind": task.kind,
        "enterprise_id": enterprise.id,
        "enterprise_name": enterprise.name,
        "organisation_id": enterprise.service_org_id,
        "experts_asked": asked,
    });
    outbox::enqueue_once(&state.db, UNFILLED_TOPIC, payload, format!("expert-unfilled:{}:{asked}", task.id), now)
        .await?;
    Ok(())
}
