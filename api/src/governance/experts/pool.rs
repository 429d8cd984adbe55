//! Keeping the expert pool (专家库): the service organisation adds and edits experts
//! (competences by GB/T 4754 division and GB 6441-86 accident type, the GB/T 2260
//! regions they serve, home position, most open tasks), declares their conflicts of
//! interest and deactivates them; bureaus read the pool with its workload. The
//! dispatcher reads the same rows, so a new expert is offered tasks at once and a
//! deactivated one none (its unanswered offers are withdrawn and dispatched again).
//! Sign-in accounts for experts are the security administrator's (`POST /admin/users`).

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

use super::dispatch_task;
use crate::domain::input;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::state::AppState;
use crate::store::expert_pool::{self, ExpertFields};
use crate::store::experts::Expert;
use crate::store::{regions, scope, tasks};

/// Code systems of the competences written here (the dispatcher matches on them).
pub const INDUSTRY_SYSTEM: &str = "gb4754-2017";
pub const ACCIDENT_SYSTEM: &str = "gb6441-86";
/// Most open tasks when not given.
pub const DEFAULT_MAX_OPEN_TASKS: i32 = 5;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ExpertRequest {
    /// 1-100 characters.
    #[validate(length(min = 1, max = 100), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    /// Qualification (注册安全工程师 …), up to 100 characters.
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub title: Option<String>,
    /// Home region (GB/T 2260).
    #[schema(pattern = "^[0-9]{6}$", example = "640202")]
    pub region_code: Option<String>,
    /// Regions served (GB/T 2260): the expert is offered tasks of enterprises within
    /// them only. 1-50.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50, example = json!(["640200"]))]
    pub regions_served: Vec<String>,
    /// Home position (WGS-84), with `longitude`.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// GB/T 4754-2017 divisions (two digits, `26`). Up to 100.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100, example = json!(["25", "26"]))]
    pub industries: Vec<String>,
    /// GB 6441-86 accident types (`01`-`20`). Up to 40.
    #[serde(default)]
    #[validate(length(max = 40))]
    #[schema(max_items = 40, example = json!(["07", "08"]))]
    pub accident_types: Vec<String>,
    /// Most tasks held at once (offers and accepted), 1-100; default 5.
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100, default = 5)]
    pub max_open_tasks: Option<i32>,
}

