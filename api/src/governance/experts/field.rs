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
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

use super::view::{CheckinView, TaskDetail, detail};
use super::{expert_of, invalid_state, own_task};
use crate::domain::input::{self, GradeInput};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::selfcheck::evidence::GeoPoint;
use crate::selfcheck::findings::{AccidentTypeCode, FindingDetail, NewFinding, create_in};
use crate::state::AppState;
use crate::store::experts::{self, NewReport};
use crate::store::tasks::{self, Checkin, NewCheckin, NewDispatch, NewTaskRow, Task};
use crate::store::{enterprises, findings, outbox};

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
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ExpertFinding {
    /// The phone's id for this finding; sending it again returns the same finding.
    #[validate(custom(function = "input::client_id"))]
    #[schema(min_length = 8, max_length = 64, pattern = "^[!-~]{8,64}$")]
    pub client_id: String,
    /// A library item (`HZ-ELEC-0011`).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub item_id: Option<String>,
    /// Where (1-200 characters, not blank).
    #[validate(length(min = 1, max = 200), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub location: String,
    /// What is wrong (1-2000 characters, not blank).
    #[validate(length(min = 1, max = 2000), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub description: String,
    /// Defaults to the library item's grade.
    pub grade: Option<GradeInput>,
    /// GB 6441-86 accident-type codes (`01`-`20`); default to the library item's.
    #[validate(length(max = 20))]
    #[schema(max_items = 20, inline)]
    pub accident_types: Option<Vec<AccidentTypeCode>>,
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
) -> Result<(Task, Checkin), ApiError> {
    let task = own_task(db, caller, id).await?;
    if task.status != "accepted" {
        return Err(invalid_state(&task.status, "accept the task first; done and cancelled tasks are closed"));
    }
    if let Some(k) = kind.filter(|k| *k != task.kind) {
        return Err(invalid_state(&task.status, &format!("this is done on a task of kind {k}, not {}", task.kind)));
    }
    let first = tasks::first_checkin(db, task.id)
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
    let e = enterprises::by_id(&state.db, task.enterprise_id).await?;
    let site = e.and_then(|e| e.latitude.zip(e.longitude)).and_then(|(la, lo)| GeoPoint::new(la, lo));
    let distance_m = site.map(|s| (s.distance_m(here) * 10.0).round() / 10.0);
    let far = distance_m.is_some_and(|d| d > state.settings.experts.site_radius_m);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let checkin = NewCheckin {
        task_id: task.id,
        expert_id: expert_of(caller)?,
        user_id: caller.user_id,
        client_at: req.at,
        latitude: req.latitude,
        longitude: req.longitude,
        distance_m,
        far,
    };
    let row = tasks::insert_checkin(&txn, checkin, now).await?;
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
    let e = enterprises::by_id(&state.db, task.enterprise_id).await?.ok_or_else(|| ApiError::not_found("task"))?;
    let finding = NewFinding {
        client_id: req.client_id.clone(),
        inspection_id: None,
        inspection_item_id: None,
        item_id: req.item_id.clone(),
        location: req.location.clone(),
        description: req.description.clone(),
        grade: req.grade,
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
    let found =
        findings::count_reported_since(&state.db, task.enterprise_id, caller.user_id, "expert", first.checked_in_at)
            .await?;
    let due = now + Duration::days(req.follow_up_days);

    let txn = crate::platform::db::begin_write(&state.db).await?;
    let follow = NewTaskRow {
        enterprise_id: task.enterprise_id,
        escalation_id: task.escalation_id,
        accident_id: task.accident_id,
        kind: "follow_up",
        status: "accepted",
        expert_id: Some(expert),
        organisation_id: task.organisation_id,
        due_at: Some(due),
        instructions: None,
    };
    let follow_id = tasks::insert(&txn, follow, now).await?;
    let offer = NewDispatch {
        task_id: follow_id,
        expert_id: expert,
        status: "accepted",
        drawn_from: json!({ "follow_up_of": task.id }),
        respond_by: now,
        responded_at: Some(now),
    };
    tasks::insert_dispatch(&txn, offer, now).await?;
    let report = NewReport {
        task_id: task.id,
        expert_id: expert,
        user_id: caller.user_id,
        summary,
        plan,
        follow_up_task_id: Some(follow_id),
        follow_up_due: due,
    };
    let report_id = experts::insert_report(&txn, report, now).await?;
    let result = json!({
        "kind": "expert_visit",
        "report_id": report_id,
        "follow_up_task_id": follow_id,
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
            .detail(format!("follow-up task {follow_id} due {}", due.date_naive())),
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
    task: &Task,
    result: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if !tasks::finish(txn, task.id, task.version, Some("accepted"), result, now).await? {
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
    let checked = findings::of_enterprise_among(&state.db, task.enterprise_id, &req.finding_ids).await?;
    if let Some((i, _)) = req.finding_ids.iter().enumerate().find(|(_, f)| !checked.iter().any(|c| c.id == **f)) {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            &format!("finding_ids[{i}]"),
            "not a finding of this enterprise",
        ));
    }
    let visit = experts::report_scheduling(&state.db, task.id).await?.map(|r| r.task_id);
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
        let organisation = enterprises::by_id(&txn, task.enterprise_id).await?.and_then(|e| e.service_org_id);
        let payload = json!({
            "task_id": task.id,
            "enterprise_id": task.enterprise_id,
            "escalation_id": task.escalation_id,
            "organisation_id": organisation,
            "result": result,
        });
        let key = format!("follow-up-failed:{}", task.id);
        outbox::enqueue_once(&txn, FOLLOW_UP_FAILED_TOPIC, payload, key, now).await?;
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
