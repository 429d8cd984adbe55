//! The hazard library as the rest of zhicha sees it: validated items with their
//! applicability, links to accident codes, legal basis and rectification guidance.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use super::industry_pattern::IndustryPattern;
use super::vocabulary::{Sources, Vocabulary};
use crate::industry_code::IndustryCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Written or imported, waiting for review; never recommended.
    Draft,
    Active,
    /// Replaced by `superseded_by`; kept so old recommendations still resolve.
    Superseded,
}

impl Status {
    pub const ALL: [Status; 3] = [Self::Draft, Self::Active, Self::Superseded];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Default grade of a finding against the item (一般隐患 / 重大隐患).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    General,
    Major,
}

impl Grade {
    pub const ALL: [Grade; 2] = [Self::General, Self::Major];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Major => "major",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where an item applies. Industry patterns are required; the other lists narrow it:
/// an item with `conditions` or `equipment` applies only where the enterprise has at
/// least one of them. `jobs` names the exposed posts (岗位) and does not gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applicability {
    pub industries: Vec<IndustryPattern>,
    pub jobs: Vec<String>,
    pub equipment: Vec<String>,
    pub conditions: Vec<String>,
}

impl Applicability {
    pub fn matches_industry(&self, code: &IndustryCode) -> bool {
        self.industries.iter().any(|p| p.matches(code))
    }

    /// No condition or equipment gate: applies to every enterprise of a matching industry.
    pub fn is_unconditional(&self) -> bool {
        self.conditions.is_empty() && self.equipment.is_empty()
    }
}

/// One legal basis, resolved against `sources.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalBasis {
    /// Source id in `sources.toml`.
    pub source: String,
    pub document: String,
    /// Issuing number (文号) or standard number.
    pub number: String,
    pub version: String,
    /// Article, clause or item (条款), as the document numbers it.
    pub article: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rectification {
    pub measures: Vec<String>,
    pub deadline_days: u32,
    /// Whether the 五落实 plan (responsibility, measures, funds, deadline, contingency
    /// plan) is required; always for a major grade.
    pub plan_required: bool,
    /// What acceptance (验收) needs to see.
    pub evidence: Vec<String>,
}

/// Where an item was written, for messages and reviewers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardItem {
    /// Stable id (`HZ-ELEC-0001`); a changed text gets a new `version`, never a new id.
    pub id: String,
    pub version: u32,
    pub status: Status,
    pub superseded_by: Option<String>,
    pub title: String,
    /// What to look at.
    pub check_point: String,
    pub check_method: String,
    pub pass_criteria: String,
    /// Grouping on the checklist (`vocabulary.toml` areas).
    pub area: String,
    pub applicability: Applicability,
    /// GB 6441-86 accident type codes (`01`..`20`).
    pub accident_types_86: Vec<String>,
    /// GB 6441-2025 categories, keyed by name.
    pub accident_types_2025: Vec<String>,
    /// GB 6441-86 annex A1 codes.
    pub body_parts: Vec<String>,
    /// GB 6441-86 annex A2 codes.
    pub injury_natures: Vec<String>,
    pub grade: Grade,
    pub legal_basis: Vec<LegalBasis>,
    pub rectification: Rectification,
    pub weight: f64,
    pub origin: Origin,
}

/// Every item of `rules/hazards/`, validated as a whole.
#[derive(Debug, Clone)]
pub struct HazardLibrary {
    /// Newest file version plus a content hash, so any edit changes it.
    pub version: String,
    pub items: Vec<HazardItem>,
    pub vocabulary: Vocabulary,
    pub sources: Sources,
    /// Each item file (relative to `rules/`) with its own version.
    pub files: Vec<(PathBuf, String)>,
    pub(super) index: HashMap<String, usize>,
}

impl HazardLibrary {
    pub fn get(&self, id: &str) -> Option<&HazardItem> {
        self.index.get(id).map(|&i| &self.items[i])
    }

    pub fn active(&self) -> impl Iterator<Item = &HazardItem> {
        self.items.iter().filter(|i| i.status == Status::Active)
    }

    /// Active items whose industry patterns match `code`, gated or not.
    pub fn applicable_to<'a>(&'a self, code: &'a IndustryCode) -> impl Iterator<Item = &'a HazardItem> + 'a {
        self.active().filter(move |i| i.applicability.matches_industry(code))
    }
}
