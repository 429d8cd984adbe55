//! One step of the state machine through the database: gather the engine's view of the
//! finding, let `zhicha_engine::findings::apply` decide, write its outcome in one
//! transaction (the `findings` update is conditional on the version read, so two people
//! acting at once cannot both win).

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Deserialize;
use utoipa::ToSchema;
use zhicha_engine::findings::{
    self as machine, Action, ActionBody, ActionKind, Actor, Effect, Finding, ItemDefaults, Outcome, PendingExtension,
    Role, State, TransitionError,
};
use zhicha_engine::hazards::Grade;

use super::view::{FindingDetail, detail};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::events::Event;
use crate::platform::sync;
use crate::selfcheck::progress::{self, Counted};
use crate::state::AppState;
use crate::store::findings::{self as rows, Finding as Row, NewTransition, RectificationChange};
use crate::store::progress::FindingSums;
use crate::store::{evidence, hazard_items, users};

/// `{"version": 3, "action": "assign", "assignee": 12, "deadline": "2026-12-20", "plan": {…}}`;
/// the fields besides `version` and `action` depend on the action (see the state table).
/// Read as JSON first so that a field the action does not take is named in the error;
/// its published shape is [`FindingAction`].
#[derive(Debug, Deserialize)]
pub struct ActRequest(pub serde_json::Value);

/// One step of a finding's life: `action` names it, `version` is the finding's version
/// as the caller read it, and the other fields are the action's own.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)] // The published shape only; `ActRequest::parse` reads the body.
pub enum FindingAction {
    /// Draft → submitted.
    Submit { version: i32 },
    /// To a responsible person, with a deadline (default: the library item's days) and,
    /// for a major hazard, the 五落实 plan.
    Assign { version: i32, assignee: i64, deadline: Option<chrono::NaiveDate>, plan: Option<PlanBody> },
    /// The assignee reports the rectification done, with after-photos.
    SubmitRectification { version: i32, note: String, evidence_ids: Vec<i64> },
    /// Someone other than the rectifier accepts it (销号).
    Accept { version: i32, note: Option<String> },
    /// Back to rectification, with the reason.
    Reject { version: i32, reason: String },
    /// The assignee asks for a later deadline.
    RequestExtension { version: i32, deadline: chrono::NaiveDate, reason: String },
    /// The officer grants the extension.
    ApproveExtension { version: i32, note: Option<String> },
    /// The officer refuses it, with the reason.
    RefuseExtension { version: i32, reason: String },
    /// Withdrawn, with the reason.
    Cancel { version: i32, reason: String },
    /// A closed or cancelled finding opened again, with the reason.
    Reopen { version: i32, reason: String, deadline: Option<chrono::NaiveDate> },
}

/// The 五落实 plan of a major hazard: responsibility, measures, funds, deadline,
/// contingency.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RectificationPlan)]
#[allow(dead_code)] // The published shape only.
pub struct PlanBody {
    pub responsibility: String,
    pub measures: String,
    /// In fen (分).
    #[schema(minimum = 0)]
    pub funds_fen: i64,
    pub deadline: chrono::NaiveDate,
    pub contingency: String,
}

/// The fields each action takes besides `version` and `action`.
fn fields_of(action: &str) -> Option<&'static [&'static str]> {
    Some(match action {
        "submit" | "mark_overdue" => &[],
        "assign" => &["assignee", "deadline", "plan"],
        "submit_rectification" => &["note", "evidence_ids"],
        "accept" | "approve_extension" => &["note"],
        "reject" | "refuse_extension" | "cancel" => &["reason"],
        "request_extension" => &["deadline", "reason"],
        "reopen" => &["reason", "deadline"],
        _ => return None,
    })
}

