//! The expert on site: check-in, findings into the enterprise's hazard list, the
//! visit report with the 一企一策 plan (which schedules the follow-up inspection), and
//! the follow-up's verdict.
//!
//! A follow-up's verdict is stored as the done task's `result`, for the trigger
//! rules to read (a failed follow-up escalates):
//!
//! ```json
//! { "kind": "follow_up", "verdict": "failed", "notes": "…",
//!   "finding_ids": [12, 15], "findings": [{ "id": 12, "state": "rectifying" }],
//!   "visit_task_id": 7, "expert_id": 3, "decided_at": "2026-12-01T08:00:00+00:00" }
//! ```
//!
//! A visit's result: `{ "kind": "expert_visit", "report_id", "follow_up_task_id",
//! "follow_up_due", "visited_at" (first check-in), "findings_reported" }`.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::view::{CheckinView, TaskDetail, detail};
use super::{expert_of, invalid_state, own_task};
use crate::entities::{enterprises, expert_reports, findings, outbox, task_checkins, task_dispatches, tasks};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::selfcheck::evidence::GeoPoint;
use crate::selfcheck::findings::{FindingDetail, NewFinding, create_in};
use crate::state::AppState;

/// Outbox topic: a follow-up inspection found rectification failed.
pub const FOLLOW_UP_FAILED_TOPIC: &str = "follow_up_failed";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinRequest {
    /// WGS 84, decimal degrees.
    pub latitude: f64,
    pub longitude: f64,
    /// The phone's time of the check-in (the server's time is what counts).
    pub at: Option<DateTime<FixedOffset>>,
}

/// A hazard the expert found on site; always reported as submitted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertFinding {
    /// The phone's id for this finding; sending it again returns the same finding.
    pub client_id: String,
    /// A library item (`HZ-ELEC-0011`).
    pub item_id: Option<String>,
    /// Where (1-200 characters).
    pub location: String,
    /// What is wrong (1-2000 characters).
    pub description: String,
    /// `general` or `major`; defaults to the library item's grade.
    pub grade: Option<String>,
    /// GB 6441-86 accident-type codes; default to the library item's.
    pub accident_types: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// What the visit found and did (1-5000 characters).
    pub summary: String,
    /// The one-enterprise-one-plan (一企一策) recommendation (1-20000 characters).
    pub plan: String,
    /// The follow-up inspection (回访巡查) is due this many days from now (1-365).
    pub follow_up_days: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// `passed` (rectification verified) or `failed`.
    pub verdict: String,
    /// What was seen (1-2000 characters).
    pub notes: String,
    /// The enterprise's findings checked on this visit (at most 500).
    #[serde(default)]
    pub finding_ids: Vec<i64>,
}

fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(ApiError::field(ErrorCode::InvalidField, field, format!("1-{max} characters")));
    }
    Ok(v.to_string())
}

/// The caller's accepted task, optionally of one kind, with its first check-in.
async fn working_task(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i64,
    kind: Option<&str>,
) -> Result<(tasks::Model, task_checkins::Model), ApiError> {
    let task = own_task(db, caller, id).await?;
    if task.status != "accepted" {
        return Err(invalid_state(&task.status, "accept the task first; done and cancelled tasks are closed"));
    }
    if let Some(k) = kind.filter(|k| *k != task.kind) {
        return Err(invalid_state(&task.status, &format!("this is done on a task of kind {k}, not {}", task.kind)));
    }
    let first = task_checkins::Entity::find()
        .filter(task_checkins::Column::TaskId.eq(task.id))
        .order_by_asc(task_checkins::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| invalid_state("not_checked_in", "check in on site first"))?;
    Ok((task, first))
}

