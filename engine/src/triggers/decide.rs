//! `evaluate`: one enterprise's state and the rules in, decisions out. Pure and
//! deterministic (rules in file order, subjects in id order), so a run can be replayed
//! from a stored state.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use super::decision::{Closing, Decision, Further, Opening};
use super::eval::{Scope, eval};
use super::index::ById;
use super::model::{CauseKind, Rule, TriggerRules};
use super::state::{EnterpriseState, EscalationRecord, EscalationStatus, TaskRecord};
use super::subject::{Subject, cause_key, escalated_key, generation_prefix, subject_of};
use crate::findings::{deadline_passed, local_date, overdue_at};

/// Decisions for one enterprise at `now`: new causes to open, open escalations whose
/// tasks are late to escalate, resolved ones to close. A cause already recorded (in any
/// state) is never opened again.
pub fn evaluate(state: &EnterpriseState, rules: &TriggerRules, now: DateTime<Utc>) -> Vec<Decision> {
    let today = local_date(now);
    let known: HashMap<&str, &EscalationRecord> = state.escalations.iter().map(|e| (e.cause_key.as_str(), e)).collect();
    let by_id = ById::new(state);
    let mut out = Vec::new();
    for rule in &rules.rules {
        for subject in candidates(rule, state, now, today) {
            let key = cause_key(&rule.id, &subject);
            if known.contains_key(key.as_str()) {
                continue;
            }
            let scope = scope_for(rule, &subject, state, &by_id, now, today, Vec::new());
            let o = eval(&rule.when, &scope);
            if !o.holds {
                continue;
            }
            let finding_id = match subject {
                Subject::Finding { id } => Some(id),
                _ => None,
            };
            out.push(Decision::Open(Opening {
                rule_id: rule.id.clone(),
                rule_version: rule.version,
                level: rule.level,
                cause_key: key,
                subject,
                inputs: o.observed,
                task: rule.task,
                due: due(today, rule.due_days),
                checklist: rules.level(rule.level).map(|l| l.checklist.clone()).unwrap_or_default(),
                accident_ids: o.accidents,
                finding_id,
            }));
        }
    }
    follow_up(state, rules, &by_id, now, today, &known, &mut out);
    out
}

/// Closes resolved chains and escalates open escalations with late tasks.
fn follow_up(
    state: &EnterpriseState,
    rules: &TriggerRules,
    by_id: &ById<'_>,
    now: DateTime<Utc>,
    today: NaiveDate,
    known: &HashMap<&str, &EscalationRecord>,
    out: &mut Vec<Decision>,
) {
    let mut children: HashMap<&str, Vec<&EscalationRecord>> = HashMap::new();
    for e in &state.escalations {
        if let Some(p) = &e.parent {
            children.entry(p.as_str()).or_default().push(e);
        }
    }
    let mut roots: Vec<&EscalationRecord> = state
        .escalations
        .iter()
        .filter(|e| e.parent.is_none() && e.status != EscalationStatus::Closed && e.rule_id.is_some())
        .collect();
    roots.sort_by(|a, b| a.cause_key.cmp(&b.cause_key));
    for root in roots {
        // Manual escalations and those of rules no longer in force are left to people.
        let Some(rule) = root.rule_id.as_deref().and_then(|id| rules.rule(id)) else { continue };
        let Some(subject) = subject_of(&rule.id, &root.cause_key) else { continue };
        let chain = descendants(root, &children);
        let tasks: Vec<&TaskRecord> = chain.iter().flat_map(|e| e.tasks.iter()).collect();
        let scope = scope_for(rule, &subject, state, by_id, now, today, tasks);
        let o = eval(&rule.resolved_when, &scope);
        if o.holds {
            let met: Vec<String> = o.observed.iter().filter(|x| x.holds).map(|x| x.condition.clone()).collect();
            let reason = format!("resolved: {}", met.join("; "));
            for e in chain.iter().filter(|e| e.status != EscalationStatus::Closed) {
                let is_root = e.cause_key == root.cause_key;
                out.push(Decision::Close(Closing {
                    cause_key: e.cause_key.clone(),
                    reason: if is_root { reason.clone() } else { format!("{reason} (cause {})", root.cause_key) },
                    inputs: if is_root { o.observed.clone() } else { Vec::new() },
                }));
            }
            continue;
        }
        for e in chain.iter().filter(|e| e.status == EscalationStatus::Open) {
            let late: Vec<&TaskRecord> =
                e.tasks.iter().filter(|t| t.status.is_pending() && t.due.is_some_and(|d| now >= d)).collect();
            if late.is_empty() {
                continue;
            }
            let target =
                if e.parent.is_none() { rule.escalate_to } else { rules.level(e.level).and_then(|l| l.escalate_to) };
            let Some(level) = target.and_then(|t| rules.level(t)).filter(|l| l.level > e.level) else { continue };
            let key = escalated_key(&e.cause_key, level.level);
            if known.contains_key(key.as_str()) {
                continue;
            }
            let kinds: Vec<&str> = late.iter().map(|t| t.kind.as_str()).collect();
            out.push(Decision::EscalateFurther(Further {
                from: e.cause_key.clone(),
                cause_key: key,
                rule_id: rule.id.clone(),
                level: level.level,
                task: level.task,
                due: due(today, level.due_days),
                checklist: level.checklist.clone(),
                reason: format!("{} task(s) past due at level {}: {}", late.len(), e.level, kinds.join(", ")),
            }));
        }
    }
}