impl ActRequest {
    /// The action, with unknown fields refused (the engine's type flattens its body,
    /// which would let them pass silently).
    pub fn parse(&self) -> Result<Action, ApiError> {
        let obj = self.0.as_object().ok_or_else(|| ApiError::new(ErrorCode::InvalidBody, "send a JSON object"))?;
        let name = obj
            .get("action")
            .and_then(|a| a.as_str())
            .ok_or_else(|| ApiError::field(ErrorCode::InvalidBody, "action", "missing field `action`"))?;
        let allowed = fields_of(name)
            .ok_or_else(|| ApiError::field(ErrorCode::InvalidBody, "action", format!("unknown action `{name}`")))?;
        if let Some(k) = obj.keys().find(|k| !(*k == "version" || *k == "action" || allowed.contains(&k.as_str()))) {
            return Err(ApiError::field(ErrorCode::InvalidBody, k, format!("unknown field `{k}` for `{name}`")));
        }
        let bytes = serde_json::to_vec(&self.0).map_err(ApiError::internal)?;
        crate::error::parse::<Action>(&bytes)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    /// What was done (1-2000 characters, not blank).
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub note: String,
    /// 0-99; 100 is reached by submitting the rectification.
    #[schema(minimum = 0, maximum = 99)]
    pub progress_pct: Option<i16>,
    /// Progress photos of this finding (phase `progress` or `after`), at most 50.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub evidence_ids: Vec<i64>,
}

pub(super) fn engine_role(caller: &Caller) -> Result<Role, ApiError> {
    use crate::identity::Role as R;
    match caller.role {
        R::EnterpriseOfficer => Ok(Role::EnterpriseOfficer),
        R::ResponsiblePerson => Ok(Role::ResponsiblePerson),
        R::Expert => Ok(Role::Expert),
        _ => Err(ApiError::new(ErrorCode::Forbidden, "only enterprise staff and experts act on findings")),
    }
}

pub(super) fn transition_error(e: TransitionError) -> ApiError {
    let msg = e.to_string();
    match e {
        TransitionError::IllegalState { state, action } => ApiError::new(ErrorCode::InvalidState, msg)
            .with_details(serde_json::json!({ "state": state.as_str(), "action": action.as_str() })),
        TransitionError::StaleVersion { current, .. } => ApiError::new(ErrorCode::VersionConflict, msg)
            .with_details(serde_json::json!({ "current_version": current })),
        TransitionError::Forbidden { .. } => ApiError::new(ErrorCode::Forbidden, msg),
        TransitionError::Invalid { field, .. } => ApiError::field(ErrorCode::InvalidField, field, msg),
    }
}

/// The engine's view of `f`, gathered from its rectification, pending extension,
/// latest rectifier and library item.
async fn load(db: &impl ConnectionTrait, state: &AppState, f: &Row) -> Result<Finding, ApiError> {
    let parse_state = State::parse(&f.state)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("finding {} has unknown state {}", f.id, f.state)))?;
    let grade = Grade::parse(&f.grade)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("finding {} has unknown grade {}", f.id, f.grade)))?;
    let rect = rows::rectification_of(db, f.id).await?;
    let pending_extension = match &rect {
        Some(r) => rows::pending_extension(db, r.id)
            .await?
            .map(|x| PendingExtension { requested_by: x.requested_by, deadline: x.requested_deadline }),
        None => None,
    };
    let rectifier = rows::last_rectifier(db, f.id).await?;
    let item = match f.hazard_item_id {
        Some(h) => hazard_items::by_id(db, h).await?.and_then(|h| state.hazards.get(&h.code)).map(|i| ItemDefaults {
            deadline_days: i.rectification.deadline_days,
            plan_required: i.rectification.plan_required,
        }),
        None => None,
    };
    Ok(Finding {
        state: parse_state,
        grade,
        version: f.version,
        assignee: rect.as_ref().map(|r| r.assignee_id),
        rectifier: rectifier.filter(|_| parse_state == State::RectificationSubmitted || rect.is_some()),
        deadline: rect.as_ref().map(|r| r.deadline),
        plan_present: rect.as_ref().is_some_and(|r| r.plan_responsibility.is_some() && r.plan_measures.is_some()),
        item,
        pending_extension,
    })
}

/// Checks what only the database knows: the assignee works for the enterprise, the
/// photos are this finding's.
async fn check_references(db: &impl ConnectionTrait, f: &Row, body: &ActionBody) -> Result<(), ApiError> {
    match body {
        ActionBody::Assign { assignee, .. } if !users::is_active_staff(db, f.enterprise_id, *assignee).await? => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "assignee",
                "not an active officer or responsible person of this enterprise",
            ));
        }
        ActionBody::SubmitRectification { evidence_ids, .. } => {
            check_photos(db, f, evidence_ids, &["after"], "evidence_ids").await?;
        }
        _ => {}
    }
    Ok(())
}

async fn check_photos(
    db: &impl ConnectionTrait,
    f: &Row,
    ids: &[i64],
    phases: &[&str],
    field: &str,
) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = evidence::count_of_finding(db, f.enterprise_id, f.id, ids, phases).await?;
    if found != ids.len() as u64 {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            field,
            format!("every id must be a {} photo uploaded for this finding", phases.join(" or ")),
        ));
    }
    Ok(())
}

