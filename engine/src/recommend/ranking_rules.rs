//! How a round is composed (`rules/hazards/ranking.toml`), beside the score's factors:
//! - prevalence: how often inspectors find an item where it applies, a prior per area
//!   and per item, shrunk toward and then updated by the programme's own found rates;
//! - floors: the basics found everywhere (fire, electrical, exits, PPE, permits,
//!   management) hold a minimum of items among the first `core` of every round;
//! - spread: each of the enterprise's most frequent accident types has items near the
//!   top, so one type cannot take all of it;
//! - the applicable items of the major-hazard determination standards are always in
//!   the round.
//!
//! Validated with `file:line` errors like every rule file; item ids are checked against
//! the library by [`RankingRules::check_items`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::hazards::{HazardLibrary, Vocabulary};
use crate::rule_error::{RuleError, RuleErrors, line_of, toml_error, version_header};

/// Relative to the rules directory.
pub const RANKING: &str = "hazards/ranking.toml";

#[derive(Debug, Clone, PartialEq)]
pub struct Prevalence {
    /// Prior find rate of an item whose area has none.
    pub default: f64,
    /// The rate at which the factor is 1.
    pub reference: f64,
    /// factor = (rate / reference)^exponent, clamped to [min, max].
    pub exponent: f64,
    pub min: f64,
    pub max: f64,
    /// Pseudo-checks of the prior added to the programme's own counts.
    pub pseudo_checks: f64,
    pub area: HashMap<String, f64>,
    pub item: HashMap<String, f64>,
}

