//! What the conditions read: one enterprise's state as plain data, gathered by the API
//! from the database (or read from a JSON file to replay an evaluation).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::model::TaskKind;
use crate::severity::Severity;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EnterpriseState {
    /// The latest risk score; `None` before the first fit.
    pub risk: Option<RiskSnapshot>,
    pub accidents: Vec<AccidentFact>,
    pub findings: Vec<FindingFact>,
    pub progress: Progress,
    /// Programme checkpoints (e.g. mid-term and final review dates).
    pub checkpoints: Vec<Checkpoint>,
    /// Expert on-site visits carried out (done `expert_visit` tasks).
    pub expert_visits: Vec<ExpertVisit>,
    /// Self-inspection reports owed, submitted or not.
    pub reports: Vec<ReportDue>,
    /// Every escalation of the enterprise that has a cause key, closed ones included:
    /// a closed cause stays closed.
    pub escalations: Vec<EscalationRecord>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RiskSnapshot {
    pub industry_percentile: Option<f64>,
    pub region_percentile: Option<f64>,
    pub expected_accidents: f64,
    pub p_serious: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccidentFact {
    pub id: i64,
    pub date: NaiveDate,
    /// GB 6441-86 code (`09`).
    pub accident_type: Option<String>,
    /// GB 6441-86 annex A1 code (`A1.13`).
    pub body_part: Option<String>,
    pub severity: Severity,
    /// 1 (most severe) to 10.
    pub disability_grade: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingFact {
    pub id: i64,
    /// 重大隐患; otherwise 一般隐患.
    pub major: bool,
    /// Reported by the enterprise itself (not by an expert or a bureau).
    pub self_reported: bool,
    /// Rectification still owed: not yet accepted (销号) and not cancelled.
    pub open: bool,
    /// Rectification deadline (a China date).
    pub deadline: Option<NaiveDate>,
    pub failed_acceptances: u32,
}

/// The programme counts of `GET /mp/targets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Progress {
    pub recommended: u64,
    pub found: u64,
    pub rectified: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Stable and short (`2026-H1`): it becomes part of a cause key.
    pub id: String,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpertVisit {
    pub id: i64,
    pub date: NaiveDate,
    /// The follow-up inspection (回访巡查) found the rectification not done.
    #[serde(default)]
    pub follow_up_failed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDue {
    /// Stable and short (`2026`): it becomes part of a cause key.
    pub period: String,
    pub due: NaiveDate,
    pub submitted_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationStatus {
    Open,
    /// Its tasks missed their deadlines and a higher level took over (still unresolved).
    Escalated,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationRecord {
    pub cause_key: String,
    /// `None` for a manual escalation.
    pub rule_id: Option<String>,
    pub level: u8,
    pub status: EscalationStatus,
    /// Cause key of the escalation this one escalated from.
    pub parent: Option<String>,
    /// China date it closed on, when closed.
    pub closed_on: Option<NaiveDate>,
    pub tasks: Vec<TaskRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Accepted,
    Done,
    Cancelled,
}

impl TaskStatus {
    /// Still owed by someone.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::Accepted)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub kind: TaskKind,
    pub due: Option<DateTime<Utc>>,
    pub status: TaskStatus,
}
