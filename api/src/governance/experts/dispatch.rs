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
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use zhicha_engine::industry_code::section_of;

use super::rank::{Candidate, IndustryMatch, draw};
use super::system_audit;
use crate::entities::{
    accidents, enterprises, expert_competences, expert_conflicts, experts, outbox, task_dispatches, tasks,
};
use crate::error::ApiError;
use crate::platform::audit;
use crate::selfcheck::evidence::GeoPoint;
use crate::state::AppState;

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
    let ids: Vec<i64> = tasks::Entity::find()
        .select_only()
        .column(tasks::Column::Id)
        .filter(tasks::Column::Status.eq("open"))
        .filter(tasks::Column::ExpertId.is_null())
        .filter(tasks::Column::Kind.is_in(DISPATCHED_KINDS.iter().copied()))
        .order_by_asc(tasks::Column::Id)
        .limit(500)
        .into_tuple()
        .all(&state.db)
        .await?;
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
    let Some(task) = tasks::Entity::find_by_id(task_id).one(db).await? else { return Ok(Dispatched::NotPending) };
    if task.status != "open" || task.expert_id.is_some() || !DISPATCHED_KINDS.contains(&task.kind.as_str()) {
        return Ok(Dispatched::NotPending);
    }
    let Some(enterprise) = enterprises::Entity::find_by_id(task.enterprise_id).one(db).await? else {
        return Ok(Dispatched::NotPending);
    };
    let candidates = candidates(db, &task, &enterprise).await?;
    let Some(d) = draw(candidates, fastrand::u64(..)) else {
        unfilled(state, &task, &enterprise, now).await?;
        return Ok(Dispatched::NoExpert);
    };

    let txn = crate::platform::db::begin_write(db).await?;
    let claimed = tasks::Entity::update_many()
        .col_expr(tasks::Column::ExpertId, Expr::value(d.drawn))
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .filter(tasks::Column::Id.eq(task.id))
        .filter(tasks::Column::Status.eq("open"))
        .filter(tasks::Column::ExpertId.is_null())
        .filter(tasks::Column::Version.eq(task.version))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(Dispatched::NotPending);
    }
    let respond_by = now + Duration::hours(state.settings.experts.accept_hours);
    let offer = task_dispatches::ActiveModel {
        created_at: Set(now.fixed_offset()),
        task_id: Set(task.id),
        expert_id: Set(d.drawn),
        status: Set("offered".to_string()),
        drawn_from: Set(json!(d)),
        offered_at: Set(now.fixed_offset()),
        respond_by: Set(respond_by.fixed_offset()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let detail = format!("expert {} drawn from {:?} (seed {})", d.drawn, d.tied, d.seed);
    audit::append(&txn, system_audit("task.dispatch", task.id, Some(task.enterprise_id), detail)).await?;
    txn.commit().await?;
    tracing::info!(task = task.id, expert = d.drawn, tied = d.tied.len(), "task offered");
    Ok(Dispatched::Offered { expert_id: d.drawn, dispatch_id: offer.id })
}

/// The enterprise's division and section (GB/T 4754), when known.
fn industry_of(e: &enterprises::Model) -> (Option<String>, Option<char>) {
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
async fn accident_types(db: &impl ConnectionTrait, task: &tasks::Model) -> Result<HashSet<(String, String)>, ApiError> {
    let mut out = HashSet::new();
    let Some(id) = task.accident_id else { return Ok(out) };
    if let Some(a) = accidents::Entity::find_by_id(id).one(db).await? {
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
    task: &tasks::Model,
    enterprise: &enterprises::Model,
) -> Result<Vec<Candidate>, ApiError> {
    let mut excluded: HashSet<i64> = expert_conflicts::Entity::find()
        .filter(expert_conflicts::Column::EnterpriseId.eq(enterprise.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.expert_id)
        .collect();
    excluded.extend(
        task_dispatches::Entity::find()
            .filter(task_dispatches::Column::TaskId.eq(task.id))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.expert_id),
    );
    let pool: Vec<experts::Model> = experts::Entity::find()
        .filter(experts::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter(|x| !excluded.contains(&x.id))
        .collect();
    if pool.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = pool.iter().map(|x| x.id).collect();
    let mut competences: HashMap<i64, Vec<expert_competences::Model>> = HashMap::new();
    for c in expert_competences::Entity::find()
        .filter(expert_competences::Column::ExpertId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        competences.entry(c.expert_id).or_default().push(c);
    }
    let open: HashMap<i64, i64> = tasks::Entity::find()
        .select_only()
        .column(tasks::Column::ExpertId)
        .column_as(Expr::col(tasks::Column::Id).count(), "n")
        .filter(tasks::Column::ExpertId.is_in(ids))
        .filter(tasks::Column::Status.is_in(["open", "accepted"]))
        .group_by(tasks::Column::ExpertId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let (division, section) = industry_of(enterprise);
    let wanted = accident_types(db, task).await?;
    let site = enterprise.latitude.zip(enterprise.longitude).and_then(|(la, lo)| GeoPoint::new(la, lo));

    let mut out = Vec::new();
    for x in pool {
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
async fn unfilled(
    state: &AppState,
    task: &tasks::Model,
    enterprise: &enterprises::Model,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let asked =
        task_dispatches::Entity::find().filter(task_dispatches::Column::TaskId.eq(task.id)).all(&state.db).await?.len();
    tracing::warn!(task = task.id, enterprise = enterprise.id, asked, "no qualified expert for the task");
    outbox::Entity::insert(outbox::ActiveModel {
        created_at: Set(now.fixed_offset()),
        topic: Set(UNFILLED_TOPIC.to_string()),
        payload: Set(json!({
            "task_id": task.id,
            "kind": task.kind,
            "enterprise_id": enterprise.id,
            "enterprise_name": enterprise.name,
            "organisation_id": enterprise.service_org_id,
            "experts_asked": asked,
        })),
        available_at: Set(now.fixed_offset()),
        attempts: Set(0),
        dedupe_key: Set(Some(format!("expert-unfilled:{}:{asked}", task.id))),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
    .exec_without_returning(&state.db)
    .await?;
    Ok(())
}
