//! The closed vocabulary conditions are written in: metrics, their parameters and the
//! comparison operators. A rule file can combine these freely; a new metric needs code.

use serde::Serialize;

use crate::hazards::Grade;
use crate::severity::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Risk percentile 0–100 among the industry's (or the region's) enterprises.
    RiskPercentile,
    /// Expected accidents over the risk model's horizon.
    ExpectedAccidents,
    /// Probability of at least one serious accident over the horizon.
    PSerious,
    /// Accidents (of the cause's subject, where it has accidents) passing the filters.
    Accidents,
    /// Accidents within `window_days` after an expert visit (the cause's visit, if any).
    AccidentsAfterVisit,
    /// Expert visits (the cause's visit, if any) whose follow-up inspection failed.
    FailedFollowUps,
    /// Findings still open (not yet accepted or cancelled).
    OpenHazards,
    /// Open findings whose rectification deadline has passed.
    OverdueHazards,
    /// Failed acceptances (验收不通过) of open findings.
    FailedAcceptances,
    /// Rectified share of found hazards, 0–1; absent while nothing was found.
    RectificationRate,
    /// Items in the latest recommendation round (target ≥ 150).
    Recommended,
    /// Hazards found (target ≥ 50).
    Found,
    /// Self-inspection reports not submitted by their deadline.
    ReportsLate,
    /// Tasks of the escalation (and those it escalated to) still open or accepted.
    OpenTasks,
    /// Tasks of the escalation (and those it escalated to) done.
    DoneTasks,
}

/// A parameter a metric may take, named as in the rule files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Window,
    Severity,
    AccidentTypes,
    BodyParts,
    MaxDisabilityGrade,
    Grade,
    MinAgeDays,
    SelfReported,
    Scope,
    MinDaysLate,
}

impl Param {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Window => "window_days/window_months",
            Self::Severity => "severity",
            Self::AccidentTypes => "accident_types",
            Self::BodyParts => "body_parts",
            Self::MaxDisabilityGrade => "max_disability_grade",
            Self::Grade => "grade",
            Self::MinAgeDays => "min_age_days",
            Self::SelfReported => "self_reported",
            Self::Scope => "scope",
            Self::MinDaysLate => "min_days_late",
        }
    }
}

impl Metric {
    pub const ALL: [Metric; 15] = [
        Self::RiskPercentile,
        Self::ExpectedAccidents,
        Self::PSerious,
        Self::Accidents,
        Self::AccidentsAfterVisit,
        Self::FailedFollowUps,
        Self::OpenHazards,
        Self::OverdueHazards,
        Self::FailedAcceptances,
        Self::RectificationRate,
        Self::Recommended,
        Self::Found,
        Self::ReportsLate,
        Self::OpenTasks,
        Self::DoneTasks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RiskPercentile => "risk_percentile",
            Self::ExpectedAccidents => "expected_accidents",
            Self::PSerious => "p_serious",
            Self::Accidents => "accidents",
            Self::AccidentsAfterVisit => "accidents_after_visit",
            Self::FailedFollowUps => "failed_follow_ups",
            Self::OpenHazards => "open_hazards",
            Self::OverdueHazards => "overdue_hazards",
            Self::FailedAcceptances => "failed_acceptances",
            Self::RectificationRate => "rectification_rate",
            Self::Recommended => "recommended",
            Self::Found => "found",
            Self::ReportsLate => "reports_late",
            Self::OpenTasks => "open_tasks",
            Self::DoneTasks => "done_tasks",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn params(self) -> &'static [Param] {
        use Param as P;
        match self {
            Self::RiskPercentile => &[P::Scope],
            Self::Accidents => &[P::Window, P::Severity, P::AccidentTypes, P::BodyParts, P::MaxDisabilityGrade],
            // The window of a visit runs forward from the visit, in days.
            Self::AccidentsAfterVisit => &[P::Window, P::Severity, P::AccidentTypes, P::BodyParts],
            Self::OpenHazards => &[P::Grade, P::SelfReported],
            Self::OverdueHazards => &[P::Grade, P::MinAgeDays, P::SelfReported],
            Self::FailedAcceptances => &[P::Grade],
            Self::ReportsLate => &[P::MinDaysLate],
            _ => &[],
        }
    }

    /// The values a threshold can sensibly take.
    pub fn range(self) -> (f64, f64) {
        match self {
            Self::RiskPercentile => (0.0, 100.0),
            Self::PSerious | Self::RectificationRate => (0.0, 1.0),
            _ => (0.0, f64::INFINITY),
        }
    }

    /// Task counts describe an escalation, so they only make sense in `resolved_when`.
    pub fn resolution_only(self) -> bool {
        matches!(self, Self::OpenTasks | Self::DoneTasks)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    pub const ALL: [Op; 6] = [Self::Ge, Self::Gt, Self::Le, Self::Lt, Self::Eq, Self::Ne];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ge => ">=",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Lt => "<",
            Self::Eq => "==",
            Self::Ne => "!=",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        // Thresholds are written in decimal; compare with a little slack so 0.8 means 0.8.
        let eq = (value - threshold).abs() <= 1e-9 * threshold.abs().max(1.0);
        match self {
            Self::Ge => value > threshold || eq,
            Self::Gt => value > threshold && !eq,
            Self::Le => value < threshold || eq,
            Self::Lt => value < threshold && !eq,
            Self::Eq => eq,
            Self::Ne => !eq,
        }
    }
}

/// How far back accidents count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    Days(u32),
    Months(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PercentileScope {
    #[default]
    Industry,
    Region,
}

/// A metric's filters; each is "no filter" when unset or empty.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Params {
    pub window: Option<Window>,
    pub severity: Vec<Severity>,
    /// GB 6441-86 codes.
    pub accident_types: Vec<String>,
    /// GB 6441-86 annex A1 codes.
    pub body_parts: Vec<String>,
    /// Only disabilities of grade 1..=N (1 is the most severe).
    pub max_disability_grade: Option<u8>,
    pub grade: Option<Grade>,
    pub min_age_days: Option<u32>,
    pub self_reported: Option<bool>,
    pub scope: PercentileScope,
    pub min_days_late: Option<u32>,
}

impl Params {
    /// `window=30d severity=serious,death`: the filters in a condition's label.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match self.window {
            Some(Window::Days(d)) => parts.push(format!("window={d}d")),
            Some(Window::Months(m)) => parts.push(format!("window={m}mo")),
            None => {}
        }
        if !self.severity.is_empty() {
            let s: Vec<&str> = self.severity.iter().map(|s| s.as_str()).collect();
            parts.push(format!("severity={}", s.join(",")));
        }
        if !self.accident_types.is_empty() {
            parts.push(format!("accident_types={}", self.accident_types.join(",")));
        }
        if !self.body_parts.is_empty() {
            parts.push(format!("body_parts={}", self.body_parts.join(",")));
        }
        if let Some(g) = self.max_disability_grade {
            parts.push(format!("disability_grade<={g}"));
        }
        if let Some(g) = self.grade {
            parts.push(format!("grade={}", g.as_str()));
        }
        if let Some(d) = self.min_age_days {
            parts.push(format!("min_age_days={d}"));
        }
        if let Some(s) = self.self_reported {
            parts.push(format!("self_reported={s}"));
        }
        if self.scope == PercentileScope::Region {
            parts.push("scope=region".into());
        }
        if let Some(d) = self.min_days_late {
            parts.push(format!("min_days_late={d}"));
        }
        parts.join(" ")
    }
}