/// Records arrival on site: server time, position, distance to the enterprise's site.
pub async fn checkin(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &CheckinRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<CheckinView, ApiError> {
    let here = GeoPoint::new(req.latitude, req.longitude)
        .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "latitude", "latitude -90..90, longitude -180..180"))?;
    if req.at.is_some_and(|at| at.with_timezone(&Utc) > now + Duration::minutes(10)) {
        return Err(ApiError::field(ErrorCode::InvalidField, "at", "in the future"));
    }
    let task = own_task(&state.db, caller, id).await?;
    if task.status != "accepted" {
        return Err(invalid_state(&task.status, "accept the task before checking in"));
    }
    let e = enterprises::Entity::find_by_id(task.enterprise_id).one(&state.db).await?;
    let site = e.and_then(|e| e.latitude.zip(e.longitude)).and_then(|(la, lo)| GeoPoint::new(la, lo));
    let distance_m = site.map(|s| (s.distance_m(here) * 10.0).round() / 10.0);
    let far = distance_m.is_some_and(|d| d > state.settings.experts.site_radius_m);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let row = task_checkins::ActiveModel {
        created_at: Set(now.fixed_offset()),
        task_id: Set(task.id),
        expert_id: Set(expert_of(caller)?),
        user_id: Set(caller.user_id),
        checked_in_at: Set(now.fixed_offset()),
        client_at: Set(req.at),
        latitude: Set(req.latitude),
        longitude: Set(req.longitude),
        distance_m: Set(distance_m),
        far: Set(far),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let d = distance_m.map_or_else(|| "site unknown".to_string(), |d| format!("{d} m from the site"));
    audit::append(
        &txn,
        Entry::by(caller, origin, "task.checkin", "task")
            .object(task.id)
            .enterprise(task.enterprise_id)
            .detail(if far { format!("{d} (far)") } else { d }),
    )
    .await?;
    txn.commit().await?;
    Ok(CheckinView {
        id: row.id,
        checked_in_at: row.checked_in_at,
        client_at: row.client_at,
        latitude: row.latitude,
        longitude: row.longitude,
        distance_m: row.distance_m,
        far: row.far,
    })
}

/// Reports a finding into the enterprise's hazard list through the shared findings
/// code (same state machine and history; `origin = expert`). Only on an accepted
/// task the expert has checked in for.
pub async fn report_finding(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &ExpertFinding,
    origin: &Origin,
) -> Result<(FindingDetail, bool), ApiError> {
    let (task, _) = working_task(&state.db, caller, id, None).await?;
    let e = enterprises::Entity::find_by_id(task.enterprise_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("task"))?;
    let finding = NewFinding {
        client_id: req.client_id.clone(),
        inspection_id: None,
        inspection_item_id: None,
        item_id: req.item_id.clone(),
        location: req.location.clone(),
        description: req.description.clone(),
        grade: req.grade.clone(),
        accident_types: req.accident_types.clone(),
        submit: true,
    };
    create_in(state, caller, &e, &finding, origin).await
}

/// Completes a visit: the report, the task done, and the follow-up task scheduled
/// for the same expert.
pub async fn report(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &ReportRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<TaskDetail, ApiError> {
    let summary = text("summary", &req.summary, 5000)?;
    let plan = text("plan", &req.plan, 20_000)?;
    if !(1..=365).contains(&req.follow_up_days) {
        return Err(ApiError::field(ErrorCode::InvalidField, "follow_up_days", "1-365"));
    }
    let (task, first) = working_task(&state.db, caller, id, Some("expert_visit")).await?;
    let expert = expert_of(caller)?;
    let found = findings::Entity::find()
        .filter(findings::Column::EnterpriseId.eq(task.enterprise_id))
        .filter(findings::Column::ReportedBy.eq(caller.user_id))
        .filter(findings::Column::Origin.eq("expert"))
        .filter(findings::Column::CreatedAt.gte(first.checked_in_at))
        .count(&state.db)
        .await?;
    let due = now + Duration::days(req.follow_up_days);

    let txn = crate::platform::db::begin_write(&state.db).await?;
    let follow = tasks::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(task.enterprise_id),
        escalation_id: Set(task.escalation_id),
        accident_id: Set(task.accident_id),
        kind: Set("follow_up".to_string()),
        status: Set("accepted".to_string()),
        expert_id: Set(Some(expert)),
        organisation_id: Set(task.organisation_id),
        due_at: Set(Some(due.fixed_offset())),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    task_dispatches::ActiveModel {
        created_at: Set(now.fixed_offset()),
        task_id: Set(follow.id),
        expert_id: Set(expert),
        status: Set("accepted".to_string()),
        drawn_from: Set(json!({ "follow_up_of": task.id })),
        offered_at: Set(now.fixed_offset()),
        respond_by: Set(now.fixed_offset()),
        responded_at: Set(Some(now.fixed_offset())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let report = expert_reports::ActiveModel {
        created_at: Set(now.fixed_offset()),
        task_id: Set(task.id),
        expert_id: Set(expert),
        user_id: Set(caller.user_id),
        summary: Set(summary),
        plan: Set(plan),
        follow_up_task_id: Set(Some(follow.id)),
        follow_up_due: Set(due.fixed_offset()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let result = json!({
        "kind": "expert_visit",
        "report_id": report.id,
        "follow_up_task_id": follow.id,
        "follow_up_due": due.fixed_offset(),
        "visited_at": first.checked_in_at,
        "findings_reported": found,
    });
    finish(&txn, &task, result, now).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "task.report", "task")
            .object(task.id)
            .enterprise(task.enterprise_id)
            .detail(format!("follow-up task {} due {}", follow.id, due.date_naive())),
    )
    .await?;
    txn.commit().await?;
    // A visit done can resolve escalations (its tasks done) and starts the visit's window.
    crate::governance::evaluate_soon(state, task.enterprise_id);
    detail(&state.db, own_task(&state.db, caller, id).await?).await
}

/// Marks `task` done with `result` if nobody changed it since it was read.
async fn finish(
    txn: &impl ConnectionTrait,
    task: &tasks::Model,
    result: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let r = tasks::Entity::update_many()
        .col_expr(tasks::Column::Status, Expr::value("done"))
        .col_expr(tasks::Column::CompletedAt, Expr::value(Some(now.fixed_offset())))
        .col_expr(tasks::Column::Result, Expr::value(result))
        .col_expr(tasks::Column::Version, Expr::col(tasks::Column::Version).add(1))
        .filter(tasks::Column::Id.eq(task.id))
        .filter(tasks::Column::Status.eq("accepted"))
        .filter(tasks::Column::Version.eq(task.version))
        .exec(txn)
        .await?;
    if r.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::VersionConflict, "the task changed meanwhile; read it again")
            .with_details(json!({ "current_version": task.version + 1 })));
    }
    Ok(())
}

