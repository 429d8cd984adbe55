//! Trigger rules as validated: the five levels of the ladder and the rules that open
//! escalations on them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::metric::{Metric, Op, Params};

/// The highest level of the ladder (联合督导).
pub const TOP_LEVEL: u8 = 5;

/// What a task asks someone to do; the values of `tasks.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    SelfInspection,
    AccidentInvestigation,
    ExpertVisit,
    JointResearch,
    JointSupervision,
    FollowUp,
}

impl TaskKind {
    pub const ALL: [TaskKind; 6] = [
        Self::SelfInspection,
        Self::AccidentInvestigation,
        Self::ExpertVisit,
        Self::JointResearch,
        Self::JointSupervision,
        Self::FollowUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfInspection => "self_inspection",
            Self::AccidentInvestigation => "accident_investigation",
            Self::ExpertVisit => "expert_visit",
            Self::JointResearch => "joint_research",
            Self::JointSupervision => "joint_supervision",
            Self::FollowUp => "follow_up",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What makes an escalation one cause: the rule plus the subject this kind picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// Each accident.
    Accident,
    /// Each GB 6441-86 accident type, once per generation (a new one after the last closed).
    AccidentType,
    /// Each injured body part, once per generation.
    BodyPart,
    /// Each finding.
    Finding,
    /// Each expert visit.
    ExpertVisit,
    /// The latest programme checkpoint that has passed.
    Checkpoint,
    /// Each self-inspection report period.
    Report,
    /// The enterprise, once per calendar year / quarter / month (China time).
    Year,
    Quarter,
    Month,
}

impl CauseKind {
    pub const ALL: [CauseKind; 10] = [
        Self::Accident,
        Self::AccidentType,
        Self::BodyPart,
        Self::Finding,
        Self::ExpertVisit,
        Self::Checkpoint,
        Self::Report,
        Self::Year,
        Self::Quarter,
        Self::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accident => "accident",
            Self::AccidentType => "accident_type",
            Self::BodyPart => "body_part",
            Self::Finding => "finding",
            Self::ExpertVisit => "expert_visit",
            Self::Checkpoint => "checkpoint",
            Self::Report => "report",
            Self::Year => "year",
            Self::Quarter => "quarter",
            Self::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A rung of the ladder: the measure and its task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Level {
    pub level: u8,
    pub name: String,
    pub task: TaskKind,
    pub due_days: u32,
    /// What the task must establish (四不放过 for an investigation).
    pub checklist: Vec<String>,
    /// Where an escalation opened at this level by escalating goes when its tasks are late.
    pub escalate_to: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: Metric,
    pub params: Params,
    pub op: Op,
    pub value: f64,
}

impl Comparison {
    /// `accidents[window=30d] >= 1`
    pub fn label(&self) -> String {
        let p = self.params.describe();
        let m = if p.is_empty() { self.metric.as_str().to_string() } else { format!("{}[{p}]", self.metric.as_str()) };
        format!("{m} {} {}", self.op.as_str(), self.value)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Compare(Comparison),
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// `L2-SERIOUS-ACCIDENT`; stored as `escalations.rule_id`.
    pub id: String,
    /// Raised when the rule's meaning changes; stored as `escalations.rule_version`.
    pub version: u32,
    pub name: String,
    /// The rule in plain words.
    pub about: String,
    pub level: u8,
    pub task: TaskKind,
    pub due_days: u32,
    pub cause: CauseKind,
    pub when: Condition,
    pub resolved_when: Condition,
    /// Where the escalation goes when its tasks miss their deadlines.
    pub escalate_to: Option<u8>,
    /// File relative to the rules directory, and the rule's line.
    pub file: PathBuf,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerRules {
    /// Newest file version plus a content hash, as for the hazard library.
    pub version: String,
    /// Levels 1..=5, in order.
    pub levels: Vec<Level>,
    /// In file order, files in name order.
    pub rules: Vec<Rule>,
    /// Every file with its `version`.
    pub files: Vec<(PathBuf, String)>,
}

impl TriggerRules {
    pub fn level(&self, level: u8) -> Option<&Level> {
        self.levels.iter().find(|l| l.level == level)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}