/// Only what is given changes; lists replace the expert's whole list.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ExpertPatch {
    #[validate(length(min = 1, max = 100), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub title: Option<String>,
    #[schema(pattern = "^[0-9]{6}$")]
    pub region_code: Option<String>,
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    pub regions_served: Option<Vec<String>>,
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub industries: Option<Vec<String>>,
    #[validate(length(max = 40))]
    #[schema(max_items = 40)]
    pub accident_types: Option<Vec<String>>,
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub max_open_tasks: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ConflictRequest {
    /// An enterprise in the caller's scope.
    pub enterprise_id: i64,
    /// 2-255 characters (former employer, relative on the staff …): the column's size.
    #[serde(default)]
    #[validate(length(min = 2, max = 255), custom(function = "input::not_blank"))]
    #[schema(required = true, min_length = 2, max_length = 255, pattern = "\\S[\\s\\S]*\\S")]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DeactivateRequest {
    /// 2-500 characters.
    #[serde(default)]
    #[validate(length(min = 2, max = 500), custom(function = "input::not_blank"))]
    #[schema(required = true, min_length = 2, max_length = 500, pattern = "\\S[\\s\\S]*\\S")]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpertWorkload {
    /// Tasks accepted and not yet done.
    pub open_tasks: i64,
    /// Offers awaiting the expert's answer.
    pub open_offers: i64,
    pub max_open_tasks: i32,
    /// Whether the dispatcher may offer the expert another task now.
    pub available: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpertConflictView {
    pub enterprise_id: i64,
    pub reason: String,
    pub declared_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpertView {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    /// The service organisation keeping the expert.
    pub organisation_id: Option<i64>,
    /// Home region.
    pub region_code: Option<String>,
    /// Empty for an expert from before regions were kept: offered anywhere.
    pub regions_served: Vec<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub industries: Vec<String>,
    pub accident_types: Vec<String>,
    pub max_open_tasks: i32,
    pub active: bool,
    pub deactivated_at: Option<DateTime<FixedOffset>>,
    pub deactivation_reason: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub workload: ExpertWorkload,
    pub conflicts: Vec<ExpertConflictView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpertPage {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub experts: Vec<ExpertView>,
}

/// The experts as views, with their lists and workload (four queries for a page).
async fn views(state: &AppState, rows: Vec<Expert>) -> Result<Vec<ExpertView>, ApiError> {
    let db = &state.db;
    let ids: Vec<i64> = rows.iter().map(|x| x.id).collect();
    let regions = expert_pool::regions_of(db, ids.clone()).await?;
    let competences = expert_pool::competences_of(db, ids.clone()).await?;
    let conflicts = expert_pool::conflicts_of(db, ids.clone()).await?;
    let load = expert_pool::workload(db, ids).await?;
    Ok(rows
        .into_iter()
        .map(|x| {
            let (open_tasks, open_offers) = load.get(&x.id).copied().unwrap_or_default();
            let codes = |kind: &str| {
                competences.iter().filter(|c| c.expert_id == x.id && c.kind == kind).map(|c| c.code.clone()).collect()
            };
            ExpertView {
                id: x.id,
                regions_served: regions.iter().filter(|r| r.0 == x.id).map(|r| r.1.clone()).collect(),
                industries: codes("industry"),
                accident_types: codes("accident_type"),
                conflicts: conflicts
                    .iter()
                    .filter(|c| c.expert_id == x.id)
                    .map(|c| ExpertConflictView {
                        enterprise_id: c.enterprise_id,
                        reason: c.reason.clone(),
                        declared_at: c.created_at,
                    })
                    .collect(),
                workload: ExpertWorkload {
                    open_tasks,
                    open_offers,
                    max_open_tasks: x.max_open_tasks,
                    available: x.active && open_tasks + open_offers < i64::from(x.max_open_tasks),
                },
                name: x.name,
                title: x.title,
                organisation_id: x.organisation_id,
                region_code: x.region_code,
                latitude: x.latitude,
                longitude: x.longitude,
                max_open_tasks: x.max_open_tasks,
                active: x.active,
                deactivated_at: x.deactivated_at,
                deactivation_reason: x.deactivation_reason,
                created_at: x.created_at,
            }
        })
        .collect())
}

async fn view_of(state: &AppState, x: Expert) -> Result<ExpertView, ApiError> {
    views(state, vec![x]).await?.pop().ok_or_else(|| ApiError::not_found("expert"))
}

/// Expert `id` in the caller's pool; any other reads as not found.
async fn own(state: &AppState, caller: &Caller, id: i64) -> Result<Expert, ApiError> {
    expert_pool::one_in_scope(&state.db, caller, id).await?.ok_or_else(|| ApiError::not_found("expert"))
}

/// Sorted, deduplicated codes, each checked by `ok`; the first failing one is at fault.
fn codes(field: &str, list: &[String], ok: impl Fn(&str) -> bool, what: &str) -> Result<Vec<String>, ApiError> {
    for (i, c) in list.iter().enumerate() {
        if !ok(c.trim()) {
            return Err(ApiError::field(ErrorCode::InvalidField, &format!("{field}[{i}]"), format!("{c:?}: {what}")));
        }
    }
    let mut v: Vec<String> = list.iter().map(|c| c.trim().to_string()).collect();
    v.sort();
    v.dedup();
    Ok(v)
}

fn industries(state: &AppState, list: &[String]) -> Result<Vec<String>, ApiError> {
    let ok = |c: &str| c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit()) && state.catalog.industry.contains(c);
    codes("industries", list, ok, "not a GB/T 4754-2017 division (two digits)")
}

fn accident_types(state: &AppState, list: &[String]) -> Result<Vec<String>, ApiError> {
    codes("accident_types", list, |c| state.catalog.accident_type_86.contains(c), "not a GB 6441-86 accident type")
}

/// A GB/T 2260 code known to the rules and the regions table.
async fn region(state: &AppState, field: &str, code: &str) -> Result<String, ApiError> {
    let c = code.trim();
    let known = zhicha_engine::RegionCode::parse(c).is_ok()
        && state.catalog.region.contains(c)
        && regions::by_code(&state.db, c).await?.is_some();
    if !known {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            field,
            format!("{code:?}: not a GB/T 2260 code in the rules"),
        ));
    }
    Ok(c.to_string())
}

