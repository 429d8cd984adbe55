//! [`apply`]: one step of the state machine, checked in the order version → state →
//! role → identity → input, so a stale client learns that first and an illegal action
//! is reported with the state that made it illegal.

use chrono::{DateTime, NaiveDate, Utc};

use super::deadline::{deadline_passed, default_deadline, local_date};
use super::error::TransitionError;
use super::model::{
    Action, ActionBody, Actor, Effect, Finding, HistoryRow, Outcome, PendingExtension, Plan, RectificationStatus,
};
use super::state::{ActionKind, Role, State};
use super::table::lookup;
use crate::hazards::Grade;

/// Longest free text (note, reason, plan field) accepted, in characters.
pub const TEXT_MAX_CHARS: usize = 2000;
/// Most after-photos on one submission.
pub const EVIDENCE_MAX: usize = 50;

/// The history row for a finding just created in `state` (`draft`, or `submitted` when
/// the client reports it straight away).
pub fn created(actor: &Actor, state: State, now: DateTime<Utc>) -> Result<HistoryRow, TransitionError> {
    if !matches!(state, State::Draft | State::Submitted) {
        return Err(TransitionError::invalid(
            "state",
            format!("a finding is created as draft or submitted, not {state}"),
        ));
    }
    if !matches!(actor.role, Role::EnterpriseOfficer | Role::Expert) || actor.user_id.is_none() {
        return Err(TransitionError::Forbidden {
            action: ActionKind::Submit,
            role: actor.role,
            reason: "only an officer or an expert reports findings",
        });
    }
    Ok(HistoryRow {
        actor_id: actor.user_id,
        actor_role: actor.role,
        action: ActionKind::Submit,
        from_state: None,
        to_state: state,
        at: now,
        note: None,
    })
}

