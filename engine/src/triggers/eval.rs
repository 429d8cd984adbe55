//! A condition evaluated over a scope of the state: the value of every comparison is
//! kept, so an escalation records what fired it and a closure what resolved it.

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::Serialize;

use super::metric::{Metric, Op, Params, PercentileScope, Window};
use super::model::{Comparison, Condition};
use super::state::{AccidentFact, EnterpriseState, ExpertVisit, FindingFact, ReportDue, TaskRecord};
use crate::findings::deadline_passed;
use crate::hazards::Grade;

/// The part of the state a rule sees for one subject: the subject's own accidents,
/// finding, visit or report in place of all of them; everything else whole.
pub(super) struct Scope<'a> {
    pub state: &'a EnterpriseState,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub accidents: Vec<&'a AccidentFact>,
    pub findings: Vec<&'a FindingFact>,
    pub visits: Vec<&'a ExpertVisit>,
    pub reports: Vec<&'a ReportDue>,
    /// The escalation's tasks (with those it escalated to), when resolving.
    pub tasks: Vec<&'a TaskRecord>,
}

/// One comparison as evaluated: what was read and what it was held against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    /// `accidents[window=30d severity=serious] >= 1`
    pub condition: String,
    pub metric: Metric,
    /// `None` when the state has no value (no risk score yet, nothing found yet).
    pub value: Option<f64>,
    pub op: Op,
    pub threshold: f64,
    pub holds: bool,
}

pub(super) struct Outcome {
    pub holds: bool,
    /// Every comparison, in the order written.
    pub observed: Vec<Observed>,
    /// Accidents counted by comparisons that held.
    pub accidents: Vec<i64>,
}

pub(super) fn eval(cond: &Condition, scope: &Scope<'_>) -> Outcome {
    match cond {
        Condition::Compare(c) => {
            let (value, ids) = measure(c, scope);
            let holds = value.is_some_and(|v| c.op.holds(v, c.value));
            let observed =
                Observed { condition: c.label(), metric: c.metric, value, op: c.op, threshold: c.value, holds };
            Outcome { holds, observed: vec![observed], accidents: if holds { ids } else { Vec::new() } }
        }
        Condition::All(parts) | Condition::Any(parts) => {
            // Every part is evaluated (no short cut) so the record shows all inputs.
            let outs: Vec<Outcome> = parts.iter().map(|p| eval(p, scope)).collect();
            let holds = if matches!(cond, Condition::All(_)) {
                outs.iter().all(|o| o.holds)
            } else {
                outs.iter().any(|o| o.holds)
            };
            let mut accidents: Vec<i64> = outs.iter().filter(|o| o.holds).flat_map(|o| o.accidents.clone()).collect();
            accidents.sort_unstable();
            accidents.dedup();
            let observed = outs.into_iter().flat_map(|o| o.observed).collect();
            Outcome { holds, observed, accidents }
        }
    }
}

/// The metric's value, and the accidents it counted.
fn measure(c: &Comparison, s: &Scope<'_>) -> (Option<f64>, Vec<i64>) {
    let p = &c.params;
    let count = |n: usize| (Some(n as f64), Vec::new());
    let risk = s.state.risk.as_ref();
    match c.metric {
        Metric::RiskPercentile => (
            risk.and_then(|r| match p.scope {
                PercentileScope::Industry => r.industry_percentile,
                PercentileScope::Region => r.region_percentile,
            }),
            Vec::new(),
        ),
        Metric::ExpectedAccidents => (risk.map(|r| r.expected_accidents), Vec::new()),
        Metric::PSerious => (risk.map(|r| r.p_serious), Vec::new()),
        Metric::Accidents => {
            let ids: Vec<i64> = s
                .accidents
                .iter()
                .filter(|a| a.date <= s.today && in_window(a.date, s.today, p.window) && passes(a, p))
                .map(|a| a.id)
                .collect();
            (Some(ids.len() as f64), ids)
        }
        Metric::AccidentsAfterVisit => {
            let mut ids: Vec<i64> = s
                .accidents
                .iter()
                .filter(|a| a.date <= s.today && passes(a, p))
                .filter(|a| s.visits.iter().any(|v| a.date > v.date && in_window(v.date, a.date, p.window)))
                .map(|a| a.id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            (Some(ids.len() as f64), ids)
        }
        Metric::FailedFollowUps => count(s.visits.iter().filter(|v| v.follow_up_failed).count()),
        Metric::OpenHazards => count(s.findings.iter().filter(|f| f.open && finding_passes(f, p)).count()),
        Metric::OverdueHazards => count(
            s.findings
                .iter()
                .filter(|f| f.open && finding_passes(f, p))
                .filter(|f| {
                    f.deadline.is_some_and(|d| {
                        deadline_passed(d, s.now) && (s.today - d).num_days() >= i64::from(p.min_age_days.unwrap_or(0))
                    })
                })
                .count(),
        ),
        Metric::FailedAcceptances => (
            Some(
                s.findings
                    .iter()
                    .filter(|f| f.open && finding_passes(f, p))
                    .map(|f| f64::from(f.failed_acceptances))
                    .sum(),
            ),
            Vec::new(),
        ),
        Metric::RectificationRate => {
            let g = s.state.progress;
            ((g.found > 0).then(|| g.rectified as f64 / g.found as f64), Vec::new())
        }
        Metric::Recommended => (Some(s.state.progress.recommended as f64), Vec::new()),
        Metric::Found => (Some(s.state.progress.found as f64), Vec::new()),
        Metric::ReportsLate => {
            let min = i64::from(p.min_days_late.unwrap_or(1));
            count(
                s.reports
                    .iter()
                    .filter(|r| r.submitted_on.is_none() && deadline_passed(r.due, s.now))
                    .filter(|r| (s.today - r.due).num_days() >= min)
                    .count(),
            )
        }
        Metric::OpenTasks => count(s.tasks.iter().filter(|t| t.status.is_pending()).count()),
        Metric::DoneTasks => count(s.tasks.iter().filter(|t| t.status == super::state::TaskStatus::Done).count()),
    }
}

/// `date` lies within the window ending at `end` (both ends included); no window is all time.
fn in_window(date: NaiveDate, end: NaiveDate, window: Option<Window>) -> bool {
    let start = match window {
        None => return date <= end,
        Some(Window::Days(d)) => end.checked_sub_days(Days::new(u64::from(d))),
        Some(Window::Months(m)) => end.checked_sub_months(Months::new(m)),
    };
    start.is_none_or(|s| date >= s) && date <= end
}

fn passes(a: &AccidentFact, p: &Params) -> bool {
    (p.severity.is_empty() || p.severity.contains(&a.severity))
        && (p.accident_types.is_empty() || a.accident_type.as_ref().is_some_and(|t| p.accident_types.contains(t)))
        && (p.body_parts.is_empty() || a.body_part.as_ref().is_some_and(|b| p.body_parts.contains(b)))
        && p.max_disability_grade.is_none_or(|g| a.disability_grade.is_some_and(|d| d <= g))
}

fn finding_passes(f: &FindingFact, p: &Params) -> bool {
    p.grade.is_none_or(|g| (g == Grade::Major) == f.major) && p.self_reported.is_none_or(|s| s == f.self_reported)
}
