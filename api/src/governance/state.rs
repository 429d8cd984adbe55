//! One enterprise's [`EnterpriseState`] gathered from the database: what the trigger
//! rules read.
//!
//! Two programme facts have no table of their own and are derived here:
//! - **Checkpoints** are the half-year ends, 30 June and 31 December (China dates),
//!   from the enterprise's joining the programme (its row's creation) on: a checkpoint
//!   before it joined would judge it on targets it never had the time to meet.
//! - **Reports due**: one self-inspection report per half-year that ended after the
//!   enterprise joined, due one month after the half-year ends (31 July, 31 January);
//!   it counts as submitted on the first `submitted_at` of a report whose period ends
//!   within that half-year. The period is `2026-H1`.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use zhicha_engine::findings::local_date;
use zhicha_engine::severity::Severity;
use zhicha_engine::triggers::{
    AccidentFact, Checkpoint, EnterpriseState, EscalationRecord, EscalationStatus, ExpertVisit, FindingFact, Progress,
    ReportDue, RiskSnapshot, TaskKind, TaskRecord, TaskStatus,
};

use crate::error::ApiError;
use crate::store::{accidents, escalations, findings, reports, tasks};

/// Findings whose rectification is still owed (neither accepted nor cancelled, past draft).
pub const OPEN_FINDING_STATES: [&str; 4] = ["submitted", "to_rectify", "overdue", "rectification_submitted"];

/// The state of `enterprise_id` at `now`; `joined` is the day it joined the programme.
pub async fn gather(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    joined: NaiveDate,
    now: DateTime<Utc>,
) -> Result<EnterpriseState, ApiError> {
    let targets = crate::selfcheck::targets::of_in(db, enterprise_id).await?;
    Ok(EnterpriseState {
        risk: risk(db, enterprise_id).await?,
        accidents: accident_facts(db, enterprise_id).await?,
        findings: finding_facts(db, enterprise_id).await?,
        progress: Progress { recommended: targets.recommended, found: targets.found, rectified: targets.rectified },
        checkpoints: checkpoints(joined, local_date(now)),
        expert_visits: expert_visits(db, enterprise_id).await?,
        reports: reports_due(db, enterprise_id, joined, local_date(now)).await?,
        escalations: escalation_records(db, enterprise_id).await?,
    })
}

