//! Ranking every applicable item of the library for one enterprise.

use std::collections::{BTreeMap, HashSet};

use super::explain::{
    Citation, Dimension, Driver, Explanation, ExposureSource, Factors, GateBasis, GateKind, GateMatch, IndustryMatch,
    MajorNote, MatchLevel, PeerRate, sentence,
};
use super::input::{Declared, Enterprise, Mark, Options, OwnFeedback, PeerFeedback, Weighted};
use super::output::{Ranking, Recommendation, Shortfall, Unlock};
use super::profiles::{IndustryProfiles, Typical, specificity};
use super::score;
use crate::catalog::Catalog;
use crate::hazards::{Grade, HazardItem, HazardLibrary, IndustryPattern, Status};

/// Condition implied by [`MajorHazardStatus::installation`](super::MajorHazardStatus).
const MAJOR_HAZARD_CONDITION: &str = "重大危险源";
/// Sources whose document title contains this are major-hazard determination standards.
const DETERMINATION_STANDARD: &str = "隐患判定标准";
/// Unlock suggestions listed in a shortfall.
const UNLOCKS_SHOWN: usize = 5;
const SUPERSESSION_STEPS: usize = 16;

/// The library, catalog and industry profiles a ranking reads; cheap to build.
pub struct Recommender<'a> {
    library: &'a HazardLibrary,
    catalog: &'a Catalog,
    profiles: &'a IndustryProfiles,
    active: Vec<&'a HazardItem>,
    standards: HashSet<&'a str>,
}

/// The enterprise's position on one gate vocabulary.
struct Gates<'e> {
    present: Vec<&'e str>,
    absent: Vec<&'e str>,
    assumed: Vec<&'e str>,
}

impl<'e> Gates<'e> {
    fn new(
        d: &'e Declared,
        typical: &[&'e str],
        implied: Option<&'e str>,
        known: impl Fn(&str) -> bool,
        what: &str,
        warnings: &mut Vec<String>,
    ) -> Self {
        let mut check = |list: &'e [String]| -> Vec<&'e str> {
            let mut out = Vec::new();
            for t in list.iter().map(|s| s.trim()) {
                if known(t) {
                    out.push(t);
                } else {
                    warnings.push(format!("{what} {t:?} is not in vocabulary.toml; ignored"));
                }
            }
            out
        };
        let mut present = check(&d.present);
        let absent: Vec<&str> = check(&d.absent).into_iter().filter(|t| !present.contains(t)).collect();
        if let Some(t) = implied
            && !present.contains(&t)
        {
            present.push(t);
        }
        let assumed = if d.complete {
            Vec::new()
        } else {
            typical.iter().copied().filter(|t| !present.contains(t) && !absent.contains(t)).collect()
        };
        Self { present, absent, assumed }
    }

    /// How an item's gate list is met: `Ok(None)` no gate, `Ok(Some(..))` met with the
    /// terms that met it, `Err(terms)` not met, with the terms that could still meet it.
    fn check<'i>(&self, terms: &'i [String]) -> Result<Option<(GateBasis, Vec<&'i str>)>, Vec<&'i str>> {
        if terms.is_empty() {
            return Ok(None);
        }
        let declared: Vec<&str> = terms.iter().map(String::as_str).filter(|t| self.present.contains(t)).collect();
        if !declared.is_empty() {
            return Ok(Some((GateBasis::Declared, declared)));
        }
        let assumed: Vec<&str> = terms.iter().map(String::as_str).filter(|t| self.assumed.contains(t)).collect();
        if !assumed.is_empty() {
            return Ok(Some((GateBasis::Assumed, assumed)));
        }
        Err(terms.iter().map(String::as_str).filter(|t| !self.absent.contains(t)).collect())
    }
}

/// An exposure category resolved against the catalog or vocabulary.
struct Category {
    code: String,
    name: String,
    share: f64,
    source: ExposureSource,
}

fn match_level(p: &IndustryPattern) -> MatchLevel {
    match specificity(p) {
        0 => MatchLevel::General,
        1 => MatchLevel::Section,
        2 => MatchLevel::Division,
        3 => MatchLevel::Group,
        _ => MatchLevel::Class,
    }
}

/// Pattern match on the code's parts, without formatting the code per item.
fn pattern_matches(p: &IndustryPattern, section: char, digits: &str) -> bool {
    match p {
        IndustryPattern::Any => true,
        IndustryPattern::Section(c) => *c == section,
        IndustryPattern::Prefix(d) => digits.starts_with(d.as_str()),
    }
}

impl<'a> Recommender<'a> {
    pub fn new(library: &'a HazardLibrary, catalog: &'a Catalog, profiles: &'a IndustryProfiles) -> Self {
        let standards = library
            .sources
            .list
            .iter()
            .filter(|s| s.document.contains(DETERMINATION_STANDARD))
            .map(|s| s.id.as_str())
            .collect();
        Self { library, catalog, profiles, active: library.active().collect(), standards }
    }

