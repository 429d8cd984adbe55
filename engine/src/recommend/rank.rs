//! Ranking every applicable item of the library for one enterprise.

use std::collections::BTreeMap;

use super::arrange::{Placement, Slot, arrange};
use super::explain::{
    Dimension, Driver, Explanation, ExposureSource, Factors, GateBasis, GateKind, GateMatch, IndustryMatch, MajorNote,
    MatchLevel, PeerRate, PrevalenceNote, sentence,
};
use super::gates::{Gate, Gates, KindInput, State};
use super::index::{Index, Prepared};
use super::input::{Enterprise, Mark, Options, OwnFeedback, PeerCounts, PeerFeedback, Weighted};
use super::output::{Ranking, Recommendation, Shortfall, Unlock};
use super::profiles::{IndustryProfiles, Typical, specificity};
use super::score;
use crate::catalog::Catalog;
use crate::hazards::{Grade, HazardLibrary, IndustryPattern, Status};

/// Condition implied by [`MajorHazardStatus::installation`](super::MajorHazardStatus).
const MAJOR_HAZARD_CONDITION: &str = "重大危险源";
/// Unlock suggestions listed in a shortfall.
const UNLOCKS_SHOWN: usize = 5;
const SUPERSESSION_STEPS: usize = 16;
const GATE_KINDS: [GateKind; 2] = [GateKind::Condition, GateKind::Equipment];

/// The library, catalog and industry profiles a ranking reads, with the active items
/// indexed once (well under a millisecond); build it once per library and rank many
/// enterprises with it.
pub struct Recommender<'a> {
    library: &'a HazardLibrary,
    catalog: &'a Catalog,
    profiles: &'a IndustryProfiles,
    index: Index<'a>,
    /// Per indexed item: its prevalence prior and its weight factor, looked up and
    /// computed once here rather than for every enterprise ranked.
    priors: Vec<f64>,
    weights: Vec<f64>,
}

/// An exposure category resolved against the catalog or vocabulary.
struct Category {
    id: u16,
    share: f64,
    /// The enterprise's own accidents of it.
    own: u32,
    source: ExposureSource,
}

/// An applicable item after pass 1.
struct Candidate<'a, 'x> {
    pos: usize,
    best: &'a IndustryPattern,
    met: [Gate; 2],
    peers: Option<&'x PeerCounts>,
    score: f64,
    factors: Factors,
}