/// Records a follow-up inspection's verdict; a failed one is queued for the bureau
/// and the service organisation and feeds the trigger rules (the task's `result`).
pub async fn follow_up(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &FollowUpRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<TaskDetail, ApiError> {
    if !["passed", "failed"].contains(&req.verdict.as_str()) {
        return Err(ApiError::field(ErrorCode::InvalidField, "verdict", "passed or failed"));
    }
    let notes = text("notes", &req.notes, 2000)?;
    if req.finding_ids.len() > 500 {
        return Err(ApiError::field(ErrorCode::InvalidField, "finding_ids", "at most 500"));
    }
    let (task, _) = working_task(&state.db, caller, id, Some("follow_up")).await?;
    let checked = findings::Entity::find()
        .filter(findings::Column::EnterpriseId.eq(task.enterprise_id))
        .filter(findings::Column::Id.is_in(req.finding_ids.clone()))
        .all(&state.db)
        .await?;
    if let Some((i, _)) = req.finding_ids.iter().enumerate().find(|(_, f)| !checked.iter().any(|c| c.id == **f)) {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            &format!("finding_ids[{i}]"),
            "not a finding of this enterprise",
        ));
    }
    let visit = expert_reports::Entity::find()
        .filter(expert_reports::Column::FollowUpTaskId.eq(task.id))
        .one(&state.db)
        .await?
        .map(|r| r.task_id);
    let result = json!({
        "kind": "follow_up",
        "verdict": req.verdict,
        "notes": notes,
        "finding_ids": req.finding_ids,
        "findings": checked.iter().map(|f| json!({ "id": f.id, "state": f.state })).collect::<Vec<_>>(),
        "visit_task_id": visit,
        "expert_id": expert_of(caller)?,
        "decided_at": now.fixed_offset(),
    });
    let txn = crate::platform::db::begin_write(&state.db).await?;
    finish(&txn, &task, result.clone(), now).await?;
    if req.verdict == "failed" {
        let organisation =
            enterprises::Entity::find_by_id(task.enterprise_id).one(&txn).await?.and_then(|e| e.service_org_id);
        outbox::Entity::insert(outbox::ActiveModel {
            created_at: Set(now.fixed_offset()),
            topic: Set(FOLLOW_UP_FAILED_TOPIC.to_string()),
            payload: Set(json!({
                "task_id": task.id,
                "enterprise_id": task.enterprise_id,
                "escalation_id": task.escalation_id,
                "organisation_id": organisation,
                "result": result,
            })),
            available_at: Set(now.fixed_offset()),
            attempts: Set(0),
            dedupe_key: Set(Some(format!("follow-up-failed:{}", task.id))),
            ..Default::default()
        })
        .on_conflict(OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "task.follow_up", "task")
            .object(task.id)
            .enterprise(task.enterprise_id)
            .detail(req.verdict.clone()),
    )
    .await?;
    txn.commit().await?;
    // A failed follow-up fires L5-FAILED-FOLLOW-UP; a passed one may resolve causes.
    crate::governance::evaluate_soon(state, task.enterprise_id);
    detail(&state.db, own_task(&state.db, caller, id).await?).await
}