impl Prevalence {
    /// The prior find rate of an item of `area`.
    pub fn prior(&self, item: &str, area: &str) -> f64 {
        self.item.get(item).or_else(|| self.area.get(area)).copied().unwrap_or(self.default)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// The enterprise's most frequent accident types that each get items near the top.
    pub types: usize,
    /// Within the first `within` items,
    pub within: usize,
    /// at least `per_type` items address each of them (where that many apply).
    pub per_type: usize,
    /// Types with a smaller share of the enterprise's exposure are not spread.
    pub min_share: f64,
}

/// Factors of the score that were constants once.
#[derive(Debug, Clone, PartialEq)]
pub struct Factors {
    /// Per industry match: every industry, section, division, group, class.
    pub industry: [f64; 5],
    /// An item gated on a term typical of the industry but not declared.
    pub assumed_gate: f64,
    /// Exponent of the library's weight.
    pub weight_exponent: f64,
    /// Gain per unit of exposure share matched: accident type, body part, job.
    pub exposure_gain: [f64; 3],
}

#[derive(Debug, Clone, PartialEq)]
pub struct RankingRules {
    pub version: String,
    pub factors: Factors,
    pub prevalence: Prevalence,
    /// Area → minimum items of that area among the first `core` items.
    pub floors: Vec<(String, usize)>,
    /// Floors hold within this many first items (the programme's 150).
    pub core: usize,
    /// At most this share of `core` goes to reserved items (floors and determination
    /// items); the rest is ranked by score alone.
    pub reserved_share: f64,
    pub spread: Spread,
    /// Applicable determination-standard items are always in the round.
    pub determination_always: bool,
    file: PathBuf,
    lines: HashMap<String, usize>,
}

impl Default for RankingRules {
    /// Score order only: no priors beyond a flat one, no floors, no spread.
    fn default() -> Self {
        Self {
            version: String::new(),
            factors: Factors {
                industry: [1.0, 1.15, 1.3, 1.4, 1.5],
                assumed_gate: 0.75,
                weight_exponent: 0.4,
                exposure_gain: [4.0, 1.0, 1.5],
            },
            prevalence: Prevalence {
                default: 0.15,
                reference: 0.15,
                exponent: 0.5,
                min: 0.6,
                max: 1.6,
                pseudo_checks: 10.0,
                area: HashMap::new(),
                item: HashMap::new(),
            },
            floors: Vec::new(),
            core: 150,
            reserved_share: 0.6,
            spread: Spread { types: 0, within: 20, per_type: 0, min_share: 0.05 },
            determination_always: false,
            file: PathBuf::from(RANKING),
            lines: HashMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrevalence {
    default: f64,
    reference: f64,
    exponent: f64,
    min: f64,
    max: f64,
    pseudo_checks: f64,
    #[serde(default)]
    area: BTreeMap<String, Spanned<f64>>,
    #[serde(default)]
    item: BTreeMap<String, Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFloors {
    core: usize,
    reserved_share: f64,
    #[serde(default)]
    area: BTreeMap<String, Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpread {
    types: usize,
    within: usize,
    per_type: usize,
    min_share: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetermination {
    always_in_round: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactors {
    industry: [f64; 5],
    assumed_gate: f64,
    weight_exponent: f64,
    exposure_gain: [f64; 3],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRanking {
    version: Spanned<String>,
    factors: Spanned<RawFactors>,
    prevalence: Spanned<RawPrevalence>,
    floors: Spanned<RawFloors>,
    spread: Spanned<RawSpread>,
    determination: RawDetermination,
}

impl RankingRules {
    /// Parses and checks the file: areas against the vocabulary, rates in (0, 1),
    /// factors' bounds ordered, floors within the core.
    pub fn parse(file: &Path, text: &str, vocabulary: &Vocabulary) -> Result<Self, RuleErrors> {
        let raw: RawRanking = toml::from_str(text).map_err(|e| RuleErrors(vec![toml_error(file, text, &e)]))?;
        let mut errors = Vec::new();
        let version = version_header(file, text, &raw.version).map_err(|e| errors.push(e)).unwrap_or_default();
        let at = |s: usize| line_of(text, s);
        let unit = |x: f64| x > 0.0 && x < 1.0;

        let x_line = at(raw.factors.span().start);
        let x = raw.factors.into_inner();
        let positive = |v: &[f64]| v.iter().all(|f| *f > 0.0 && *f <= 10.0);
        if !positive(&x.industry) || !x.industry.windows(2).all(|w| w[0] <= w[1]) {
            errors.push(RuleError::new(
                file,
                x_line,
                "factors `industry` must rise from every industry to class, in (0, 10]",
            ));
        }
        if !(x.assumed_gate > 0.0 && x.assumed_gate <= 1.0) {
            errors.push(RuleError::new(file, x_line, "factors `assumed_gate` is not in (0, 1]"));
        }
        if !(0.0..=2.0).contains(&x.weight_exponent) || !x.exposure_gain.iter().all(|g| (0.0..=20.0).contains(g)) {
            errors.push(RuleError::new(
                file,
                x_line,
                "factors `weight_exponent` in [0, 2], `exposure_gain` in [0, 20]",
            ));
        }
        let p_line = at(raw.prevalence.span().start);
        let p = raw.prevalence.into_inner();
        for (name, x) in [("default", p.default), ("reference", p.reference)] {
            if !unit(x) {
                errors.push(RuleError::new(file, p_line, format!("prevalence `{name}` {x} is not in (0, 1)")));
            }
        }
        if !(p.exponent > 0.0 && p.exponent <= 2.0) {
            errors.push(RuleError::new(file, p_line, format!("prevalence `exponent` {} is not in (0, 2]", p.exponent)));
        }
        if !(p.min > 0.0 && p.min <= 1.0 && p.max >= 1.0 && p.max <= 5.0) {
            errors.push(RuleError::new(file, p_line, "prevalence needs 0 < min ≤ 1 ≤ max ≤ 5"));
        }
        if !(p.pseudo_checks >= 0.0 && p.pseudo_checks.is_finite()) {
            errors.push(RuleError::new(file, p_line, "prevalence `pseudo_checks` must be ≥ 0"));
        }
        let known_area = |a: &str| vocabulary.areas.iter().any(|x| x.name == a);
        let mut area = HashMap::new();
        for (name, x) in p.area {
            let line = at(x.span().start);
            if !known_area(&name) {
                errors.push(RuleError::new(file, line, format!("area {name:?} is not in vocabulary.toml")));
            }
            if !unit(*x.get_ref()) {
                errors.push(RuleError::new(file, line, format!("prevalence of {name:?} is not in (0, 1)")));
            }
            area.insert(name, x.into_inner());
        }
        let mut item = HashMap::new();
        let mut lines = HashMap::new();
        for (id, x) in p.item {
            let line = at(x.span().start);
            if !unit(*x.get_ref()) {
                errors.push(RuleError::new(file, line, format!("prevalence of {id} is not in (0, 1)")));
            }
            lines.insert(id.clone(), line);
            item.insert(id, x.into_inner());
        }

        let f_line = at(raw.floors.span().start);
        let f = raw.floors.into_inner();
        if !(f.reserved_share > 0.0 && f.reserved_share <= 1.0) {
            errors.push(RuleError::new(file, f_line, "floors `reserved_share` is not in (0, 1]"));
        }
        let mut floors = Vec::new();
        for (name, n) in f.area {
            let line = at(n.span().start);
            if !known_area(&name) {
                errors.push(RuleError::new(file, line, format!("area {name:?} is not in vocabulary.toml")));
            }
            floors.push((name, n.into_inner()));
        }
        let total: usize = floors.iter().map(|(_, n)| n).sum();
        if total as f64 > f.core as f64 * f.reserved_share {
            errors.push(RuleError::new(
                file,
                f_line,
                format!("floors add up to {total}, more than reserved_share of the {} core items", f.core),
            ));
        }

        let s_line = at(raw.spread.span().start);
        let s = raw.spread.into_inner();
        if s.types * s.per_type > s.within {
            errors.push(RuleError::new(file, s_line, "spread: types × per_type exceeds `within`"));
        }
        if !(0.0..1.0).contains(&s.min_share) {
            errors.push(RuleError::new(file, s_line, "spread `min_share` is not in [0, 1)"));
        }
        if !errors.is_empty() {
            return Err(RuleErrors(errors));
        }
        Ok(Self {
            version,
            factors: Factors {
                industry: x.industry,
                assumed_gate: x.assumed_gate,
                weight_exponent: x.weight_exponent,
                exposure_gain: x.exposure_gain,
            },
            prevalence: Prevalence {
                default: p.default,
                reference: p.reference,
                exponent: p.exponent,
                min: p.min,
                max: p.max,
                pseudo_checks: p.pseudo_checks,
                area,
                item,
            },
            floors,
            core: f.core,
            reserved_share: f.reserved_share,
            spread: Spread { types: s.types, within: s.within, per_type: s.per_type, min_share: s.min_share },
            determination_always: raw.determination.always_in_round,
            file: file.to_path_buf(),
            lines,
        })
    }

    /// Reads the file from `source`.
    pub fn load_from(source: &crate::RuleSource, vocabulary: &Vocabulary) -> Result<Self, RuleErrors> {
        let t = source.read(Path::new(RANKING)).map_err(|e| RuleErrors(vec![e]))?;
        Self::parse(&t.path, &t.text, vocabulary)
    }

    /// Item priors naming an item the library does not have, or one not in force.
    pub fn check_items(&self, library: &HazardLibrary) -> Result<(), RuleErrors> {
        let mut errors: Vec<RuleError> = self
            .prevalence
            .item
            .keys()
            .filter(|id| library.get(id).is_none_or(|i| i.status != crate::hazards::Status::Active))
            .map(|id| {
                let line = self.lines.get(id).copied().unwrap_or(0);
                RuleError::new(&self.file, line, format!("prevalence: {id} is not an active item of the library"))
            })
            .collect();
        errors.sort_by_key(|e| e.line);
        if errors.is_empty() { Ok(()) } else { Err(RuleErrors(errors)) }
    }
}
