//! Tests of the trigger engine: the committed rules, each default rule fired and
//! nearly fired, the life of an escalation, and validation errors with file:line.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

use super::*;
use crate::catalog::Catalog;
use crate::severity::Severity;

mod default_rules;
mod lifecycle;
mod scale;
mod validation;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::load(&rules_dir()).unwrap_or_else(|e| panic!("{e}")))
}

fn defaults() -> &'static TriggerRules {
    static R: OnceLock<TriggerRules> = OnceLock::new();
    R.get_or_init(|| load(&rules_dir(), catalog()).unwrap_or_else(|e| panic!("{e}")))
}

/// Noon of 1 December 2026 in China.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 4, 0, 0).single().expect("valid time")
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date")
}

fn ago(days: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(days)).expect("in range")
}

fn later(days: u64) -> DateTime<Utc> {
    now().checked_add_days(Days::new(days)).expect("in range")
}

fn accident(id: i64, days_ago: u64, kind: &str, part: &str, severity: Severity) -> AccidentFact {
    AccidentFact {
        id,
        date: ago(days_ago),
        accident_type: Some(kind.to_string()),
        body_part: Some(part.to_string()),
        severity,
        disability_grade: None,
    }
}

fn finding(id: i64, major: bool, self_reported: bool, deadline: Option<NaiveDate>) -> FindingFact {
    FindingFact { id, major, self_reported, open: true, deadline, failed_acceptances: 0 }
}

fn opens_at(state: &EnterpriseState, at: DateTime<Utc>) -> Vec<Opening> {
    evaluate(state, defaults(), at)
        .into_iter()
        .filter_map(|d| match d {
            Decision::Open(o) => Some(o),
            _ => None,
        })
        .collect()
}

/// The openings of one rule at [`now`].
fn opens(state: &EnterpriseState, rule: &str) -> Vec<Opening> {
    opens_at(state, now()).into_iter().filter(|o| o.rule_id == rule).collect()
}

/// Records decisions as the API would: rows for openings and escalations, states for
/// closures, one open task per new escalation.
fn record(state: &mut EnterpriseState, decisions: &[Decision], on: NaiveDate) {
    for d in decisions {
        match d {
            Decision::Open(o) => state.escalations.push(EscalationRecord {
                cause_key: o.cause_key.clone(),
                rule_id: Some(o.rule_id.clone()),
                level: o.level,
                status: EscalationStatus::Open,
                parent: None,
                closed_on: None,
                tasks: vec![TaskRecord { kind: o.task, due: Some(o.due), status: TaskStatus::Open }],
            }),
            Decision::EscalateFurther(f) => {
                for e in state.escalations.iter_mut().filter(|e| e.cause_key == f.from) {
                    e.status = EscalationStatus::Escalated;
                }
                state.escalations.push(EscalationRecord {
                    cause_key: f.cause_key.clone(),
                    rule_id: Some(f.rule_id.clone()),
                    level: f.level,
                    status: EscalationStatus::Open,
                    parent: Some(f.from.clone()),
                    closed_on: None,
                    tasks: vec![TaskRecord { kind: f.task, due: Some(f.due), status: TaskStatus::Open }],
                });
            }
            Decision::Close(c) => {
                for e in state.escalations.iter_mut().filter(|e| e.cause_key == c.cause_key) {
                    e.status = EscalationStatus::Closed;
                    e.closed_on = Some(on);
                }
            }
        }
    }
}

#[test]
fn committed_rules_load() {
    let r = defaults();
    assert_eq!(r.levels.len(), 5);
    assert!(r.rules.len() >= 15, "{} rules", r.rules.len());
    assert!(r.version.starts_with("2026-12-01.1+"), "{}", r.version);
    // Every level of the ladder has at least one rule that opens at it.
    for n in 1..=TOP_LEVEL {
        assert!(r.rules.iter().any(|x| x.level == n), "no rule at level {n}");
    }
    assert_eq!(r.level(2).map(|l| l.checklist.len()), Some(4), "四不放过");
}

#[test]
fn cause_keys_round_trip() {
    let subjects = [
        Subject::Accident { id: 7 },
        Subject::AccidentType { code: "09".into(), generation: 2 },
        Subject::BodyPart { code: "A1.13".into(), generation: 1 },
        Subject::Finding { id: 3 },
        Subject::ExpertVisit { id: 4 },
        Subject::Checkpoint { id: "2026-H2".into() },
        Subject::Report { period: "2026".into() },
        Subject::Period { label: "2026Q4".into() },
    ];
    for s in subjects {
        let key = cause_key("L2-REPEAT-TYPE", &s);
        assert!(key.len() <= 128, "{key}");
        assert_eq!(subject::subject_of("L2-REPEAT-TYPE", &key), Some(s));
    }
    assert_eq!(subject::subject_of("L2-REPEAT", "L2-REPEAT-TYPE/accident:1"), None);
}