async fn risk(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Option<RiskSnapshot>, ApiError> {
    Ok(crate::reference::scoring::current(db, enterprise_id).await?.map(|r| RiskSnapshot {
        industry_percentile: r.industry_percentile,
        region_percentile: r.region_percentile,
        expected_accidents: r.expected_accidents,
        p_serious: r.p_serious,
    }))
}

type AccidentRow = accidents::FactRow;

async fn accident_facts(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<AccidentFact>, ApiError> {
    let rows = accidents::facts_of(db, enterprise_id).await?;
    Ok(rows.into_iter().filter_map(accident_fact).collect())
}

/// A stored accident as the rules see it; one with a severity the engine does not know
/// (none should exist: the column is checked) is left out.
pub fn accident_fact((id, date, kind, part, severity, grade): AccidentRow) -> Option<AccidentFact> {
    Some(AccidentFact {
        id,
        date,
        accident_type: kind,
        body_part: part,
        severity: Severity::parse(&severity)?,
        disability_grade: grade.and_then(|g| u8::try_from(g).ok()),
    })
}

async fn finding_facts(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<FindingFact>, ApiError> {
    let rows = findings::facts_of(db, enterprise_id).await?;
    let deadlines: HashMap<i64, NaiveDate> = findings::deadlines_of(db, enterprise_id).await?.into_iter().collect();
    let rejects = findings::rejections_of(db, enterprise_id).await?;
    let mut failed: HashMap<i64, u32> = HashMap::new();
    for id in rejects {
        *failed.entry(id).or_default() += 1;
    }
    Ok(rows
        .into_iter()
        .map(|(id, grade, state, origin)| FindingFact {
            id,
            major: grade == "major",
            self_reported: origin == "self",
            open: OPEN_FINDING_STATES.contains(&state.as_str()),
            deadline: deadlines.get(&id).copied(),
            failed_acceptances: failed.get(&id).copied().unwrap_or(0),
        })
        .collect())
}

/// Half-year ends (30 June, 31 December) after `joined`, up to the end of this year.
pub fn checkpoints(joined: NaiveDate, today: NaiveDate) -> Vec<Checkpoint> {
    half_years(joined, today).into_iter().map(|(label, _, end)| Checkpoint { id: label, date: end }).collect()
}

/// (label, first day, last day) of every half-year ending after `joined`, up to the one
/// holding `today`.
fn half_years(joined: NaiveDate, today: NaiveDate) -> Vec<(String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    for year in joined.year()..=today.year() {
        for half in [1u32, 2] {
            let (start, end) = if half == 1 {
                (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 6, 30))
            } else {
                (NaiveDate::from_ymd_opt(year, 7, 1), NaiveDate::from_ymd_opt(year, 12, 31))
            };
            let (Some(start), Some(end)) = (start, end) else { continue };
            if end > joined && start <= today {
                out.push((format!("{year}-H{half}"), start, end));
            }
        }
    }
    out
}

/// Reports owed for each half-year that has ended (see the module notes).
async fn reports_due(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    joined: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<ReportDue>, ApiError> {
    let closed: Vec<(String, NaiveDate, NaiveDate)> =
        half_years(joined, today).into_iter().filter(|(_, _, end)| *end < today).collect();
    if closed.is_empty() {
        return Ok(Vec::new());
    }
    let submitted = reports::submitted_of(db, enterprise_id).await?;
    Ok(closed
        .into_iter()
        .map(|(period, start, end)| ReportDue {
            submitted_on: submitted
                .iter()
                .filter(|(e, _)| *e >= start && *e <= end)
                .filter_map(|(_, at)| at.map(|t| local_date(t.with_timezone(&Utc))))
                .min(),
            due: end.checked_add_months(Months::new(1)).unwrap_or(end),
            period,
        })
        .collect())
}

async fn expert_visits(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<ExpertVisit>, ApiError> {
    let rows = tasks::done_of_kind(db, enterprise_id, TaskKind::ExpertVisit.as_str()).await?;
    // A done follow-up names its visit and its verdict in `result` (see crate::governance::experts).
    let follow_ups = tasks::done_results_of_kind(db, enterprise_id, TaskKind::FollowUp.as_str()).await?;
    let failed: std::collections::HashSet<i64> = follow_ups
        .iter()
        .flatten()
        .filter(|r| r["verdict"] == "failed")
        .filter_map(|r| r["visit_task_id"].as_i64())
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| {
            Some(ExpertVisit { id, date: local_date(at?.with_timezone(&Utc)), follow_up_failed: failed.contains(&id) })
        })
        .collect())
}

/// Every escalation of the enterprise, closed ones included, with its tasks.
pub async fn escalation_records(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
) -> Result<Vec<EscalationRecord>, ApiError> {
    let rows = escalations::of_enterprise(db, enterprise_id).await?;
    let all_tasks = tasks::of_escalations_of(db, enterprise_id).await?;
    let key_of: HashMap<i64, &str> = rows.iter().map(|e| (e.id, e.cause_key.as_str())).collect();
    let mut tasks_of: HashMap<i64, Vec<TaskRecord>> = HashMap::new();
    for t in &all_tasks {
        let (Some(e), Some(kind), Some(status)) = (t.escalation_id, TaskKind::parse(&t.kind), task_status(&t.status))
        else {
            continue;
        };
        tasks_of.entry(e).or_default().push(TaskRecord { kind, due: t.due_at.map(|d| d.with_timezone(&Utc)), status });
    }
    Ok(rows
        .iter()
        .map(|e| EscalationRecord {
            cause_key: e.cause_key.clone(),
            rule_id: if e.manual { None } else { e.rule_id.clone() },
            level: u8::try_from(e.level).unwrap_or(1),
            status: escalation_status(&e.state),
            parent: e.parent_id.and_then(|p| key_of.get(&p)).map(|k| (*k).to_string()),
            closed_on: e.closed_at.map(|t| local_date(t.with_timezone(&Utc))),
            tasks: tasks_of.remove(&e.id).unwrap_or_default(),
        })
        .collect())
}

pub fn escalation_status(s: &str) -> EscalationStatus {
    match s {
        "open" => EscalationStatus::Open,
        "escalated" => EscalationStatus::Escalated,
        _ => EscalationStatus::Closed,
    }
}

pub fn task_status(s: &str) -> Option<TaskStatus> {
    Some(match s {
        "open" => TaskStatus::Open,
        "accepted" => TaskStatus::Accepted,
        "done" => TaskStatus::Done,
        "cancelled" => TaskStatus::Cancelled,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn checkpoints_start_after_joining() {
        let c = checkpoints(d(2026, 3, 10), d(2027, 2, 1));
        let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["2026-H1", "2026-H2", "2027-H1"]);
        assert_eq!(c[0].date, d(2026, 6, 30));
        // Joining on the last day of a half-year skips it.
        assert_eq!(checkpoints(d(2026, 6, 30), d(2026, 7, 1))[0].id, "2026-H2");
    }
}