    /// Every applicable active item for `enterprise`, scored and ranked (best first, ties
    /// by id), with the round cut at `options`. The same inputs give the same output.
    pub fn rank(&self, enterprise: &Enterprise, peers: &PeerFeedback, own: &OwnFeedback, options: &Options) -> Ranking {
        let code = &enterprise.industry;
        let code_text = code.to_string();
        let section = code.section();
        let digits = code_text.get(1..).unwrap_or("");
        let typical = self.profiles.typical(code);
        let vocab = &self.library.vocabulary;
        let mut warnings = Vec::new();
        let implied = enterprise.major_hazard.installation.then_some(MAJOR_HAZARD_CONDITION);
        let conditions = Gates::new(
            &enterprise.conditions,
            &typical.conditions,
            implied,
            |t| vocab.has_condition(t),
            "condition",
            &mut warnings,
        );
        let equipment = Gates::new(
            &enterprise.equipment,
            &typical.equipment,
            None,
            |t| vocab.has_equipment(t),
            "equipment",
            &mut warnings,
        );
        let exposure = self.exposure(enterprise, &typical, &mut warnings);
        let own = self.own_marks(own);
        let pooled = peers.pooled_rate().unwrap_or(score::PEER_DEFAULT_RATE).clamp(0.01, 0.99);
        let names = IndustryNames::new(self.catalog, section, code.division());

        let mut items = Vec::new();
        let mut gated_out = 0usize;
        let mut unlock_counts: BTreeMap<(GateKind, &str), usize> = BTreeMap::new();
        for &item in &self.active {
            let Some(best) = item
                .applicability
                .industries
                .iter()
                .filter(|p| pattern_matches(p, section, digits))
                .max_by_key(|p| specificity(p))
            else {
                continue;
            };
            let a = &item.applicability;
            let (c, q) = (conditions.check(&a.conditions), equipment.check(&a.equipment));
            let (c, q) = match (c, q) {
                (Ok(c), Ok(q)) => (c, q),
                (c, q) => {
                    gated_out += 1;
                    for (kind, r) in [(GateKind::Condition, c), (GateKind::Equipment, q)] {
                        for t in r.err().unwrap_or_default() {
                            *unlock_counts.entry((kind, t)).or_default() += 1;
                        }
                    }
                    continue;
                }
            };
            items.push(self.recommend(
                item,
                best,
                [c, q],
                &exposure,
                &names,
                peers,
                pooled,
                own.get(item.id.as_str()),
                enterprise,
            ));
        }

        items.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.item_id.cmp(&b.item_id)));
        for (i, r) in items.iter_mut().enumerate() {
            r.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
        }
        let round_len = items.len().min(options.max_items.max(options.min_items));
        let shortfall = (items.len() < options.min_items).then(|| {
            let mut unlocks: Vec<Unlock> = unlock_counts
                .into_iter()
                .map(|((kind, term), n)| Unlock { kind, term: term.to_string(), items: n })
                .collect();
            unlocks.sort_by(|a, b| b.items.cmp(&a.items).then_with(|| a.term.cmp(&b.term)));
            unlocks.truncate(UNLOCKS_SHOWN);
            shortfall(&code_text, names.division.as_deref(), items.len(), options.min_items, gated_out, unlocks)
        });
        Ranking {
            library_version: self.library.version.clone(),
            profiles_version: self.profiles.version.clone(),
            industry: code_text,
            items,
            round_len,
            shortfall,
            warnings,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn recommend(
        &self,
        item: &HazardItem,
        best: &IndustryPattern,
        gates: [Option<(GateBasis, Vec<&str>)>; 2],
        exposure: &[Vec<Category>; 3],
        names: &IndustryNames,
        peers: &PeerFeedback,
        pooled: f64,
        mark: Option<&&Mark>,
        enterprise: &Enterprise,
    ) -> Recommendation {
        let mut drivers = Vec::new();
        let mut matched = [0.0; 3];
        let lists: [&[String]; 3] = [&item.accident_types_86, &item.body_parts, &item.applicability.jobs];
        for (d, dim) in Dimension::ALL.into_iter().enumerate() {
            for cat in &exposure[d] {
                let hit = lists[d].contains(&cat.code) || (d == 0 && item.accident_types_2025.contains(&cat.code));
                if hit {
                    matched[d] += cat.share;
                    drivers.push(Driver {
                        dimension: dim,
                        code: cat.code.clone(),
                        name: cat.name.clone(),
                        share: cat.share,
                        source: cat.source,
                    });
                }
            }
        }
        let level = match_level(best);
        let industry = IndustryMatch { level, pattern: best.to_string(), name: names.of(level) };
        let mut gate_matches = Vec::new();
        let mut basis: Option<GateBasis> = None;
        for (kind, g) in [GateKind::Condition, GateKind::Equipment].into_iter().zip(gates) {
            if let Some((b, terms)) = g {
                basis = Some(basis.map_or(b, |x| x.min(b)));
                gate_matches.extend(terms.into_iter().map(|t| GateMatch { kind, term: t.to_string(), basis: b }));
            }
        }
        let legal_basis: Vec<Citation> = item
            .legal_basis
            .iter()
            .map(|b| Citation { source: b.source.clone(), document: b.document.clone(), article: b.article.clone() })
            .collect();
        let major_grade = item.grade == Grade::Major;
        let standard = legal_basis.iter().find(|b| self.standards.contains(b.source.as_str())).cloned();
        let status = enterprise.major_hazard;
        let major = (major_grade || standard.is_some()).then_some(MajorNote {
            major_grade,
            standard,
            installation: status.installation,
            key_enterprise: status.key_enterprise,
        });
        let (peer_rate, peer_factor) = match peers.get(&item.id) {
            Some(c) => {
                let (rate, f) = score::peers(c, pooled);
                let p =
                    PeerRate { found: c.found, not_found: c.not_found, not_applicable: c.not_applicable, rate, pooled };
                (Some(p), f)
            }
            None => (None, 1.0),
        };
        let own = mark.map(|m| (*m).clone());
        let factors = Factors {
            weight: score::weight(item.weight),
            exposure: score::exposure(matched, lists.map(<[String]>::len)),
            industry: score::industry(level),
            gate: score::gate(basis),
            major: score::major(major_grade, status),
            peers: peer_factor,
            own: score::own(own.as_ref()),
        };
        let score = factors.product();
        let mut explanation = Explanation {
            drivers,
            industry,
            gates: gate_matches,
            peers: peer_rate,
            own,
            major,
            legal_basis,
            factors,
            sentence: String::new(),
        };
        explanation.sentence = sentence(&explanation);
        Recommendation {
            item_id: item.id.clone(),
            item_version: item.version,
            title: item.title.clone(),
            area: item.area.clone(),
            grade: item.grade,
            score,
            rank: 0,
            explanation,
        }
    }

    /// Per dimension, the enterprise's categories or else the industry default, resolved
    /// to names; jobs as written are mapped to the vocabulary's canonical job.
    fn exposure(&self, e: &Enterprise, typical: &Typical<'_>, warnings: &mut Vec<String>) -> [Vec<Category>; 3] {
        let mut out: [Vec<Category>; 3] = Default::default();
        for d in 0..3 {
            let own = e.exposure.dimension(d);
            let (list, source): (&[Weighted], _) = if own.is_empty() {
                (typical.mix[d].map_or(&[][..], |(m, _)| m), ExposureSource::IndustryDefault)
            } else {
                (own, ExposureSource::Enterprise)
            };
            for w in list.iter().filter(|w| w.share > 0.0 && w.share.is_finite()) {
                let resolved = match d {
                    0 => self.accident_type(&w.code),
                    1 => self.catalog.body_part.get(w.code.trim()).map(|c| (c.code.clone(), c.name_zh.clone())),
                    _ => self.library.vocabulary.job(&w.code).map(|j| (j.to_string(), j.to_string())),
                };
                let Some((code, name)) = resolved else {
                    let what = ["accident type", "body part", "job"][d];
                    warnings.push(format!("{what} {:?} of the exposure is not known; ignored", w.code));
                    continue;
                };
                match out[d].iter_mut().find(|c| c.code == code) {
                    Some(c) => c.share += w.share,
                    None => out[d].push(Category { code, name, share: w.share, source }),
                }
            }
            out[d].sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.code.cmp(&b.code)));
        }
        out
    }

    /// A GB 6441-86 code, or a GB 6441-2025 category name.
    fn accident_type(&self, code: &str) -> Option<(String, String)> {
        let code = code.trim();
        self.catalog
            .accident_type_86
            .get(code)
            .or_else(|| self.catalog.accident_type_2025.get(code))
            .map(|c| (c.code.clone(), c.name_zh.clone()))
    }

    /// Marks by item id, a superseded item's mark carried to its successor unless the
    /// successor has its own.
    fn own_marks<'o>(&self, own: &'o OwnFeedback) -> BTreeMap<&'a str, &'o Mark> {
        let mut out = BTreeMap::new();
        let mut carried = Vec::new();
        for (id, mark) in own {
            let Some(mut item) = self.library.get(id) else { continue };
            let direct = item.status != Status::Superseded;
            for _ in 0..SUPERSESSION_STEPS {
                match (item.status, item.superseded_by.as_deref().and_then(|n| self.library.get(n))) {
                    (Status::Superseded, Some(next)) => item = next,
                    _ => break,
                }
            }
            if direct {
                out.insert(item.id.as_str(), mark);
            } else {
                carried.push((item.id.as_str(), mark));
            }
        }
        for (id, mark) in carried {
            out.entry(id).or_insert(mark);
        }
        out
    }
}