async fn regions_served(state: &AppState, list: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        out.push(region(state, &format!("regions_served[{i}]"), c).await?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn position(lat: Option<f64>, lon: Option<f64>) -> Result<(Option<f64>, Option<f64>), ApiError> {
    match (lat, lon) {
        (Some(_), None) => {
            Err(ApiError::field(ErrorCode::InvalidField, "longitude", "give latitude and longitude together"))
        }
        (None, Some(_)) => {
            Err(ApiError::field(ErrorCode::InvalidField, "latitude", "give latitude and longitude together"))
        }
        p => Ok(p),
    }
}

fn text(field: &str, s: &str, max: usize) -> Result<String, ApiError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(ApiError::field(ErrorCode::InvalidField, field, format!("1-{max} characters")));
    }
    Ok(t.to_string())
}

/// Adds an expert to the caller's pool (the caller's service organisation keeps it).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    req: &ExpertRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<ExpertView, ApiError> {
    req.validate()?;
    let name = text("name", &req.name, 100)?;
    let industries = industries(state, &req.industries)?;
    let accident_types = accident_types(state, &req.accident_types)?;
    let served = regions_served(state, &req.regions_served).await?;
    let home = match &req.region_code {
        Some(c) => Some(region(state, "region_code", c).await?),
        None => None,
    };
    let (latitude, longitude) = position(req.latitude, req.longitude)?;
    let fields = ExpertFields {
        name,
        title: req.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string),
        region_code: home,
        latitude,
        longitude,
        max_open_tasks: req.max_open_tasks.unwrap_or(DEFAULT_MAX_OPEN_TASKS),
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let x = expert_pool::insert(&txn, caller.organisation_id, fields, now).await?;
    expert_pool::replace_competences(&txn, x.id, "industry", INDUSTRY_SYSTEM, &industries).await?;
    expert_pool::replace_competences(&txn, x.id, "accident_type", ACCIDENT_SYSTEM, &accident_types).await?;
    expert_pool::replace_regions(&txn, x.id, &served).await?;
    let after = json!({ "name": x.name, "industries": industries, "accident_types": accident_types, "regions_served": served, "max_open_tasks": x.max_open_tasks });
    audit::append(
        &txn,
        Entry::by(caller, origin, "expert.create", "expert").object(x.id).detail(json!({ "after": after }).to_string()),
    )
    .await?;
    txn.commit().await?;
    let id = x.id;
    redispatch(state, now).await;
    view_of(state, own(state, caller, id).await?).await
}

/// One page of the caller's pool, by id, with workload.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    active: Option<bool>,
    (page, per_page): (u64, u64),
) -> Result<ExpertPage, ApiError> {
    let (total, rows) = expert_pool::page_in_scope(&state.db, caller, active, page, per_page).await?;
    Ok(ExpertPage { page, per_page, total, experts: views(state, rows).await? })
}

pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<ExpertView, ApiError> {
    view_of(state, own(state, caller, id).await?).await
}