/// Check `action` by `actor` against `current` at `now` and return what to write.
pub fn apply(
    current: &Finding,
    action: &Action,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Outcome, TransitionError> {
    if action.version != current.version {
        return Err(TransitionError::StaleVersion { current: current.version, expected: action.version });
    }
    let kind = action.body.kind();
    let Some(transition) = lookup(current.state, kind) else {
        return Err(TransitionError::IllegalState { state: current.state, action: kind });
    };
    let forbidden = |reason| TransitionError::Forbidden { action: kind, role: actor.role, reason };
    if !transition.roles.contains(&actor.role) {
        return Err(forbidden("the role may not take this action"));
    }
    // Every human action is attributable; only the system acts without a user.
    let user = match (actor.role, actor.user_id) {
        (Role::System, _) => None,
        (_, Some(id)) => Some(id),
        (_, None) => return Err(forbidden("no user behind the request")),
    };
    let Step { effect, note } = step(current, &action.body, user, now).map_err(|e| match e {
        Refusal::Forbidden(reason) => forbidden(reason),
        Refusal::Error(e) => e,
    })?;
    Ok(Outcome {
        state: transition.to,
        version: current.version.saturating_add(1),
        effect,
        withdraw_extension: current.pending_extension.is_some() && !transition.to.is_open_rectification(),
        history: HistoryRow {
            actor_id: user,
            actor_role: actor.role,
            action: kind,
            from_state: Some(current.state),
            to_state: transition.to,
            at: now,
            note,
        },
    })
}

struct Step {
    effect: Option<Effect>,
    note: Option<String>,
}

enum Refusal {
    Forbidden(&'static str),
    Error(TransitionError),
}

impl From<TransitionError> for Refusal {
    fn from(e: TransitionError) -> Self {
        Self::Error(e)
    }
}

/// The per-action rules; state and role are already checked.
fn step(f: &Finding, body: &ActionBody, user: Option<i64>, now: DateTime<Utc>) -> Result<Step, Refusal> {
    let today = local_date(now);
    let user_id = user.unwrap_or_default();
    let just = |effect| Ok(Step { effect, note: None });
    match body {
        ActionBody::Submit => just(None),
        ActionBody::Assign { assignee, deadline, plan } => {
            if *assignee <= 0 {
                return Err(TransitionError::invalid("assignee", "not a user id").into());
            }
            let deadline = resolve_deadline(f, *deadline, now)?;
            match plan {
                Some(p) => check_plan(p, deadline, today)?,
                None if f.plan_required() => {
                    let why = if f.grade == Grade::Major { "a major hazard" } else { "this library item" };
                    return Err(
                        TransitionError::invalid("plan", format!("the 五落实 plan is required for {why}")).into()
                    );
                }
                None => {}
            }
            Ok(Step {
                effect: Some(Effect::Assigned { assignee: *assignee, deadline, plan: plan.clone() }),
                note: Some(format!("assigned to user {assignee}, deadline {deadline}")),
            })
        }
        ActionBody::MarkOverdue => match f.deadline {
            Some(d) if deadline_passed(d, now) => Ok(Step { effect: None, note: Some(format!("deadline {d} passed")) }),
            Some(d) => Err(TransitionError::invalid("deadline", format!("{d} has not passed")).into()),
            None => Err(TransitionError::invalid("deadline", "the finding has no deadline").into()),
        },
        ActionBody::SubmitRectification { note, evidence_ids } => {
            assignee_only(f, user)?;
            let note = text("note", note)?;
            if evidence_ids.is_empty() {
                return Err(TransitionError::invalid("evidence_ids", "at least one after-photo is required").into());
            }
            if evidence_ids.len() > EVIDENCE_MAX {
                return Err(TransitionError::invalid("evidence_ids", format!("at most {EVIDENCE_MAX} photos")).into());
            }
            let mut seen = evidence_ids.clone();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() != evidence_ids.len() || seen.first().is_some_and(|&id| id <= 0) {
                return Err(TransitionError::invalid("evidence_ids", "ids must be distinct evidence ids").into());
            }
            Ok(Step {
                effect: Some(Effect::RectificationSubmitted {
                    rectifier: user_id,
                    note: note.clone(),
                    evidence_ids: evidence_ids.clone(),
                }),
                note: Some(note),
            })
        }
        ActionBody::Accept { note } => {
            not_rectifier(f, user)?;
            if f.grade == Grade::Major && !f.plan_present {
                return Err(TransitionError::invalid("plan", "a major hazard closes only with its 五落实 plan").into());
            }
            let note = note.as_deref().map(|n| text("note", n)).transpose()?;
            Ok(Step {
                effect: Some(Effect::RectificationStatus {
                    status: RectificationStatus::Accepted,
                    accepted_by: user,
                    accepted_at: Some(now),
                }),
                note,
            })
        }
        ActionBody::Reject { reason } => {
            not_rectifier(f, user)?;
            Ok(Step {
                effect: Some(Effect::RectificationStatus {
                    status: RectificationStatus::Rejected,
                    accepted_by: None,
                    accepted_at: None,
                }),
                note: Some(text("reason", reason)?),
            })
        }
        ActionBody::RequestExtension { deadline, reason } => {
            assignee_only(f, user)?;
            if f.pending_extension.is_some() {
                return Err(TransitionError::invalid("deadline", "an extension request is already pending").into());
            }
            if f.deadline.is_some_and(|d| *deadline <= d) {
                return Err(TransitionError::invalid("deadline", "must be later than the current deadline").into());
            }
            if *deadline < today {
                return Err(TransitionError::invalid("deadline", "is in the past").into());
            }
            let reason = text("reason", reason)?;
            Ok(Step {
                effect: Some(Effect::ExtensionRequested {
                    requested_by: user_id,
                    deadline: *deadline,
                    reason: reason.clone(),
                }),
                note: Some(format!("extension to {deadline} requested: {reason}")),
            })
        }
        ActionBody::ApproveExtension { note } => {
            let pending = pending_by_other(f, user)?;
            let note = note.as_deref().map(|n| text("note", n)).transpose()?;
            let head = format!("extension to {} approved", pending.deadline);
            Ok(Step {
                effect: Some(Effect::ExtensionDecided {
                    approved: true,
                    decided_by: user_id,
                    decided_at: now,
                    new_deadline: Some(pending.deadline),
                }),
                note: Some(note.map_or(head.clone(), |n| format!("{head}: {n}"))),
            })
        }
        ActionBody::RefuseExtension { reason } => {
            let pending = pending_by_other(f, user)?;
            let reason = text("reason", reason)?;
            Ok(Step {
                effect: Some(Effect::ExtensionDecided {
                    approved: false,
                    decided_by: user_id,
                    decided_at: now,
                    new_deadline: None,
                }),
                note: Some(format!("extension to {} refused: {reason}", pending.deadline)),
            })
        }
        ActionBody::Cancel { reason } => Ok(Step { effect: None, note: Some(text("reason", reason)?) }),
        ActionBody::Reopen { reason, deadline } => {
            let reason = text("reason", reason)?;
            if f.assignee.is_none() {
                return Err(TransitionError::invalid("assignee", "the finding was never assigned").into());
            }
            let deadline = resolve_deadline(f, *deadline, now)?;
            Ok(Step {
                effect: Some(Effect::Reopened { deadline }),
                note: Some(format!("reopened, deadline {deadline}: {reason}")),
            })
        }
    }
}

/// The requested deadline, or today + the library item's `deadline_days`; never past.
fn resolve_deadline(f: &Finding, given: Option<NaiveDate>, now: DateTime<Utc>) -> Result<NaiveDate, TransitionError> {
    let deadline = match (given, f.item) {
        (Some(d), _) => d,
        (None, Some(item)) => default_deadline(item.deadline_days, now),
        (None, None) => {
            return Err(TransitionError::invalid(
                "deadline",
                "required: the finding has no library item to default it",
            ));
        }
    };
    if deadline < local_date(now) {
        return Err(TransitionError::invalid("deadline", format!("{deadline} is in the past")));
    }
    Ok(deadline)
}

fn check_plan(p: &Plan, deadline: NaiveDate, today: NaiveDate) -> Result<(), TransitionError> {
    text("plan.responsibility", &p.responsibility)?;
    text("plan.measures", &p.measures)?;
    text("plan.contingency", &p.contingency)?;
    if p.funds_fen < 0 {
        return Err(TransitionError::invalid("plan.funds_fen", "cannot be negative"));
    }
    if p.deadline < today || p.deadline > deadline {
        return Err(TransitionError::invalid(
            "plan.deadline",
            format!("{} is outside today ({today}) .. the rectification deadline ({deadline})", p.deadline),
        ));
    }
    Ok(())
}

/// Non-blank, trimmed, at most [`TEXT_MAX_CHARS`].
fn text(field: &'static str, s: &str) -> Result<String, TransitionError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TransitionError::invalid(field, "is required"));
    }
    if t.chars().count() > TEXT_MAX_CHARS {
        return Err(TransitionError::invalid(field, format!("longer than {TEXT_MAX_CHARS} characters")));
    }
    Ok(t.to_string())
}

fn assignee_only(f: &Finding, user: Option<i64>) -> Result<(), Refusal> {
    if f.assignee.is_some() && f.assignee == user { Ok(()) } else { Err(Refusal::Forbidden("only the assignee")) }
}

fn not_rectifier(f: &Finding, user: Option<i64>) -> Result<(), Refusal> {
    if f.rectifier.is_some() && f.rectifier == user {
        Err(Refusal::Forbidden("acceptance must come from someone other than the rectifier"))
    } else {
        Ok(())
    }
}

fn pending_by_other(f: &Finding, user: Option<i64>) -> Result<PendingExtension, Refusal> {
    let Some(p) = f.pending_extension else {
        return Err(TransitionError::invalid("extension", "no extension request is pending").into());
    };
    if Some(p.requested_by) == user {
        return Err(Refusal::Forbidden("an extension is decided by someone other than its requester"));
    }
    Ok(p)
}
