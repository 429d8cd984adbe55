//! The closed vocabularies items refer to (`hazards/vocabulary.toml`: areas, process
//! conditions, equipment, jobs) and the documents they cite (`hazards/sources.toml`).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::rule_error::{RuleError, line_of};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    pub name: String,
    pub note: String,
    /// Other spellings met in accident records (岗位 as written), for jobs.
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub version: String,
    pub areas: Vec<Term>,
    pub conditions: Vec<Term>,
    pub equipment: Vec<Term>,
    pub jobs: Vec<Term>,
    job_names: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocabulary {
    version: String,
    areas: Vec<RawTerm>,
    conditions: Vec<RawTerm>,
    equipment: Vec<RawTerm>,
    jobs: Vec<RawTerm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    name: Spanned<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
}

/// The TOML error of a whole file as a [`RuleError`] at its line.
pub(super) fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> RuleError {
    crate::rule_error::toml_error(file, text, e)
}

impl Vocabulary {
    pub fn parse(file: &Path, text: &str) -> Result<Self, Vec<RuleError>> {
        let raw: RawVocabulary = toml::from_str(text).map_err(|e| vec![toml_error(file, text, &e)])?;
        let mut errors = Vec::new();
        if raw.version.trim().is_empty() {
            errors.push(RuleError::new(file, 1, "empty version"));
        }
        let mut terms = |kind: &str, list: Vec<RawTerm>| -> Vec<Term> {
            // Jobs are matched by name or alias, so both share one namespace.
            let mut seen: HashMap<String, usize> = HashMap::new();
            let mut out = Vec::new();
            for t in list {
                let spellings = std::iter::once(&t.name).chain(t.aliases.iter());
                for s in spellings {
                    let line = line_of(text, s.span().start);
                    let name = s.get_ref().trim();
                    if name.is_empty() {
                        errors.push(RuleError::new(file, line, format!("empty {kind} name")));
                    } else if let Some(first) = seen.insert(name.to_string(), line) {
                        errors.push(RuleError::new(file, line, format!("{kind} {name:?} repeats line {first}")));
                    }
                }
                out.push(Term {
                    name: t.name.get_ref().trim().to_string(),
                    note: t.note,
                    aliases: t.aliases.iter().map(|a| a.get_ref().trim().to_string()).collect(),
                });
            }
            out
        };
        let areas = terms("area", raw.areas);
        let conditions = terms("condition", raw.conditions);
        let equipment = terms("equipment", raw.equipment);
        let jobs = terms("job", raw.jobs);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut job_names = HashMap::new();
        for (i, j) in jobs.iter().enumerate() {
            for s in std::iter::once(&j.name).chain(j.aliases.iter()) {
                job_names.insert(s.clone(), i);
            }
        }
        Ok(Self { version: raw.version, areas, conditions, equipment, jobs, job_names })
    }

    pub fn has_area(&self, name: &str) -> bool {
        self.areas.iter().any(|t| t.name == name)
    }

    pub fn has_condition(&self, name: &str) -> bool {
        self.conditions.iter().any(|t| t.name == name)
    }

    pub fn has_equipment(&self, name: &str) -> bool {
        self.equipment.iter().any(|t| t.name == name)
    }

    /// The canonical job of a post as written in accident records (name or alias).
    pub fn job(&self, written: &str) -> Option<&str> {
        self.job_names.get(written.trim()).map(|&i| self.jobs[i].name.as_str())
    }

    pub fn has_job(&self, name: &str) -> bool {
        self.jobs.iter().any(|t| t.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// 法律
    Law,
    /// 行政法规
    Regulation,
    /// 部门规章 (令)
    Rule,
    /// 规范性文件 (通知、判定标准)
    Normative,
    /// 国家标准 (GB, GB/T, GBZ)
    NationalStandard,
    /// 行业标准 (AQ, JGJ, TSG, ...)
    IndustryStandard,
}

/// A cited document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub id: String,
    pub document: String,
    pub number: String,
    pub version: String,
    pub kind: SourceKind,
}

#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub version: String,
    pub list: Vec<Source>,
    index: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSources {
    version: String,
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    document: String,
    number: String,
    version: String,
    kind: SourceKind,
}

impl Sources {
    pub fn parse(file: &Path, text: &str) -> Result<Self, Vec<RuleError>> {
        let raw: RawSources = toml::from_str(text).map_err(|e| vec![toml_error(file, text, &e)])?;
        let mut errors = Vec::new();
        if raw.version.trim().is_empty() {
            errors.push(RuleError::new(file, 1, "empty version"));
        }
        let mut out = Sources { version: raw.version, ..Default::default() };
        let mut lines: HashMap<String, usize> = HashMap::new();
        for s in raw.sources {
            let line = line_of(text, s.id.span().start);
            let id = s.id.into_inner();
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                errors.push(RuleError::new(
                    file,
                    line,
                    format!("source id {id:?}: use lower-case letters, digits, `-`"),
                ));
            }
            if s.document.trim().is_empty() || s.version.trim().is_empty() {
                errors.push(RuleError::new(file, line, format!("source {id:?} needs a document and a version")));
            }
            if let Some(first) = lines.insert(id.clone(), line) {
                errors.push(RuleError::new(file, line, format!("source {id:?} repeats line {first}")));
                continue;
            }
            out.index.insert(id.clone(), out.list.len());
            out.list.push(Source { id, document: s.document, number: s.number, version: s.version, kind: s.kind });
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }

    pub fn get(&self, id: &str) -> Option<&Source> {
        self.index.get(id).map(|&i| &self.list[i])
    }
}
