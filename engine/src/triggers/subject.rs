//! What an escalation is about, and the cause key built from it: `{rule id}/{subject}`,
//! unique per enterprise in `escalations.cause_key`. The same state always yields the
//! same key, so evaluating twice (or on two servers at once) cannot open a cause twice.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    Accident {
        id: i64,
    },
    /// Repeats of one accident type; `generation` counts this rule's escalations for the
    /// type, so a new cluster after the last one closed is a new cause.
    AccidentType {
        code: String,
        generation: u32,
    },
    BodyPart {
        code: String,
        generation: u32,
    },
    Finding {
        id: i64,
    },
    ExpertVisit {
        id: i64,
    },
    Checkpoint {
        id: String,
    },
    Report {
        period: String,
    },
    /// A calendar year (`2026`), quarter (`2026Q4`) or month (`2026-11`).
    Period {
        label: String,
    },
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accident { id } => write!(f, "accident:{id}"),
            Self::AccidentType { code, generation } => write!(f, "type:{code}#{generation}"),
            Self::BodyPart { code, generation } => write!(f, "body_part:{code}#{generation}"),
            Self::Finding { id } => write!(f, "finding:{id}"),
            Self::ExpertVisit { id } => write!(f, "visit:{id}"),
            Self::Checkpoint { id } => write!(f, "checkpoint:{id}"),
            Self::Report { period } => write!(f, "report:{period}"),
            Self::Period { label } => write!(f, "period:{label}"),
        }
    }
}

impl Subject {
    pub fn parse(s: &str) -> Option<Self> {
        let (kind, rest) = s.split_once(':')?;
        let generation = |rest: &str| -> Option<(String, u32)> {
            let (code, g) = rest.rsplit_once('#')?;
            Some((code.to_string(), g.parse().ok()?))
        };
        Some(match kind {
            "accident" => Self::Accident { id: rest.parse().ok()? },
            "type" => generation(rest).map(|(code, generation)| Self::AccidentType { code, generation })?,
            "body_part" => generation(rest).map(|(code, generation)| Self::BodyPart { code, generation })?,
            "finding" => Self::Finding { id: rest.parse().ok()? },
            "visit" => Self::ExpertVisit { id: rest.parse().ok()? },
            "checkpoint" => Self::Checkpoint { id: rest.to_string() },
            "report" => Self::Report { period: rest.to_string() },
            "period" => Self::Period { label: rest.to_string() },
            _ => return None,
        })
    }
}

/// `L2-SERIOUS-ACCIDENT/accident:17`.
pub fn cause_key(rule_id: &str, subject: &Subject) -> String {
    format!("{rule_id}/{subject}")
}

/// The subject of a key this rule made, if it is one.
pub fn subject_of(rule_id: &str, key: &str) -> Option<Subject> {
    key.strip_prefix(rule_id)?.strip_prefix('/').and_then(Subject::parse)
}

/// Prefix shared by every generation of a repeat cause (`L2-REPEAT-TYPE/type:09#`).
pub fn generation_prefix(rule_id: &str, kind: &str, code: &str) -> String {
    format!("{rule_id}/{kind}:{code}#")
}

/// Key of the escalation that takes over `parent` at `level`: `{parent}>L3`.
pub fn escalated_key(parent: &str, level: u8) -> String {
    format!("{parent}>L{level}")
}
