//! Industry profiles (`rules/hazards/industry_profiles.toml`): per GB/T 4754 pattern, the
//! process conditions and equipment most enterprises of the industry have, and a default
//! exposure mix for an enterprise the risk model knows nothing about.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::input::Weighted;
use super::ranking_rules::RankingRules;
use crate::catalog::Catalog;
use crate::hazards::{IndustryPattern, Vocabulary};
use crate::industry_code::IndustryCode;
use crate::rule_error::{RuleError, RuleErrors, line_of};

/// Relative to the rules directory.
pub const PROFILES: &str = "hazards/industry_profiles.toml";

/// Shares of one dimension may exceed 1 by rounding only.
const SHARE_SUM_SLACK: f64 = 1e-9;

#[derive(Debug, Clone)]
pub struct IndustryProfiles {
    pub version: String,
    pub rows: Vec<ProfileRow>,
    /// How a round is composed beside the score (`hazards/ranking.toml`); read with the
    /// profiles because both are the ranking's data, not items.
    pub ranking: RankingRules,
}

#[derive(Debug, Clone)]
pub struct ProfileRow {
    pub industries: Vec<IndustryPattern>,
    pub note: String,
    pub conditions: Vec<String>,
    pub equipment: Vec<String>,
    /// Default mix per dimension ([`Dimension`](super::Dimension) order), largest share first.
    pub mix: [Vec<Weighted>; 3],
    pub line: usize,
}

/// What the profiles say about one industry code.
#[derive(Debug, Clone, Default)]
pub struct Typical<'p> {
    /// Each term once, in file order.
    pub conditions: Vec<&'p str>,
    pub equipment: Vec<&'p str>,
    /// Per dimension: the most specific matching row's mix and the pattern it came from.
    pub mix: [Option<(&'p [Weighted], &'p IndustryPattern)>; 3],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfiles {
    version: String,
    industry: Vec<Spanned<RawRow>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    industries: Vec<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    equipment: Vec<String>,
    #[serde(default)]
    accident_types: BTreeMap<String, f64>,
    #[serde(default)]
    body_parts: BTreeMap<String, f64>,
    #[serde(default)]
    jobs: BTreeMap<String, f64>,
}

/// How specific a pattern is: `*` 0, a section 1, else its digit count.
pub fn specificity(p: &IndustryPattern) -> usize {
    match p {
        IndustryPattern::Any => 0,
        IndustryPattern::Section(_) => 1,
        IndustryPattern::Prefix(d) => d.len(),
    }
}

impl IndustryProfiles {
    /// [`IndustryProfiles::load_from`] a rules directory.
    pub fn load(rules_dir: &Path, vocabulary: &Vocabulary, catalog: &Catalog) -> Result<Self, RuleErrors> {
        Self::load_from(&crate::RuleSource::Dir(rules_dir.to_path_buf()), vocabulary, catalog)
    }