/// `root` and everything escalated from it, root first.
fn descendants<'a>(
    root: &'a EscalationRecord,
    children: &HashMap<&str, Vec<&'a EscalationRecord>>,
) -> Vec<&'a EscalationRecord> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(cs) = children.get(out[i].cause_key.as_str()) {
            for c in cs {
                // A malformed history with a loop must not hang the evaluation.
                if !out.iter().any(|o| o.cause_key == c.cause_key) {
                    out.push(c);
                }
            }
        }
        i += 1;
    }
    out
}

/// The end of the day `days` after today, China time.
fn due(today: NaiveDate, days: u32) -> DateTime<Utc> {
    overdue_at(today.checked_add_days(Days::new(u64::from(days))).unwrap_or(today))
}

/// The subjects a rule could open a cause for now.
fn candidates(rule: &Rule, state: &EnterpriseState, now: DateTime<Utc>, today: NaiveDate) -> Vec<Subject> {
    let ids = |list: Vec<i64>| {
        let mut list = list;
        list.sort_unstable();
        list.dedup();
        list
    };
    match rule.cause {
        CauseKind::Accident => {
            ids(state.accidents.iter().map(|a| a.id).collect()).into_iter().map(|id| Subject::Accident { id }).collect()
        }
        CauseKind::Finding => {
            ids(state.findings.iter().map(|f| f.id).collect()).into_iter().map(|id| Subject::Finding { id }).collect()
        }
        CauseKind::ExpertVisit => ids(state.expert_visits.iter().map(|v| v.id).collect())
            .into_iter()
            .map(|id| Subject::ExpertVisit { id })
            .collect(),
        CauseKind::AccidentType | CauseKind::BodyPart => {
            let by_type = rule.cause == CauseKind::AccidentType;
            let codes: BTreeSet<&str> = state
                .accidents
                .iter()
                .filter_map(|a| if by_type { a.accident_type.as_deref() } else { a.body_part.as_deref() })
                .collect();
            codes
                .into_iter()
                .filter_map(|code| {
                    let kind = if by_type { "type" } else { "body_part" };
                    let prefix = generation_prefix(&rule.id, kind, code);
                    let earlier: Vec<&EscalationRecord> =
                        state.escalations.iter().filter(|e| e.cause_key.starts_with(&prefix)).collect();
                    // One open cluster per code at a time; the next starts after it closes.
                    if earlier.iter().any(|e| e.status != EscalationStatus::Closed) {
                        return None;
                    }
                    let generation = u32::try_from(earlier.len()).ok()?.checked_add(1)?;
                    let code = code.to_string();
                    Some(if by_type {
                        Subject::AccidentType { code, generation }
                    } else {
                        Subject::BodyPart { code, generation }
                    })
                })
                .collect()
        }
        CauseKind::Report => {
            let periods: BTreeSet<&str> = state.reports.iter().map(|r| r.period.as_str()).collect();
            periods.into_iter().map(|p| Subject::Report { period: p.to_string() }).collect()
        }
        CauseKind::Checkpoint => state
            .checkpoints
            .iter()
            .filter(|c| deadline_passed(c.date, now))
            .max_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)))
            .map(|c| Subject::Checkpoint { id: c.id.clone() })
            .into_iter()
            .collect(),
        CauseKind::Year => vec![Subject::Period { label: format!("{}", today.year()) }],
        CauseKind::Quarter => vec![Subject::Period { label: format!("{}Q{}", today.year(), today.month0() / 3 + 1) }],
        CauseKind::Month => vec![Subject::Period { label: format!("{}-{:02}", today.year(), today.month()) }],
    }
}

