//! Trigger files as written: fields spanned so each problem is reported at its line,
//! unknown keys refused by the parser.

use serde::Deserialize;
use toml::Spanned;

type S<T> = Option<Spanned<T>>;

/// `rules/triggers/levels.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLevels {
    pub version: Spanned<String>,
    #[serde(default)]
    pub level: Vec<Spanned<RawLevel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLevel {
    pub level: S<i64>,
    pub name: S<String>,
    pub task: S<String>,
    pub due_days: S<i64>,
    #[serde(default)]
    pub checklist: Vec<String>,
    pub escalate_to: S<i64>,
}

/// Any other `rules/triggers/*.toml`: a set of rules.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRuleFile {
    pub version: Spanned<String>,
    pub title: Spanned<String>,
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: S<String>,
    pub version: S<i64>,
    pub name: S<String>,
    pub about: S<String>,
    pub level: S<i64>,
    pub task: S<String>,
    pub due_days: S<i64>,
    pub cause: S<String>,
    pub when: S<RawCondition>,
    pub resolved_when: S<RawCondition>,
    pub escalate_to: S<i64>,
}

/// Either a comparison (`metric`, `op`, `value` and the metric's filters) or a
/// combinator (`all` / `any` of conditions).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCondition {
    pub metric: S<String>,
    pub op: S<String>,
    pub value: S<f64>,
    pub all: S<Vec<Spanned<RawCondition>>>,
    pub any: S<Vec<Spanned<RawCondition>>>,
    pub window_days: S<i64>,
    pub window_months: S<i64>,
    pub severity: S<Vec<String>>,
    pub accident_types: S<Vec<String>>,
    pub body_parts: S<Vec<String>>,
    pub max_disability_grade: S<i64>,
    pub grade: S<String>,
    pub min_age_days: S<i64>,
    pub self_reported: S<bool>,
    pub scope: S<String>,
    pub min_days_late: S<i64>,
}