    /// Reads the profiles from `source` (a rules directory, or the built-in files).
    pub fn load_from(
        source: &crate::RuleSource,
        vocabulary: &Vocabulary,
        catalog: &Catalog,
    ) -> Result<Self, RuleErrors> {
        let t = source.read(Path::new(PROFILES)).map_err(|e| RuleErrors(vec![e]))?;
        let profiles = Self::parse(&t.path, &t.text, vocabulary, catalog);
        let ranking = RankingRules::load_from(source, vocabulary);
        match (profiles, ranking) {
            (Ok(p), Ok(ranking)) => Ok(Self { ranking, ..p }),
            (Err(RuleErrors(mut a)), Err(RuleErrors(b))) => {
                a.extend(b);
                Err(RuleErrors(a))
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }

    /// Parses and checks the profiles: patterns against GB/T 4754, terms against the
    /// hazard vocabulary, codes against the catalog, shares in (0, 1] adding up to ≤ 1.
    pub fn parse(file: &Path, text: &str, vocabulary: &Vocabulary, catalog: &Catalog) -> Result<Self, RuleErrors> {
        let raw: RawProfiles =
            toml::from_str(text).map_err(|e| RuleErrors(vec![crate::rule_error::toml_error(file, text, &e)]))?;
        let mut errors = Vec::new();
        if raw.version.trim().is_empty() {
            errors.push(RuleError::new(file, 1, "empty version"));
        }
        if let Some(v) = text.lines().next().and_then(|l| l.strip_prefix("# version:"))
            && v.trim() != raw.version.trim()
        {
            errors.push(RuleError::new(file, 1, format!("`# version:` {:?} differs from `version`", v.trim())));
        }
        let mut rows = Vec::new();
        // (pattern, dimension) → line of the row giving that mix: two would be ambiguous.
        let mut mixes: HashMap<(String, usize), usize> = HashMap::new();
        for spanned in raw.industry {
            let line = line_of(text, spanned.span().start);
            let r = spanned.into_inner();
            let mut err = |reason: String| errors.push(RuleError::new(file, line, reason));
            let mut industries = Vec::new();
            if r.industries.is_empty() {
                err("`industries` is empty".into());
            }
            for s in &r.industries {
                match IndustryPattern::parse(s, &catalog.industry) {
                    Ok(p) => industries.push(p),
                    Err(reason) => err(format!("`industries`: {reason}")),
                }
            }
            for c in &r.conditions {
                if !vocabulary.has_condition(c) {
                    err(format!("`conditions`: {c:?} is not in vocabulary.toml"));
                }
            }
            for q in &r.equipment {
                if !vocabulary.has_equipment(q) {
                    err(format!("`equipment`: {q:?} is not in vocabulary.toml"));
                }
            }
            let known: [&dyn Fn(&str) -> bool; 3] =
                [&|c| catalog.accident_type_86.contains(c), &|c| catalog.body_part.contains(c), &|j| {
                    vocabulary.has_job(j)
                }];
            let mut mix: [Vec<Weighted>; 3] = Default::default();
            for (d, (name, shares)) in
                [("accident_types", &r.accident_types), ("body_parts", &r.body_parts), ("jobs", &r.jobs)]
                    .into_iter()
                    .enumerate()
            {
                let mut sum = 0.0;
                for (code, &share) in shares {
                    if !known[d](code) {
                        err(format!("`{name}`: unknown {code:?}"));
                    }
                    if !(share > 0.0 && share <= 1.0) {
                        err(format!("`{name}`: share {share} of {code:?} is outside (0, 1]"));
                    }
                    sum += share;
                    mix[d].push(Weighted { code: code.clone(), share, own: 0 });
                }
                if sum > 1.0 + SHARE_SUM_SLACK {
                    err(format!("`{name}`: shares add up to {sum:.3}, more than 1"));
                }
                mix[d].sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.code.cmp(&b.code)));
                if !mix[d].is_empty() {
                    for p in &industries {
                        if let Some(first) = mixes.insert((p.to_string(), d), line) {
                            err(format!("`{name}` for {p} is also given at line {first}"));
                        }
                    }
                }
            }
            rows.push(ProfileRow {
                industries,
                note: r.note,
                conditions: r.conditions,
                equipment: r.equipment,
                mix,
                line,
            });
        }
        if errors.is_empty() {
            Ok(Self { version: raw.version, rows, ranking: RankingRules::default() })
        } else {
            Err(RuleErrors(errors))
        }
    }

    /// The typical terms of every row matching `code` and, per dimension, the most
    /// specific row's mix.
    pub fn typical(&self, code: &IndustryCode) -> Typical<'_> {
        let mut out = Typical::default();
        let mut best = [None::<usize>; 3];
        for row in &self.rows {
            let Some(p) = row.industries.iter().filter(|p| p.matches(code)).max_by_key(|p| specificity(p)) else {
                continue;
            };
            for c in &row.conditions {
                if !out.conditions.contains(&c.as_str()) {
                    out.conditions.push(c);
                }
            }
            for q in &row.equipment {
                if !out.equipment.contains(&q.as_str()) {
                    out.equipment.push(q);
                }
            }
            let s = specificity(p);
            for ((mix, best), out) in row.mix.iter().zip(&mut best).zip(&mut out.mix) {
                if !mix.is_empty() && best.is_none_or(|b| s > b) {
                    *best = Some(s);
                    *out = Some((mix, p));
                }
            }
        }
        out
    }
}
