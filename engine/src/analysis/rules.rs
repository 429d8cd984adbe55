//! `rules/analysis/`: the key industries (`key_industries.toml`) and the job keywords of
//! new forms of employment (`new_employment.toml`), validated with file:line errors so a
//! bureau can edit them without a rebuild.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::hazards::Text;
use crate::industry_code::{IndustryCode, section_of};
use crate::rule_error::{RuleError, RuleErrors, line_of, toml_error, version_header};
use crate::rule_source::RuleSource;

pub const KEY_INDUSTRIES: &str = "analysis/key_industries.toml";
pub const NEW_EMPLOYMENT: &str = "analysis/new_employment.toml";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyIndustry {
    /// Stable id (`hazardous_chemicals`).
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// Inclusive ranges of GB/T 4754 2-digit divisions.
    pub divisions: Vec<(u8, u8)>,
}

impl KeyIndustry {
    pub fn contains(&self, code: &IndustryCode) -> bool {
        code.division().parse::<u8>().is_ok_and(|d| self.divisions.iter().any(|&(a, b)| (a..=b).contains(&d)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisRules {
    /// `key_industries.toml` version `+` `new_employment.toml` version.
    pub version: String,
    /// Target relative change of the key industries' accident rate (−0.20).
    pub aim_rate_change: f64,
    pub key_industries: Vec<KeyIndustry>,
    /// Lower-cased keywords; a job containing one is a new form of employment.
    pub new_employment_keywords: Vec<String>,
}

impl AnalysisRules {
    /// The key industries an enterprise's industry code falls in (none if unparseable).
    pub fn industries_of(&self, industry: &str) -> Vec<&KeyIndustry> {
        match IndustryCode::parse(industry) {
            Ok(code) => self.key_industries.iter().filter(|k| k.contains(&code)).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The first keyword the job contains, if it is a new form of employment.
    pub fn new_employment_keyword(&self, job: &str) -> Option<&str> {
        let j = job.to_lowercase();
        self.new_employment_keywords.iter().find(|k| j.contains(k.as_str())).map(String::as_str)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyIndustries {
    version: Spanned<String>,
    aim_rate_change: Spanned<f64>,
    #[serde(default)]
    industry: Vec<Spanned<RawIndustry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndustry {
    id: Spanned<String>,
    name: Spanned<String>,
    name_en: Spanned<String>,
    divisions: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNewEmployment {
    version: Spanned<String>,
    keywords: Spanned<Vec<Spanned<String>>>,
}

/// [`load_from`] a rules directory.
pub fn load(rules_dir: &Path) -> Result<AnalysisRules, RuleErrors> {
    load_from(&RuleSource::Dir(rules_dir.to_path_buf()))
}

/// Loads both files from `source` (a rules directory holding `analysis/`, or the
/// built-in files).
pub fn load_from(source: &RuleSource) -> Result<AnalysisRules, RuleErrors> {
    let mut errors = Vec::new();
    let mut read = |rel: &str| -> Option<Text> { source.read(Path::new(rel)).map_err(|e| errors.push(e)).ok() };
    let (key, new) = (read(KEY_INDUSTRIES), read(NEW_EMPLOYMENT));
    match (key, new) {
        (Some(k), Some(n)) => from_texts(&k, &n),
        _ => Err(RuleErrors(errors)),
    }
}

/// Validates the two files given as texts; every problem is reported as file:line.
pub fn from_texts(key_industries: &Text, new_employment: &Text) -> Result<AnalysisRules, RuleErrors> {
    let mut errors = Vec::new();
    let mut versions = Vec::new();
    let mut industries = Vec::new();
    let mut aim = 0.0;
    let (kp, kt) = (&key_industries.path, key_industries.text.as_str());
    let at = |text: &str, start: usize| line_of(text, start);
    match toml::from_str::<RawKeyIndustries>(kt) {
        Err(e) => errors.push(toml_error(kp, kt, &e)),
        Ok(raw) => {
            if let Some(v) = header(kp, kt, &raw.version, &mut errors) {
                versions.push(v);
            }
            aim = *raw.aim_rate_change.get_ref();
            if !(aim.is_finite() && (-1.0..=0.0).contains(&aim)) {
                errors.push(RuleError::new(
                    kp,
                    at(kt, raw.aim_rate_change.span().start),
                    "`aim_rate_change` must be in [-1, 0] (a fall, e.g. -0.20)",
                ));
            }
            if raw.industry.is_empty() {
                errors.push(RuleError::new(kp, 0, "no [[industry]]"));
            }
            let mut ids = HashSet::new();
            for ind in &raw.industry {
                let r = ind.get_ref();
                let id = r.id.get_ref().trim();
                if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                    errors.push(RuleError::new(
                        kp,
                        at(kt, r.id.span().start),
                        format!("id {id:?} must be lower_snake_case"),
                    ));
                } else if !ids.insert(id.to_string()) {
                    errors.push(RuleError::new(kp, at(kt, r.id.span().start), format!("id {id} repeats")));
                }
                for (f, v) in [("name", &r.name), ("name_en", &r.name_en)] {
                    if v.get_ref().trim().is_empty() {
                        errors.push(RuleError::new(kp, at(kt, v.span().start), format!("empty `{f}`")));
                    }
                }
                let mut divisions = Vec::new();
                for d in r.divisions.get_ref() {
                    match division_range(d.get_ref()) {
                        Ok(range) => divisions.push(range),
                        Err(reason) => errors.push(RuleError::new(kp, at(kt, d.span().start), reason)),
                    }
                }
                if r.divisions.get_ref().is_empty() {
                    errors.push(RuleError::new(kp, at(kt, r.divisions.span().start), "no `divisions`"));
                }
                industries.push(KeyIndustry {
                    id: id.to_string(),
                    name: r.name.get_ref().trim().to_string(),
                    name_en: r.name_en.get_ref().trim().to_string(),
                    divisions,
                });
            }
        }
    }
    let mut keywords = Vec::new();
    let (np, nt) = (&new_employment.path, new_employment.text.as_str());
    match toml::from_str::<RawNewEmployment>(nt) {
        Err(e) => errors.push(toml_error(np, nt, &e)),
        Ok(raw) => {
            if let Some(v) = header(np, nt, &raw.version, &mut errors) {
                versions.push(v);
            }
            for k in raw.keywords.get_ref() {
                let w = k.get_ref().trim().to_lowercase();
                if w.is_empty() {
                    errors.push(RuleError::new(np, at(nt, k.span().start), "empty keyword"));
                } else if keywords.contains(&w) {
                    errors.push(RuleError::new(np, at(nt, k.span().start), format!("keyword {w:?} repeats")));
                } else {
                    keywords.push(w);
                }
            }
            if raw.keywords.get_ref().is_empty() {
                errors.push(RuleError::new(np, at(nt, raw.keywords.span().start), "no `keywords`"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    Ok(AnalysisRules {
        version: versions.join("+"),
        aim_rate_change: aim,
        key_industries: industries,
        new_employment_keywords: keywords,
    })
}

/// `"25"` or `"06-12"` → an inclusive range of existing GB/T 4754 divisions.
fn division_range(s: &str) -> Result<(u8, u8), String> {
    let one = |p: &str| -> Result<u8, String> {
        let p = p.trim();
        let n = (p.len() == 2).then(|| p.parse::<u8>().ok()).flatten();
        match n {
            Some(n) if section_of(n).is_some() => Ok(n),
            Some(_) => Err(format!("division {p} does not exist in GB/T 4754-2017")),
            None => Err(format!("expected a 2-digit division or a range such as \"06-12\", got {s:?}")),
        }
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let a = one(s)?;
            (a, a)
        }
    };
    if a > b {
        return Err(format!("range {s:?} runs backwards"));
    }
    Ok((a, b))
}

fn header(file: &Path, text: &str, version: &Spanned<String>, errors: &mut Vec<RuleError>) -> Option<String> {
    version_header(file, text, version).map_err(|e| errors.push(e)).ok()
}
