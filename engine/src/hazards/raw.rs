//! Item files as written: every field optional and spanned, so a missing or wrong field
//! is reported at its line, and `[defaults]` can fill what an item leaves out.

use serde::Deserialize;
use toml::Spanned;

/// One item file: `rules/hazards/<group>/<name>.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub version: Spanned<String>,
    /// What the file covers, for reviewers.
    pub title: Spanned<String>,
    /// Every id in the file starts with it (`HZ-ELEC-`), so ids stay unique by construction.
    pub id_prefix: Spanned<String>,
    #[serde(default)]
    pub defaults: Option<RawItem>,
    #[serde(default)]
    pub item: Vec<Spanned<RawItem>>,
}

type S<T> = Option<Spanned<T>>;

#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItem {
    pub id: S<String>,
    pub version: S<i64>,
    pub status: S<String>,
    pub superseded_by: S<String>,
    pub title: S<String>,
    pub check_point: S<String>,
    pub check_method: S<String>,
    pub pass_criteria: S<String>,
    pub area: S<String>,
    pub industries: S<Vec<String>>,
    pub jobs: S<Vec<String>>,
    pub equipment: S<Vec<String>>,
    pub conditions: S<Vec<String>>,
    pub accident_types_86: S<Vec<String>>,
    pub accident_types_2025: S<Vec<String>>,
    pub body_parts: S<Vec<String>>,
    pub injury_natures: S<Vec<String>>,
    pub grade: S<String>,
    pub legal_basis: S<Vec<RawBasis>>,
    pub measures: S<Vec<String>>,
    pub deadline_days: S<i64>,
    pub plan_required: S<bool>,
    pub evidence: S<Vec<String>>,
    pub weight: S<f64>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBasis {
    pub source: String,
    pub article: String,
}

impl RawItem {
    /// The item with every field it leaves out taken from `defaults`.
    pub fn merged(self, d: &RawItem) -> RawItem {
        fn or<T: Clone>(own: S<T>, d: &S<T>) -> S<T> {
            own.or_else(|| d.clone())
        }
        RawItem {
            id: self.id,
            version: or(self.version, &d.version),
            status: or(self.status, &d.status),
            superseded_by: self.superseded_by,
            title: self.title,
            check_point: self.check_point,
            check_method: or(self.check_method, &d.check_method),
            pass_criteria: self.pass_criteria,
            area: or(self.area, &d.area),
            industries: or(self.industries, &d.industries),
            jobs: or(self.jobs, &d.jobs),
            equipment: or(self.equipment, &d.equipment),
            conditions: or(self.conditions, &d.conditions),
            accident_types_86: or(self.accident_types_86, &d.accident_types_86),
            accident_types_2025: or(self.accident_types_2025, &d.accident_types_2025),
            body_parts: or(self.body_parts, &d.body_parts),
            injury_natures: or(self.injury_natures, &d.injury_natures),
            grade: or(self.grade, &d.grade),
            legal_basis: or(self.legal_basis, &d.legal_basis),
            measures: or(self.measures, &d.measures),
            deadline_days: or(self.deadline_days, &d.deadline_days),
            plan_required: or(self.plan_required, &d.plan_required),
            evidence: or(self.evidence, &d.evidence),
            weight: or(self.weight, &d.weight),
        }
    }

    /// Spans of the fields that only an item may set (its identity and its own text).
    pub fn item_only_fields(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut add = |name, span: Option<std::ops::Range<usize>>| {
            if let Some(s) = span {
                out.push((name, s));
            }
        };
        add("id", self.id.as_ref().map(Spanned::span));
        add("superseded_by", self.superseded_by.as_ref().map(Spanned::span));
        add("title", self.title.as_ref().map(Spanned::span));
        add("check_point", self.check_point.as_ref().map(Spanned::span));
        add("pass_criteria", self.pass_criteria.as_ref().map(Spanned::span));
        out
    }
}