/// GB/T 4754 names of the enterprise's section and division.
struct IndustryNames {
    section: Option<String>,
    division: Option<String>,
}

impl IndustryNames {
    fn new(catalog: &Catalog, section: char, division: &str) -> Self {
        let name = |c: &str| catalog.industry.get(c).map(|e| e.name_zh.clone());
        Self { section: name(&section.to_string()), division: name(division) }
    }

    fn of(&self, level: MatchLevel) -> String {
        let name = match level {
            MatchLevel::General => None,
            MatchLevel::Section => self.section.clone(),
            _ => self.division.clone(),
        };
        name.unwrap_or_else(|| "各行业".to_string())
    }
}

fn shortfall(
    code: &str,
    division: Option<&str>,
    applicable: usize,
    wanted: usize,
    gated_out: usize,
    unlocks: Vec<Unlock>,
) -> Shortfall {
    let industry = division.map_or_else(|| code.to_string(), |d| format!("{d}（{code}）"));
    let mut message = format!("{industry}适用的在用隐患条目共{applicable}项，少于{wanted}项");
    if gated_out > 0 {
        message.push_str(&format!("；另有{gated_out}项因未申报相关工艺条件或设备未列入"));
        if !unlocks.is_empty() {
            let terms: Vec<String> = unlocks.iter().map(|u| format!("{}（{}项）", u.term, u.items)).collect();
            message.push_str(&format!("，如实际涉及，申报{}可列入", terms.join("、")));
        }
    }
    message.push_str("；本行业专项条目有待补充。");
    Shortfall { wanted, applicable, gated_out, unlocks, message }
}
