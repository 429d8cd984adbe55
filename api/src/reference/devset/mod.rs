//! The development set (`tests/devset/*.toml`): real hazards inspectors recorded at
//! real sites, from public notices, each with the library items that should catch it.
//! Measured two ways, per industry and per half:
//! - covered: an expected item is active and applicable to a site of the finding's
//!   industry (with the conditions and equipment the finding shows it has);
//! - reached: an expected item is within the top 150 of the round of the demo
//!   enterprises closest to the site's industry (of its GB/T 4754 division, those sharing
//!   the most digits of its code; the share of them when several), ranked as the server
//!   ranks them on the demo city's first day (risk model fitted on the demo history, no
//!   feedback yet).
//!
//! The halves are fixed by the finding's id (FNV-1a), so nobody chooses which findings
//! a change is tuned on.

mod demo_rounds;
mod file;
mod report;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use zhicha_engine::IndustryCode;
use zhicha_engine::recommend::{self, OwnFeedback, PeerFeedback, Recommender};

pub use demo_rounds::DemoRounds;
pub use file::{Finding, read_dir};
pub use report::{Group, Report, Tally};

use crate::reference::rules::Rules;

/// The rank within which a finding's item counts as reached.
pub const TOP: usize = 150;

/// Which half a finding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Half {
    Tune,
    Held,
}

impl Half {
    /// FNV-1a (32 bit) of the id, even → tune: stable, and no one picks.
    pub fn of(id: &str) -> Self {
        let mut h: u32 = 0x811c_9dc5;
        for b in id.bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
        if h.is_multiple_of(2) { Half::Tune } else { Half::Held }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Half::Tune => "tune",
            Half::Held => "held",
        }
    }
}

/// One finding measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub half: Half,
    pub industry: String,
    pub division: String,
    pub hazard: String,
    pub expected: Vec<String>,
    /// An expected item applies to a site of this industry.
    pub covered: bool,
    /// The closest demo enterprises, and how many have an expected item in their top
    /// 150; None when the demo city has no enterprise of the division.
    pub reached: Option<(usize, usize)>,
    /// Per expected item: its best rank over those enterprises, if ranked at all.
    pub best_rank: Vec<(String, Option<usize>)>,
    /// What is wrong with the finding's record (unknown item, bad code).
    pub problems: Vec<String>,
}

/// Measures every finding against the library of `rules` and the rounds of `demo`.
pub fn measure(rules: &Rules, demo: &DemoRounds, findings: &[Finding]) -> Vec<Outcome> {
    let recommender = Recommender::new(&rules.hazards, &rules.catalog, &rules.profiles);
    let mut applicable: HashMap<String, HashSet<String>> = HashMap::new();
    let (peers, own) = (PeerFeedback::default(), OwnFeedback::default());
    let mut out = Vec::with_capacity(findings.len());
    for f in findings {
        let mut problems = Vec::new();
        for id in f.items.iter().chain(&f.partial) {
            if rules.hazards.get(id).is_none() {
                problems.push(format!("item {id} is not in the library"));
            }
        }
        let code = match IndustryCode::parse(&f.industry) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("industry {}: {e}", f.industry));
                out.push(Outcome {
                    id: f.id.clone(),
                    half: Half::of(&f.id),
                    industry: f.industry.clone(),
                    division: String::new(),
                    hazard: f.hazard.clone(),
                    expected: f.items.clone(),
                    covered: false,
                    reached: None,
                    best_rank: Vec::new(),
                    problems,
                });
                continue;
            }
        };
        // Applicability at a site of this industry with what the finding shows it has.
        let key = format!("{code}|{}|{}", f.conditions.join(","), f.equipment.join(","));
        let set = applicable.entry(key).or_insert_with(|| {
            let mut site = recommend::Enterprise::new(code.clone());
            site.conditions =
                recommend::Declared::present(&f.conditions.iter().map(String::as_str).collect::<Vec<_>>());
            site.equipment = recommend::Declared::present(&f.equipment.iter().map(String::as_str).collect::<Vec<_>>());
            let r = recommender.rank(&site, &peers, &own, &recommend::Options::default());
            r.items.iter().map(|i| i.item_id.to_string()).collect()
        });
        let covered = f.items.iter().any(|id| set.contains(id));
        let division = code.division().to_string();
        let rounds = demo.closest(&code.to_string());
        let reached = (!rounds.is_empty()).then(|| {
            let hits =
                rounds.iter().filter(|r| f.items.iter().any(|id| r.rank_of(id).is_some_and(|k| k <= TOP))).count();
            (rounds.len(), hits)
        });
        let best_rank =
            f.items.iter().map(|id| (id.clone(), rounds.iter().filter_map(|r| r.rank_of(id)).min())).collect();
        out.push(Outcome {
            id: f.id.clone(),
            half: Half::of(&f.id),
            industry: code.to_string(),
            division,
            hazard: f.hazard.clone(),
            expected: f.items.clone(),
            covered,
            reached,
            best_rank,
            problems,
        });
    }
    out
}