/// Everything about the enterprise that does not depend on the item.
struct Context<'a, 'x> {
    gates: Gates,
    exposure: [Vec<Category>; 3],
    marks: Vec<Option<&'x Mark>>,
    peers: &'x PeerFeedback,
    names: IndustryNames<'a>,
    enterprise: &'x Enterprise,
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
        let index = Index::new(library, catalog);
        let ranking = &profiles.ranking;
        let priors = index.items.iter().map(|p| ranking.prevalence.prior(&p.item.id, &p.item.area)).collect();
        let weights = index.items.iter().map(|p| score::weight(p.item.weight, &ranking.factors)).collect();
        Self { library, catalog, profiles, index, priors, weights }
    }

    /// Every applicable active item for `enterprise`, scored and ranked (best first, ties
    /// by id), with the round cut at `options`. The same inputs give the same output.
    pub fn rank(
        &self,
        enterprise: &Enterprise,
        peers: &PeerFeedback,
        own: &OwnFeedback,
        options: &Options,
    ) -> Ranking<'a> {
        let code = &enterprise.industry;
        let code_text = code.to_string();
        let section = code.section();
        let digits = code_text.get(1..).unwrap_or("");
        let typical = self.profiles.typical(code);
        let mut warnings = Vec::new();
        let gates = Gates::new(
            [
                KindInput {
                    declared: &enterprise.conditions,
                    typical: &typical.conditions,
                    implied: enterprise.major_hazard.installation.then_some(MAJOR_HAZARD_CONDITION),
                    names: &self.index.terms[0],
                    what: "condition",
                },
                KindInput {
                    declared: &enterprise.equipment,
                    typical: &typical.equipment,
                    implied: None,
                    names: &self.index.terms[1],
                    what: "equipment",
                },
            ],
            &mut warnings,
        );
        let cx = Context {
            gates,
            exposure: self.exposure(enterprise, &typical, &mut warnings),
            marks: self.own_marks(own),
            peers,
            names: IndustryNames::new(self.catalog, section, code.division()),
            enterprise,
        };

        // Pass 1: applicability, gates and score, without building explanations.
        let mut candidates: Vec<Candidate<'a, '_>> = Vec::with_capacity(self.index.items.len());
        let mut gated_out = 0usize;
        let mut unlock_counts: BTreeMap<(GateKind, &str), usize> = BTreeMap::new();
        for (pos, p) in self.index.items.iter().enumerate() {
            let Some(best) = p
                .item
                .applicability
                .industries
                .iter()
                .filter(|x| pattern_matches(x, section, digits))
                .max_by_key(|x| specificity(x))
            else {
                continue;
            };
            let met = [cx.gates.check(0, &p.gates[0]), cx.gates.check(1, &p.gates[1])];
            if met.contains(&Gate::Closed) {
                gated_out += 1;
                for (k, m) in met.iter().enumerate() {
                    if *m != Gate::Closed {
                        continue;
                    }
                    for &t in p.gates[k].iter().filter(|&&t| cx.gates.state(k, t) == State::Unknown) {
                        let name = self.index.terms[k][usize::from(t)];
                        *unlock_counts.entry((GATE_KINDS[k], name)).or_default() += 1;
                    }
                }
                continue;
            }
            let peer = cx.peers.get(&p.item.id);
            let factors = self.factors(pos, best, met, peer, &cx, cx.marks[pos]);
            candidates.push(Candidate { pos, best, met, peers: peer, score: factors.product(), factors });
        }
        // Best score first; an item this enterprise marked not applicable with a reason
        // after every other, so the officer's answer holds however the library ranks it.
        let ruled_out = |c: &Candidate<'_, '_>| matches!(cx.marks[c.pos], Some(Mark::NotApplicable { reason }) if !reason.trim().is_empty());
        candidates.sort_by(|a, b| {
            let id = |c: &Candidate<'_, '_>| self.index.items[c.pos].item.id.as_str();
            ruled_out(a).cmp(&ruled_out(b)).then_with(|| b.score.total_cmp(&a.score)).then_with(|| id(a).cmp(id(b)))
        });
        let round_len = candidates.len().min(options.max_items.max(options.min_items));
        // Composition: floors, determination items and the spread of accident types.
        let leading = self.leading(&cx);
        let slots: Vec<Slot<'_>> = candidates
            .iter()
            .map(|c| {
                let p = &self.index.items[c.pos];
                Slot {
                    area: &p.item.area,
                    determination: p.standard.is_some(),
                    types: &p.codes[0],
                    excluded: matches!(cx.marks[c.pos], Some(Mark::NotApplicable { .. })),
                }
            })
            .collect();
        let (order, mut placement) = arrange(&slots, round_len, &self.profiles.ranking, &leading);
        let mut taken: Vec<Option<Candidate<'a, '_>>> = candidates.into_iter().map(Some).collect();
        // Pass 2: explanations, in rank order.
        let items: Vec<Recommendation<'a>> = order
            .into_iter()
            .enumerate()
            .filter_map(|(i, k)| {
                let c = taken[k].take()?;
                Some(self.explain(c, placement[k].take(), u32::try_from(i + 1).unwrap_or(u32::MAX), &cx))
            })
            .collect();

        let shortfall = (items.len() < options.min_items).then(|| {
            let mut unlocks: Vec<Unlock> = unlock_counts
                .into_iter()
                .map(|((kind, term), n)| Unlock { kind, term: term.to_string(), items: n })
                .collect();
            unlocks.sort_by(|a, b| b.items.cmp(&a.items).then_with(|| a.term.cmp(&b.term)));
            unlocks.truncate(UNLOCKS_SHOWN);
            shortfall(&code_text, cx.names.division, items.len(), options.min_items, gated_out, unlocks)
        });
        Ranking {
            library_version: &self.library.version,
            profiles_version: &self.profiles.version,
            industry: code_text,
            items,
            round_len,
            shortfall,
            warnings,
        }
    }

    /// Exposure shares the item addresses, per dimension.
    fn matched(&self, p: &Prepared<'a>, cx: &Context<'a, '_>) -> [f64; 3] {
        let mut matched = [0.0; 3];
        for (d, m) in matched.iter_mut().enumerate() {
            *m = cx.exposure[d].iter().filter(|c| p.codes[d].contains(&c.id)).map(|c| c.share).sum();
        }
        matched
    }

    fn factors(
        &self,
        pos: usize,
        best: &IndustryPattern,
        met: [Gate; 2],
        peer: Option<&PeerCounts>,
        cx: &Context<'a, '_>,
        mark: Option<&Mark>,
    ) -> Factors {
        let p = &self.index.items[pos];
        let item = p.item;
        let basis = met.iter().filter_map(|m| if let Gate::Met(b) = m { Some(*b) } else { None }).min();
        let f = &self.profiles.ranking.factors;
        Factors {
            weight: self.weights[pos],
            exposure: score::exposure(self.matched(p, cx), p.listed, f),
            industry: score::industry(match_level(best), f),
            gate: score::gate(basis, f),
            major: score::major(item.grade == Grade::Major, cx.enterprise.major_hazard),
            prevalence: score::prevalence(self.priors[pos], peer, &self.profiles.ranking.prevalence).1,
            own: score::own(mark),
        }
    }

    /// The enterprise's leading accident types to spread over the top of its round: its
    /// most frequent in its own history, then the rest by the model's share (each above
    /// `min_share` unless it has accidents of its own), at most `spread.types`.
    fn leading(&self, cx: &Context<'a, '_>) -> Vec<(u16, &'a str, &'a str)> {
        let s = &self.profiles.ranking.spread;
        let mut by: Vec<&Category> = cx.exposure[0].iter().filter(|c| c.own > 0 || c.share >= s.min_share).collect();
        // Stable: equal counts keep the exposure's order (share, then code).
        by.sort_by_key(|c| std::cmp::Reverse(c.own));
        by.into_iter()
            .take(s.types)
            .map(|c| {
                let (code, name) = self.index.dims[0].entries[usize::from(c.id)];
                (c.id, code, name)
            })
            .collect()
    }

    fn explain(
        &self,
        c: Candidate<'a, '_>,
        placement: Option<Placement>,
        rank: u32,
        cx: &Context<'a, '_>,
    ) -> Recommendation<'a> {
        let p = &self.index.items[c.pos];
        let item = p.item;
        let mut drivers = Vec::new();
        for (d, dim) in Dimension::ALL.into_iter().enumerate() {
            for cat in cx.exposure[d].iter().filter(|cat| p.codes[d].contains(&cat.id)) {
                let (code, name) = self.index.dims[d].entries[usize::from(cat.id)];
                drivers.push(Driver { dimension: dim, code, name, share: cat.share, source: cat.source });
            }
        }
        let level = match_level(c.best);
        let mut gates = Vec::new();
        for (k, m) in c.met.into_iter().enumerate() {
            let Gate::Met(b) = m else { continue };
            let want = if b == GateBasis::Declared { State::Declared } else { State::Assumed };
            for &t in p.gates[k].iter().filter(|&&t| cx.gates.state(k, t) == want) {
                gates.push(GateMatch { kind: GATE_KINDS[k], term: self.index.terms[k][usize::from(t)], basis: b });
            }
        }
        let major_grade = item.grade == Grade::Major;
        let status = cx.enterprise.major_hazard;
        let major = (major_grade || p.standard.is_some()).then_some(MajorNote {
            major_grade,
            standard: p.standard,
            installation: status.installation,
            key_enterprise: status.key_enterprise,
        });
        let rules = &self.profiles.ranking.prevalence;
        let prior = self.priors[c.pos];
        let rate = score::prevalence(prior, c.peers, rules).0;
        let peers = c.peers.map(|n| PeerRate {
            found: n.found,
            not_found: n.not_found,
            not_applicable: n.not_applicable,
            rate,
            prior,
        });
        let mut explanation = Explanation {
            drivers,
            industry: IndustryMatch { level, pattern: c.best, name: cx.names.of(level) },
            gates,
            peers,
            prevalence: PrevalenceNote { prior, rate, reference: rules.reference },
            placement,
            own: cx.marks[c.pos].cloned(),
            major,
            legal_basis: &item.legal_basis,
            factors: c.factors,
            sentence: String::new(),
        };
        explanation.sentence = sentence(&explanation);
        Recommendation {
            item_id: &item.id,
            item_version: item.version,
            title: &item.title,
            area: &item.area,
            grade: item.grade,
            score: c.score,
            rank,
            explanation,
        }
    }

    /// Per dimension, the enterprise's categories or else the industry default, resolved
    /// to ids; jobs as written are mapped to the vocabulary's canonical job.
    fn exposure(&self, e: &Enterprise, typical: &Typical<'_>, warnings: &mut Vec<String>) -> [Vec<Category>; 3] {
        let mut out: [Vec<Category>; 3] = Default::default();
        for (d, out) in out.iter_mut().enumerate() {
            let own = e.exposure.dimension(d);
            let (list, source): (&[Weighted], _) = if own.is_empty() {
                (typical.mix[d].map_or(&[][..], |(m, _)| m), ExposureSource::IndustryDefault)
            } else {
                (own, ExposureSource::Enterprise)
            };
            for w in list.iter().filter(|w| w.share > 0.0 && w.share.is_finite()) {
                let written = w.code.trim();
                let code = if d == 2 { self.library.vocabulary.job(written) } else { Some(written) };
                let Some(id) = code.and_then(|c| self.index.dims[d].id(c)) else {
                    let what = ["accident type", "body part", "job"][d];
                    warnings.push(format!("{what} {:?} of the exposure is not known; ignored", w.code));
                    continue;
                };
                match out.iter_mut().find(|c| c.id == id) {
                    Some(c) => {
                        c.share += w.share;
                        c.own += w.own;
                    }
                    None => out.push(Category { id, share: w.share, own: w.own, source }),
                }
            }
            let entries = &self.index.dims[d].entries;
            out.sort_by(|a, b| {
                b.share.total_cmp(&a.share).then_with(|| entries[usize::from(a.id)].0.cmp(entries[usize::from(b.id)].0))
            });
        }
        out
    }

    /// Marks by item position, a superseded item's mark carried to its successor unless
    /// the successor has its own.
    fn own_marks<'o>(&self, own: &'o OwnFeedback) -> Vec<Option<&'o Mark>> {
        let mut out = vec![None; self.index.items.len()];
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
            let Some(&pos) = self.index.position.get(item.id.as_str()) else { continue };
            if direct {
                out[pos] = Some(mark);
            } else {
                carried.push((pos, mark));
            }
        }
        for (pos, mark) in carried {
            out[pos].get_or_insert(mark);
        }
        out
    }
}

/// GB/T 4754 names of the enterprise's section and division.
struct IndustryNames<'a> {
    section: Option<&'a str>,
    division: Option<&'a str>,
}

impl<'a> IndustryNames<'a> {
    fn new(catalog: &'a Catalog, section: char, division: &str) -> Self {
        let name = |c: &str| catalog.industry.get(c).map(|e| e.name_zh.as_str());
        Self { section: name(&section.to_string()), division: name(division) }
    }

    fn of(&self, level: MatchLevel) -> &'a str {
        let name = match level {
            MatchLevel::General => None,
            MatchLevel::Section => self.section,
            _ => self.division,
        };
        name.unwrap_or("各行业")
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