/// Applies `action` by the caller to finding `id` of the caller's enterprise.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: &Action,
    origin: &Origin,
) -> Result<FindingDetail, ApiError> {
    let actor = Actor::user(caller.user_id, engine_role(caller)?);
    let f = super::in_scope(&state.db, caller, None, id).await?;
    let current = load(&state.db, state, &f).await?;
    let now = crate::domain::clock::now();
    let outcome = machine::apply(&current, action, &actor, now).map_err(transition_error)?;
    check_references(&state.db, &f, &action.body).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let written = write(&txn, &f, &outcome, now).await?;
    let entry = Entry::by(caller, origin, &format!("finding.{}", outcome.history.action.as_str()), "finding")
        .object(f.id)
        .enterprise(f.enterprise_id)
        .detail(format!("{} -> {}", f.state, outcome.state.as_str()));
    audit::append(&txn, entry).await?;
    txn.commit().await?;
    state.publish(Event::FiguresChanged { enterprise_id: f.enterprise_id, region: None }).await;
    // A submitted hazard or a failed acceptance can fire trigger rules; an acceptance
    // can resolve one.
    if matches!(outcome.history.action, ActionKind::Submit | ActionKind::Reject | ActionKind::Accept) {
        state.publish(Event::TriggerInputsChanged { enterprise_id: f.enterprise_id }).await;
    }
    detail(&state.db, written).await
}

/// The overdue job's step for one finding: the system marks it overdue if it still is
/// `to_rectify` past its deadline. `Ok(false)` when someone else changed it first.
pub async fn mark_overdue(state: &AppState, f: &Row, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let current = load(&state.db, state, f).await?;
    let action = Action { version: f.version, body: ActionBody::MarkOverdue };
    let Ok(outcome) = machine::apply(&current, &action, &Actor::system(), now) else { return Ok(false) };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    match write(&txn, f, &outcome, now).await {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::VersionConflict => return Ok(false),
        Err(e) => return Err(e),
    }
    let entry = audit::Entry {
        actor_id: None,
        actor_role: "system".to_string(),
        organisation_id: None,
        action: "finding.mark_overdue".to_string(),
        object_kind: "finding".to_string(),
        object_id: Some(f.id.to_string()),
        enterprise_id: Some(f.enterprise_id),
        region_code: None,
        outcome: audit::Outcome::Ok,
        request_id: None,
        ip: None,
        detail: outcome.history.note.clone(),
    };
    audit::append(&txn, entry).await?;
    txn.commit().await?;
    state.publish(Event::FiguresChanged { enterprise_id: f.enterprise_id, region: None }).await;
    Ok(true)
}

/// Writes `outcome` for `f`: the version-checked update, the effect on the
/// rectification records, the history row and the sync feed.
async fn write(txn: &DatabaseTransaction, f: &Row, outcome: &Outcome, now: DateTime<Utc>) -> Result<Row, ApiError> {
    let at = now.fixed_offset();
    if !rows::set_state_if_version(txn, f.id, f.version, outcome.state.as_str(), outcome.version, at).await? {
        let now_version = rows::reload(txn, f.id).await?.map_or(f.version, |r| r.version);
        return Err(ApiError::new(ErrorCode::VersionConflict, "the finding changed while this request ran")
            .with_details(serde_json::json!({ "current_version": now_version })));
    }
    let rect = rows::rectification_of(txn, f.id).await?;
    let rect_id = || {
        rect.as_ref()
            .map(|r| r.id)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("finding {} has no rectification row", f.id)))
    };
    match &outcome.effect {
        Some(Effect::Assigned { assignee, deadline, plan }) => {
            let plan = plan.as_ref().map(|p| rows::Plan {
                responsibility: &p.responsibility,
                measures: &p.measures,
                funds_fen: p.funds_fen,
                deadline: p.deadline,
                contingency: &p.contingency,
            });
            // Assigned once before (a reopened-then-cancelled path cannot assign again,
            // but keep one row per finding whatever happens): the row is rewritten.
            rows::assign(txn, f, rect.as_ref().map(|r| r.id), *assignee, *deadline, plan, at).await?;
        }
        Some(Effect::RectificationSubmitted { rectifier, note, evidence_ids }) => {
            let id = rect_id()?;
            rows::add_update(txn, id, *rectifier, note, Some(100), evidence_ids, at).await?;
            let change = RectificationChange { status: Some("submitted"), ..Default::default() };
            rows::change_rectification(txn, id, change, at).await?;
        }
        Some(Effect::RectificationStatus { status, accepted_by, accepted_at }) => {
            let change = RectificationChange {
                status: Some(status.as_str()),
                accepted: Some((*accepted_by, accepted_at.map(|t| t.fixed_offset()))),
                ..Default::default()
            };
            rows::change_rectification(txn, rect_id()?, change, at).await?;
        }
        Some(Effect::ExtensionRequested { requested_by, deadline, reason }) => {
            rows::request_extension(txn, rect_id()?, *requested_by, *deadline, reason, at).await?;
        }
        Some(Effect::ExtensionDecided { approved, decided_by, decided_at, new_deadline }) => {
            let id = rect_id()?;
            let status = if *approved { "approved" } else { "refused" };
            rows::close_pending_extension(txn, id, status, *decided_by, decided_at.fixed_offset()).await?;
            if let Some(d) = new_deadline {
                let change = RectificationChange { deadline: Some(*d), ..Default::default() };
                rows::change_rectification(txn, id, change, at).await?;
            }
        }
        Some(Effect::Reopened { deadline }) => {
            let change =
                RectificationChange { status: Some("open"), deadline: Some(*deadline), accepted: Some((None, None)) };
            rows::change_rectification(txn, rect_id()?, change, at).await?;
        }
        None => {}
    }
    if outcome.withdraw_extension
        && let Some(r) = &rect
    {
        let by = outcome.history.actor_id.unwrap_or(r.assignee_id);
        rows::close_pending_extension(txn, r.id, "refused", by, at).await?;
    }
    let h = &outcome.history;
    let transition = NewTransition {
        from_state: h.from_state.map(|s| s.as_str()),
        to_state: h.to_state.as_str(),
        actor_id: h.actor_id,
        actor_role: h.actor_role.as_str(),
        note: h.note.as_deref(),
        action: h.action.as_str(),
    };
    rows::insert_transition(txn, f.id, &transition, at).await?;
    sync::record(txn, f.enterprise_id, sync::Kind::Finding, f.id).await?;
    progress::apply(txn, f.enterprise_id, &sums_change(f, rect.as_ref(), outcome), at).await?;
    rows::reload(txn, f.id).await?.ok_or_else(|| ApiError::not_found("finding"))
}

