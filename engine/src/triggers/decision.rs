//! What an evaluation decides; the API turns each into rows of `escalations` and `tasks`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::eval::Observed;
use super::model::TaskKind;
use super::subject::Subject;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// A new escalation (state `open`) with one task.
    Open(Opening),
    /// `from` becomes `escalated`; a new escalation (`parent_id` = `from`) takes over.
    EscalateFurther(Further),
    /// The cause is resolved: close the escalation with the reason.
    Close(Closing),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opening {
    pub rule_id: String,
    pub rule_version: u32,
    pub level: u8,
    pub cause_key: String,
    pub subject: Subject,
    /// Every comparison of the rule's `when`, with the value read and the threshold.
    pub inputs: Vec<Observed>,
    pub task: TaskKind,
    /// End of the due day in China time.
    pub due: DateTime<Utc>,
    /// What the task must establish, from the level.
    pub checklist: Vec<String>,
    /// Accidents that made the condition hold (for `tasks.accident_id` and the hazard
    /// items of their types).
    pub accident_ids: Vec<i64>,
    /// The finding, for a cause per finding.
    pub finding_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Further {
    /// Cause key of the escalation whose tasks are late.
    pub from: String,
    pub cause_key: String,
    /// The rule of the escalation it all started from.
    pub rule_id: String,
    pub level: u8,
    pub task: TaskKind,
    pub due: DateTime<Utc>,
    pub checklist: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Closing {
    pub cause_key: String,
    pub reason: String,
    /// The comparisons of `resolved_when` (empty for an escalation closed with its parent).
    pub inputs: Vec<Observed>,
}

impl Decision {
    pub fn cause_key(&self) -> &str {
        match self {
            Self::Open(o) => &o.cause_key,
            Self::EscalateFurther(f) => &f.cause_key,
            Self::Close(c) => &c.cause_key,
        }
    }
}
