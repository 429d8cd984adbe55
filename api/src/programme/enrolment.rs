//! Enrolment in the programme and leaving it.
//!
//! Enrolling sets the programme start (the day of confirmation, China date), the
//! half-year checkpoints (start + 6 and + 12 months), marks the enterprise key
//! (`enterprises.is_key`), creates its first self-inspection task (the ladder's level 1
//! task and checklist, due as level 1 says, with no escalation behind it) and tells the
//! enterprise's service organisation through the outbox. Ending keeps the row (with
//! when, why and by whom) and clears `is_key`; the task stays as it is.

use chrono::{DateTime, Days, FixedOffset, Months, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;
use zhicha_engine::findings::{local_date, overdue_at};

use super::TOPIC;
use crate::domain::input;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::events::{Event, RegionCode as EventRegion};
use crate::state::AppState;
use crate::store::programme::{self, Enrolment, Filter, Firm};
use crate::store::{outbox, tasks};

/// Days the first self-inspection is due in when the ladder has no level 1.
const FALLBACK_DUE_DAYS: u32 = 30;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrolmentView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_code: Option<String>,
    pub proposal_id: i64,
    /// `proposed` (kept from the proposal) or `added` by the bureau.
    pub basis: String,
    /// Why it was added (additions only).
    pub reason: Option<String>,
    pub enrolled_at: DateTime<FixedOffset>,
    pub enrolled_by: i64,
    pub programme_start: NaiveDate,
    /// The half-year checkpoints: start + 6 months, start + 12 months.
    pub checkpoints: Vec<NaiveDate>,
    /// The first self-inspection task (`/mp/tasks`).
    pub first_task_id: Option<i64>,
    /// Not ended.
    pub current: bool,
    pub ended_at: Option<DateTime<FixedOffset>>,
    pub end_reason: Option<String>,
    pub ended_by: Option<i64>,
}

pub fn view(e: Enrolment, enterprise_name: String, region_code: Option<String>) -> EnrolmentView {
    EnrolmentView {
        id: e.id,
        enterprise_id: e.enterprise_id,
        enterprise_name,
        region_code,
        proposal_id: e.proposal_id,
        basis: e.basis,
        reason: e.reason,
        enrolled_at: e.enrolled_at,
        enrolled_by: e.enrolled_by,
        programme_start: e.programme_start,
        checkpoints: vec![e.checkpoint_1, e.checkpoint_2],
        first_task_id: e.first_task_id,
        current: e.ended_at.is_none(),
        ended_at: e.ended_at,
        end_reason: e.end_reason,
        ended_by: e.ended_by,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentPage {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub enrolments: Vec<EnrolmentView>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ProgrammeEndRequest)]
pub struct EndRequest {
    /// Why the enterprise leaves the programme (2-500 characters, recorded and audited).
    #[serde(default)]
    #[validate(length(min = 2, max = 500), custom(function = "input::not_blank"))]
    #[schema(required = true, min_length = 2, max_length = 500, pattern = "\\S[\\s\\S]*\\S")]
    pub reason: String,
}

/// What one enrolment is for.
pub struct Enrol {
    pub proposal_id: i64,
    pub basis: &'static str,
    pub reason: Option<String>,
}

/// Enrols `firm` inside the caller's transaction `db` (see the module notes).
pub async fn enrol(
    db: &impl ConnectionTrait,
    state: &AppState,
    caller: &Caller,
    origin: &Origin,
    firm: &Firm,
    e: Enrol,
    now: DateTime<Utc>,
) -> Result<EnrolmentView, ApiError> {
    let start = local_date(now);
    let row = programme::NewEnrolment {
        enterprise_id: firm.id,
        proposal_id: e.proposal_id,
        basis: e.basis,
        reason: e.reason,
        enrolled_by: caller.user_id,
        programme_start: start,
        checkpoint_1: start.checked_add_months(Months::new(6)).unwrap_or(start),
        checkpoint_2: start.checked_add_months(Months::new(12)).unwrap_or(start),
    };
    // One current enrolment per enterprise (a unique index): a confirmation that enrolled
    // it meanwhile wins, and this one is refused whole.
    let mut enrolment = programme::insert_enrolment(db, row, now).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::new(
            ErrorCode::Conflict,
            format!("enterprise {} was enrolled meanwhile; nothing was confirmed", firm.id),
        ),
        _ => ApiError::from(e),
    })?;
    let level = state.triggers.level(1);
    let due_days = level.map_or(FALLBACK_DUE_DAYS, |l| l.due_days);
    let checklist: Vec<String> = level.map(|l| l.checklist.clone()).unwrap_or_default();
    let task = tasks::NewTaskRow {
        enterprise_id: firm.id,
        escalation_id: None,
        accident_id: None,
        kind: "self_inspection",
        status: "open",
        expert_id: None,
        organisation_id: None,
        due_at: Some(overdue_at(start.checked_add_days(Days::new(u64::from(due_days))).unwrap_or(start))),
        instructions: Some(json!({
            "checklist": checklist,
            "programme": { "enrolment_id": enrolment.id, "proposal_id": e.proposal_id, "first": true },
        })),
    };
    let task_id = tasks::insert(db, task, now).await?;
    programme::set_first_task(db, enrolment.id, task_id).await?;
    enrolment.first_task_id = Some(task_id);
    programme::set_key(db, firm.id, true, now).await?;
    let payload = json!({
        "event": "enrolled",
        "enrolment_id": enrolment.id,
        "enterprise_id": firm.id,
        "enterprise_name": firm.name,
        "organisation_id": firm.service_org_id,
        "proposal_id": e.proposal_id,
        "programme_start": start,
        "checkpoints": [enrolment.checkpoint_1, enrolment.checkpoint_2],
        "first_task_id": task_id,
    });
    outbox::enqueue_once(db, TOPIC, payload, format!("programme:{}:enrolled", enrolment.id), now).await?;
    audit::append(
        db,
        Entry::by(caller, origin, "programme.enrol", "programme_enrolment")
            .object(enrolment.id)
            .enterprise(firm.id)
            .detail(format!("proposal {} ({}), first task {task_id}", e.proposal_id, e.basis)),
    )
    .await?;
    Ok(view(enrolment, firm.name.clone(), firm.region_code.clone()))
}