/// Edits an expert of the caller's pool; audited with before and after.
pub async fn edit(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &ExpertPatch,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<ExpertView, ApiError> {
    req.validate()?;
    let x = own(state, caller, id).await?;
    let before = view_of(state, x.clone()).await?;
    let industries = req.industries.as_deref().map(|l| industries(state, l)).transpose()?;
    let accident_types = req.accident_types.as_deref().map(|l| accident_types(state, l)).transpose()?;
    let served = match &req.regions_served {
        Some(l) => Some(regions_served(state, l).await?),
        None => None,
    };
    let home = match &req.region_code {
        Some(c) => Some(region(state, "region_code", c).await?),
        None => x.region_code.clone(),
    };
    let (latitude, longitude) = match (req.latitude, req.longitude) {
        (None, None) => (x.latitude, x.longitude),
        (lat, lon) => position(lat, lon)?,
    };
    let fields = ExpertFields {
        name: match &req.name {
            Some(n) => text("name", n, 100)?,
            None => x.name.clone(),
        },
        title: match &req.title {
            Some(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
            None => x.title.clone(),
        },
        region_code: home,
        latitude,
        longitude,
        max_open_tasks: req.max_open_tasks.unwrap_or(x.max_open_tasks),
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    expert_pool::update(&txn, x.id, fields.clone()).await?;
    if let Some(l) = &industries {
        expert_pool::replace_competences(&txn, x.id, "industry", INDUSTRY_SYSTEM, l).await?;
    }
    if let Some(l) = &accident_types {
        expert_pool::replace_competences(&txn, x.id, "accident_type", ACCIDENT_SYSTEM, l).await?;
    }
    if let Some(l) = &served {
        expert_pool::replace_regions(&txn, x.id, l).await?;
    }
    // The record is written with the change, in its transaction: what the edit leaves.
    let mut after = before.clone();
    after.name.clone_from(&fields.name);
    after.title.clone_from(&fields.title);
    after.region_code.clone_from(&fields.region_code);
    (after.latitude, after.longitude, after.max_open_tasks) =
        (fields.latitude, fields.longitude, fields.max_open_tasks);
    if let Some(l) = &industries {
        after.industries.clone_from(l);
    }
    if let Some(l) = &accident_types {
        after.accident_types.clone_from(l);
    }
    if let Some(l) = &served {
        after.regions_served.clone_from(l);
    }
    let detail = json!({ "before": summary(&before), "after": summary(&after) });
    audit::append(&txn, Entry::by(caller, origin, "expert.edit", "expert").object(x.id).detail(detail.to_string()))
        .await?;
    txn.commit().await?;
    redispatch(state, now).await;
    view_of(state, own(state, caller, id).await?).await
}

/// A new or widened expert may take a task no one could: the pending tasks are offered
/// again now rather than at the dispatcher's next tick. Its failure is the tick's to
/// retry, not the request's.
async fn redispatch(state: &AppState, now: DateTime<Utc>) {
    if let Err(e) = super::dispatch_pending(state, now).await {
        tracing::warn!("dispatch after a change to the pool failed: {e}");
    }
}

/// What the audit trail keeps of an expert (no workload, which changes on its own).
fn summary(v: &ExpertView) -> serde_json::Value {
    json!({
        "name": v.name, "title": v.title, "region_code": v.region_code, "regions_served": v.regions_served,
        "latitude": v.latitude, "longitude": v.longitude, "industries": v.industries,
        "accident_types": v.accident_types, "max_open_tasks": v.max_open_tasks,
    })
}

/// Declares the expert's conflict of interest with an enterprise in the caller's scope:
/// the dispatcher never offers it the enterprise's tasks.
pub async fn declare_conflict(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &ConflictRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<ExpertView, ApiError> {
    req.validate()?;
    let reason = text("reason", &req.reason, 255)?;
    let x = own(state, caller, id).await?;
    let e = scope::enterprise(&state.db, caller, Some(req.enterprise_id)).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !expert_pool::insert_conflict(&txn, x.id, e.id, &reason, now).await? {
        return Err(ApiError::new(ErrorCode::Conflict, "this conflict is declared already"));
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "expert.conflict", "expert").object(x.id).enterprise(e.id).detail(reason),
    )
    .await?;
    txn.commit().await?;
    view_of(state, x).await
}

/// Deactivates an expert: no more offers; offers awaiting its answer are withdrawn
/// and dispatched again. Tasks it accepted stay with it.
pub async fn deactivate(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &DeactivateRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<ExpertView, ApiError> {
    req.validate()?;
    let reason = text("reason", &req.reason, 500)?;
    let x = own(state, caller, id).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !expert_pool::deactivate(&txn, x.id, &reason, now).await? {
        return Err(ApiError::new(ErrorCode::InvalidState, "the expert is inactive already")
            .with_details(json!({ "state": "inactive" })));
    }
    let mut freed = Vec::new();
    for task_id in expert_pool::offered_task_ids(&txn, x.id).await? {
        if let Some(offer) = tasks::offer_of(&txn, task_id, x.id).await?
            && tasks::answer(&txn, offer.id, "declined", Some("expert deactivated".into()), Some(now)).await?
            && tasks::release(&txn, task_id, x.id).await? == 1
        {
            freed.push(task_id);
        }
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "expert.deactivate", "expert")
            .object(x.id)
            .detail(json!({ "reason": reason, "offers_withdrawn": freed }).to_string()),
    )
    .await?;
    txn.commit().await?;
    for t in freed {
        dispatch_task(state, t, now).await?;
    }
    view_of(state, own(state, caller, id).await?).await
}