/// What the step changes in the enterprise's progress sums: the finding counted as it
/// was (its acceptance's close time from the rectification read before the step) and
/// as it is now (an acceptance's close time from the effect). A finding's grade never
/// changes; a reopening takes its acceptance out of its close-time bucket.
fn sums_change(f: &Row, rect: Option<&rows::Rectification>, outcome: &Outcome) -> FindingSums {
    let closed_in = |at: Option<DateTime<FixedOffset>>| at.map(|at| progress::close_bucket(f.created_at, at));
    let before = Counted {
        state: &f.state,
        grade: &f.grade,
        closed_in: closed_in(rect.and_then(|r| r.accepted_at).filter(|_| f.state == "accepted")),
    };
    let accepted_at = match &outcome.effect {
        Some(Effect::RectificationStatus { accepted_at, .. }) if outcome.state == State::Accepted => *accepted_at,
        _ => None,
    };
    let after = Counted {
        state: outcome.state.as_str(),
        grade: &f.grade,
        closed_in: closed_in(accepted_at.map(|t| t.fixed_offset())),
    };
    progress::change(Some(before), after)
}

/// A progress note from the assignee, with photos, while the rectification is owed.
pub async fn progress(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &ProgressRequest,
    origin: &Origin,
) -> Result<FindingDetail, ApiError> {
    let f = super::in_scope(&state.db, caller, None, id).await?;
    let current = load(&state.db, state, &f).await?;
    if !current.state.is_open_rectification() {
        return Err(ApiError::new(ErrorCode::InvalidState, format!("cannot report progress on a {} finding", f.state))
            .with_details(serde_json::json!({ "state": f.state })));
    }
    if current.assignee != Some(caller.user_id) {
        return Err(ApiError::new(ErrorCode::Forbidden, "only the assignee reports progress"));
    }
    let note = req.note.trim();
    if note.is_empty() || note.chars().count() > machine::TEXT_MAX_CHARS {
        return Err(ApiError::field(ErrorCode::InvalidField, "note", "1-2000 characters"));
    }
    if req.progress_pct.is_some_and(|p| !(0..=99).contains(&p)) {
        return Err(ApiError::field(ErrorCode::InvalidField, "progress_pct", "0-99"));
    }
    if req.evidence_ids.len() > machine::EVIDENCE_MAX {
        return Err(ApiError::field(ErrorCode::InvalidField, "evidence_ids", "at most 50 photos"));
    }
    check_photos(&state.db, &f, &req.evidence_ids, &["progress", "after"], "evidence_ids").await?;
    let rect = rows::rectification_of(&state.db, f.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("finding {} has no rectification", f.id)))?;
    let now = crate::domain::clock::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    rows::add_update(&txn, rect.id, caller.user_id, note, req.progress_pct, &req.evidence_ids, now).await?;
    sync::record(&txn, f.enterprise_id, sync::Kind::Finding, f.id).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "finding.progress", "finding").object(f.id).enterprise(f.enterprise_id),
    )
    .await?;
    txn.commit().await?;
    detail(&state.db, f).await
}