/// One page of the enrolments of the caller's enterprises, newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: &Filter,
    (page, per_page): (u64, u64),
) -> Result<EnrolmentPage, ApiError> {
    let (total, rows) = programme::page_in_scope(&state.db, caller, filter, page, per_page).await?;
    let enrolments = rows.into_iter().map(|(e, name, region)| view(e, name, region)).collect();
    Ok(EnrolmentPage { page, per_page, total, enrolments })
}

/// Ends the current enrolment of `enterprise_id` (in the caller's scope).
pub async fn end(
    state: &AppState,
    caller: &Caller,
    enterprise_id: i64,
    req: &EndRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<EnrolmentView, ApiError> {
    req.validate()?;
    let reason = super::reason_of("reason", &req.reason)?;
    let db = &state.db;
    let current = programme::current_in_scope(db, caller, enterprise_id)
        .await?
        .ok_or_else(|| ApiError::not_found("current enrolment of the enterprise"))?;
    let firm = programme::firms_by_id(db, vec![enterprise_id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("enterprise"))?;
    let txn = crate::platform::db::begin_write(db).await?;
    if !programme::end(&txn, current.id, caller.user_id, &reason, now).await? {
        return Err(ApiError::new(ErrorCode::Conflict, "the enrolment has just ended"));
    }
    programme::set_key(&txn, enterprise_id, false, now).await?;
    let payload = json!({
        "event": "ended",
        "enrolment_id": current.id,
        "enterprise_id": enterprise_id,
        "enterprise_name": firm.name,
        "organisation_id": firm.service_org_id,
        "reason": reason,
    });
    outbox::enqueue_once(&txn, TOPIC, payload, format!("programme:{}:ended", current.id), now).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "programme.end", "programme_enrolment")
            .object(current.id)
            .enterprise(enterprise_id)
            .detail(reason),
    )
    .await?;
    txn.commit().await?;
    let region = firm.region_code.as_deref().and_then(EventRegion::parse);
    state.publish(Event::FiguresChanged { enterprise_id, region }).await;
    let row = programme::by_id(db, current.id).await?.ok_or_else(|| ApiError::not_found("enrolment"))?;
    Ok(view(row, firm.name, firm.region_code))
}
