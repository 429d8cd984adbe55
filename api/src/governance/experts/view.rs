//! What experts and bureaus read about tasks: the enterprise's site, the offers with
//! their draws, check-ins, the report and the result.

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::enterprises::{self, Enterprise};
use crate::store::experts::{self, Expert};
use crate::store::scope;
use crate::store::tasks::{self, Dispatch, Task};

/// Where the expert goes.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    pub enterprise_id: i64,
    pub name: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub region_code: Option<String>,
    /// GB/T 4754-2017 (`C2614`).
    pub industry_code: Option<String>,
}

/// One offer of the task to an expert.
#[derive(Debug, Serialize, ToSchema)]
pub struct DispatchView {
    pub expert_id: i64,
    pub expert_name: Option<String>,
    /// `offered`, `accepted`, `declined` or `expired`.
    pub status: String,
    pub reason: Option<String>,
    pub offered_at: chrono::DateTime<chrono::FixedOffset>,
    pub respond_by: chrono::DateTime<chrono::FixedOffset>,
    pub responded_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// How the expert was chosen: `tied` (the best qualified, equal in competence,
    /// workload and distance), `seed` and `drawn` (`tied[seed % len]`, `tied` in id
    /// order) and the `ranking`; a follow-up names the visit it follows (`follow_up_of`).
    #[schema(value_type = Object)]
    pub drawn_from: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinView {
    pub id: i64,
    /// Server time of the check-in.
    pub checked_in_at: chrono::DateTime<chrono::FixedOffset>,
    /// What the phone said the time was.
    pub client_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub latitude: f64,
    pub longitude: f64,
    /// Metres from the enterprise's recorded site (absent when it has none).
    pub distance_m: Option<f64>,
    /// Farther than `experts.site_radius_m` from the site.
    pub far: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub summary: String,
    /// The 一企一策 recommendation.
    pub plan: String,
    pub follow_up_task_id: Option<i64>,
    pub follow_up_due: chrono::DateTime<chrono::FixedOffset>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

/// A task as its expert sees it in the list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExpertTask)]
pub struct TaskView {
    pub id: i64,
    /// `expert_visit` (安全专家入企治理) or `follow_up` (回访巡查).
    pub kind: String,
    /// `open` (offered, awaiting the answer), `accepted`, `done`, `cancelled`.
    pub status: String,
    pub version: i32,
    pub site: SiteView,
    /// The caller's offer: its status and answer deadline.
    pub offer: Option<DispatchView>,
    pub due_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub completed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// One task with what was done on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: TaskView,
    pub accident_id: Option<i64>,
    pub escalation_id: Option<i64>,
    pub checkins: Vec<CheckinView>,
    pub report: Option<ReportView>,
    /// Set when done: a visit's report and follow-up, or a follow-up's verdict.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
}

/// A task in a bureau's or the service organisation's view, with its dispatch history.
#[derive(Debug, Serialize, ToSchema)]
pub struct GovTask {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub enterprise_id: i64,
    pub enterprise_name: Option<String>,
    pub escalation_id: Option<i64>,
    pub expert_id: Option<i64>,
    pub expert_name: Option<String>,
    pub due_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub completed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Every offer, oldest first.
    pub dispatches: Vec<DispatchView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GovTaskPage {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub tasks: Vec<GovTask>,
}

fn site(e: Option<Enterprise>, id: i64) -> SiteView {
    match e {
        Some(e) => SiteView {
            enterprise_id: e.id,
            name: e.name,
            address: e.address,
            latitude: e.latitude,
            longitude: e.longitude,
            region_code: e.region_code,
            industry_code: e.industry_code,
        },
        None => SiteView {
            enterprise_id: id,
            name: String::new(),
            address: None,
            latitude: None,
            longitude: None,
            region_code: None,
            industry_code: None,
        },
    }
}

fn dispatch_view(d: Dispatch, expert: Option<Expert>) -> DispatchView {
    DispatchView {
        expert_id: d.expert_id,
        expert_name: expert.map(|x| x.name),
        status: d.status,
        reason: d.reason,
        offered_at: d.offered_at,
        respond_by: d.respond_by,
        responded_at: d.responded_at,
        drawn_from: d.drawn_from,
    }
}

async fn task_view(db: &impl ConnectionTrait, t: Task) -> Result<TaskView, ApiError> {
    let e = enterprises::by_id(db, t.enterprise_id).await?;
    let offer = match t.expert_id {
        Some(x) => tasks::offer_with_expert(db, t.id, x).await?.map(|(d, x)| dispatch_view(d, x)),
        None => None,
    };
    Ok(TaskView {
        id: t.id,
        kind: t.kind,
        status: t.status,
        version: t.version,
        site: site(e, t.enterprise_id),
        offer,
        due_at: t.due_at,
        created_at: t.created_at,
        completed_at: t.completed_at,
    })
}

/// The tasks dispatched to `expert`, newest first.
pub async fn list_for_expert(state: &AppState, expert: i64) -> Result<Vec<TaskView>, ApiError> {
    let db = &state.db;
    let rows = tasks::list_of_expert(db, expert, 500).await?;
    let mut out = Vec::with_capacity(rows.len());
    for t in rows {
        out.push(task_view(db, t).await?);
    }
    Ok(out)
}

pub async fn detail(db: &impl ConnectionTrait, t: Task) -> Result<TaskDetail, ApiError> {
    let checkins = tasks::checkins_of(db, t.id)
        .await?
        .into_iter()
        .map(|c| CheckinView {
            id: c.id,
            checked_in_at: c.checked_in_at,
            client_at: c.client_at,
            latitude: c.latitude,
            longitude: c.longitude,
            distance_m: c.distance_m,
            far: c.far,
        })
        .collect();
    let report = experts::report_of(db, t.id).await?.map(|r| ReportView {
        id: r.id,
        summary: r.summary,
        plan: r.plan,
        follow_up_task_id: r.follow_up_task_id,
        follow_up_due: r.follow_up_due,
        created_at: r.created_at,
    });
    let (accident_id, escalation_id, result) = (t.accident_id, t.escalation_id, t.result.clone());
    Ok(TaskDetail { task: task_view(db, t).await?, accident_id, escalation_id, checkins, report, result })
}

/// Tasks of enterprises in the caller's jurisdiction (SQL-scoped), newest first.
pub async fn gov_list(
    state: &AppState,
    caller: &Caller,
    kind: Option<&str>,
    status: Option<&str>,
    (page, per_page): (u64, u64),
) -> Result<GovTaskPage, ApiError> {
    const KINDS: &[&str] = &[
        "self_inspection",
        "accident_investigation",
        "expert_visit",
        "joint_research",
        "joint_supervision",
        "follow_up",
    ];
    // An account without an enterprise scope is refused before its query is checked.
    scope::enterprise_ids(caller, None)?;
    if kind.is_some_and(|k| !KINDS.contains(&k)) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "kind", "not a task kind"));
    }
    if status.is_some_and(|s| !["open", "accepted", "done", "cancelled"].contains(&s)) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "status", "open, accepted, done or cancelled"));
    }
    let db = &state.db;
    let (total, rows) = tasks::page_in_scope(db, caller, kind, status, page, per_page).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (t, e) in rows {
        let dispatches = tasks::dispatches_with_experts(db, t.id).await?;
        let expert_name = dispatches
            .iter()
            .find(|(d, _)| Some(d.expert_id) == t.expert_id)
            .and_then(|(_, x)| x.as_ref().map(|x| x.name.clone()));
        out.push(GovTask {
            id: t.id,
            kind: t.kind,
            status: t.status,
            enterprise_id: t.enterprise_id,
            enterprise_name: e.map(|e| e.name),
            escalation_id: t.escalation_id,
            expert_id: t.expert_id,
            expert_name,
            due_at: t.due_at,
            created_at: t.created_at,
            completed_at: t.completed_at,
            result: t.result,
            dispatches: dispatches.into_iter().map(|(d, x)| dispatch_view(d, x)).collect(),
        });
    }
    Ok(GovTaskPage { page, per_page, total, tasks: out })
}