/// Reads the findings under `dir`, ranks the demo city and measures; the report groups
/// by the programme's key industries (others by GB/T 4754 section and division).
pub fn evaluate(rules: &Rules, demo_dir: &Path, dir: &Path) -> anyhow::Result<(Vec<Outcome>, Report, DemoRounds)> {
    let findings = read_dir(dir)?;
    let demo = DemoRounds::rank(rules, demo_dir)?;
    let outcomes = measure(rules, &demo, &findings);
    let report = Report::of(&outcomes, |o| group_of(rules, &o.industry, &o.division));
    Ok((outcomes, report, demo))
}

fn group_of(rules: &Rules, industry: &str, division: &str) -> String {
    match rules.analysis.industries_of(industry).first() {
        Some(k) => k.name.clone(),
        None => format!("其他 {}{division}", industry.chars().next().unwrap_or('?')),
    }
}

/// Item priors learned from the TUNE half only: an item named by k of its findings gets
/// its area's prior times (1 + k), at most [`PRIOR_CAP`]. The held half never feeds
/// them, so its figures show how the priors generalise. Sorted by item id.
pub fn tune_priors(rules: &Rules, findings: &[Finding]) -> Vec<(String, f64, usize)> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in findings.iter().filter(|f| Half::of(&f.id) == Half::Tune) {
        for id in &f.items {
            *counts.entry(id.as_str()).or_default() += 1;
        }
    }
    let p = &rules.profiles.ranking.prevalence;
    counts
        .into_iter()
        .filter_map(|(id, k)| {
            let item = rules.hazards.get(id)?;
            let base = p.area.get(&item.area).copied().unwrap_or(p.default);
            Some((id.to_string(), (base * (1.0 + k as f64)).min(PRIOR_CAP), k))
        })
        .collect()
}

/// The highest prior the tune half can give an item.
pub const PRIOR_CAP: f64 = 0.8;

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// The committed set, the built-in rules and the built-in demo city.
    fn measured() -> (Vec<Outcome>, Report, DemoRounds) {
        let rules = crate::reference::rules::load_once(Path::new("")).unwrap_or_else(|e| panic!("{e}"));
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/devset");
        evaluate(&rules, Path::new(""), &dir).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn halves_are_fixed_by_the_id() {
        // FNV-1a of the id, even → tune, as in the Python snippet collectors use:
        // "DS-HC-0001" hashes to 574870818 (even), tune;
        assert_eq!(Half::of("DS-HC-0001"), Half::Tune);
        // "DS-HC-0002" to 558093199 (odd), held.
        assert_eq!(Half::of("DS-HC-0002"), Half::Held);
        let tune = (1..=200).filter(|n| Half::of(&format!("DS-XX-{n:04}")) == Half::Tune).count();
        assert!((70..=130).contains(&tune), "{tune} of 200 in the tune half");
    }

    #[test]
    fn the_development_set_is_whole_and_every_demo_round_holds_what_it_must() {
        let (outcomes, report, demo) = measured();
        println!("{report}");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(outcomes.len() >= 200, "{} findings", outcomes.len());
        for r in &demo.rounds {
            assert!(r.problems.is_empty(), "demo round {} ({}): {:?}", r.key, r.industry, r.problems);
        }
        // The targets (90% covered, 75% within the top 150) hold on the tune half
        // the ranking's data was learned from. The held half is short of them (77.0% and
        // 58.9% when the data was set, 2026-12-05); its floors guard against going back.
        let (tune, held) = (&report.total.tune, &report.total.held);
        assert!(tune.covered_share() >= 0.90 && tune.reached_share() >= 0.75, "tune half: {tune:?}");
        assert!(held.covered_share() >= 0.75 && held.reached_share() >= 0.55, "held half: {held:?}");
        // Every key industry of the programme has a demo enterprise to rank for.
        let rules = crate::reference::rules::load_once(Path::new("")).unwrap_or_else(|e| panic!("{e}"));
        for k in &rules.analysis.key_industries {
            let has = demo
                .rounds
                .iter()
                .any(|r| zhicha_engine::IndustryCode::parse(&r.industry).is_ok_and(|c| k.contains(&c)));
            assert!(has, "no demo enterprise in {}", k.name);
        }
    }
}