/// The state as the rule sees it for `subject`. A subject that is one accident, finding
/// or visit gets its record from `by_id`: gathering the whole list to filter it was
/// O(n) per subject, O(n²) per evaluation.
fn scope_for<'a>(
    rule: &Rule,
    subject: &Subject,
    state: &'a EnterpriseState,
    by_id: &ById<'a>,
    now: DateTime<Utc>,
    today: NaiveDate,
    tasks: Vec<&'a TaskRecord>,
) -> Scope<'a> {
    let mut s = Scope {
        state,
        now,
        today,
        accidents: match subject {
            Subject::Accident { id } => by_id.accident(*id),
            _ => state.accidents.iter().collect(),
        },
        findings: match subject {
            Subject::Finding { id } => by_id.finding(*id),
            _ => state.findings.iter().collect(),
        },
        visits: match subject {
            Subject::ExpertVisit { id } => by_id.visit(*id),
            _ => state.expert_visits.iter().collect(),
        },
        reports: state.reports.iter().collect(),
        tasks,
    };
    #[cfg(test)]
    gathered::add(s.accidents.len() + s.findings.len() + s.visits.len() + s.reports.len());
    match subject {
        Subject::Accident { .. } | Subject::Finding { .. } | Subject::ExpertVisit { .. } => {}
        Subject::AccidentType { code, .. } | Subject::BodyPart { code, .. } => {
            let by_type = matches!(subject, Subject::AccidentType { .. });
            let kind = if by_type { "type" } else { "body_part" };
            // Accidents up to the day the previous cluster's escalation closed were dealt with there.
            let prefix = generation_prefix(&rule.id, kind, code);
            let cutoff = state
                .escalations
                .iter()
                .filter(|e| e.cause_key.starts_with(&prefix) && e.status == EscalationStatus::Closed)
                .filter_map(|e| e.closed_on)
                .max();
            s.accidents.retain(|a| {
                let own = if by_type { a.accident_type.as_deref() } else { a.body_part.as_deref() };
                own == Some(code.as_str()) && cutoff.is_none_or(|c| a.date > c)
            });
        }
        Subject::Report { period } => s.reports.retain(|r| r.period == *period),
        Subject::Checkpoint { .. } | Subject::Period { .. } => {}
    }
    s
}

/// One subject of a rule as an evaluation sees it, for `zhicha engine explain`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SubjectExplained {
    pub cause_key: String,
    /// The condition holds and the cause is not yet recorded: an evaluation opens it.
    pub fires: bool,
    /// The state of the escalation already recorded for this cause.
    pub recorded: Option<super::state::EscalationStatus>,
    /// Every comparison of the rule's `when`, with the value read and the threshold.
    pub observed: Vec<super::eval::Observed>,
}

/// `rule` evaluated for each subject it could open a cause for now, those that fire
/// first. Reads only; [`evaluate`] makes the same judgement.
pub fn explain(state: &EnterpriseState, rule: &Rule, now: DateTime<Utc>) -> Vec<SubjectExplained> {
    let today = local_date(now);
    let by_id = ById::new(state);
    // The first record of a key, as a scan of the list would find it.
    let mut recorded_as: HashMap<&str, EscalationStatus> = HashMap::new();
    for e in &state.escalations {
        recorded_as.entry(e.cause_key.as_str()).or_insert(e.status);
    }
    let mut out: Vec<SubjectExplained> = candidates(rule, state, now, today)
        .into_iter()
        .map(|subject| {
            let cause_key = cause_key(&rule.id, &subject);
            let recorded = recorded_as.get(cause_key.as_str()).copied();
            let o = eval(&rule.when, &scope_for(rule, &subject, state, &by_id, now, today, Vec::new()));
            SubjectExplained { fires: o.holds && recorded.is_none(), recorded, observed: o.observed, cause_key }
        })
        .collect();
    out.sort_by_key(|s| !s.fires);
    out
}

/// Records gathered into scopes on this thread (tests only): evaluating n findings must
/// gather O(n) of them, not n per finding.
#[cfg(test)]
pub(super) mod gathered {
    use std::cell::Cell;

    thread_local! {
        static COUNT: Cell<usize> = const { Cell::new(0) };
    }

    pub fn add(n: usize) {
        COUNT.with(|c| c.set(c.get() + n));
    }

    /// The count since the last call.
    pub fn take() -> usize {
        COUNT.with(|c| c.replace(0))
    }
}
