//! The demo city's rounds on its first day, computed from the files as the server
//! computes them from the database: the risk model fitted on the demo history (cutoff
//! the day after the newest accident), each enterprise's mix as its exposure, a key
//! enterprise, nothing declared, no feedback yet.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Days, NaiveDate};
use zhicha_engine::IndustryCode;
use zhicha_engine::recommend::{self, Exposure, OwnFeedback, PeerFeedback, Recommender};
use zhicha_engine::risk::{self, RiskConfig};

use crate::reference::import::{generic, rows, scan};
use crate::reference::rules::Rules;
use crate::reference::seed::demo_files;

/// One demo enterprise's ranking: item id → rank (1-based), every applicable item.
pub struct DemoRound {
    pub key: String,
    pub industry: String,
    ranks: HashMap<String, usize>,
    /// What the round must hold and does not (see [`check`]).
    pub problems: Vec<String>,
}

/// The basics every round holds, with the floor of `ranking.toml` (where that many apply).
const BASICS: [&str; 2] = ["消防安全", "电气安全"];
/// The enterprise's most frequent accident types that must have items in the top 20.
const LEADING_TYPES: usize = 2;
const TOP_OF_ROUND: usize = 20;

/// What issue 18 asks of every demo round: at least 150 explained items, the fire and
/// electrical basics at their floors, every applicable determination item, and items for
/// each of the enterprise's two most frequent accident types (of its own history, GB
/// 6441-86; equal counts ordered by the risk model's share) within the top 20.
fn check(rules: &Rules, r: &zhicha_engine::recommend::Ranking<'_>, history: &[(String, usize)]) -> Vec<String> {
    let mut out = Vec::new();
    let round = &r.items[..r.round_len];
    if round.len() < 150 {
        out.push(format!("{} items in the round", round.len()));
    }
    if let Some(x) = round.iter().find(|x| x.explanation.sentence.is_empty()) {
        out.push(format!("{} is not explained", x.item_id));
    }
    let ranking = &rules.profiles.ranking;
    let core = ranking.core.min(r.round_len);
    for area in BASICS {
        let floor = ranking.floors.iter().find(|(a, _)| a == area).map_or(1, |(_, n)| *n);
        let applicable = r.items.iter().filter(|x| x.area == area).count();
        let held = r.items[..core].iter().filter(|x| x.area == area).count();
        if held < floor.min(applicable) {
            out.push(format!("{held} {area} items in the first {core}, floor {floor}"));
        }
    }
    for x in r.items.iter().filter(|x| x.explanation.major.as_ref().is_some_and(|m| m.standard.is_some())) {
        if x.rank as usize > r.round_len {
            out.push(format!("determination item {} at {}", x.item_id, x.rank));
        }
    }
    for (code, n) in history.iter().take(LEADING_TYPES) {
        let addresses = |id: &str| rules.hazards.get(id).is_some_and(|i| i.accident_types_86.iter().any(|c| c == code));
        let any = r.items.iter().any(|x| addresses(x.item_id));
        if any && !r.items.iter().take(TOP_OF_ROUND).any(|x| addresses(x.item_id)) {
            out.push(format!("no item for accident type {code} ({n} accidents) in the top {TOP_OF_ROUND}"));
        }
    }
    out
}

impl DemoRound {
    pub fn rank_of(&self, item: &str) -> Option<usize> {
        self.ranks.get(item).copied()
    }
}

pub struct DemoRounds {
    pub rounds: Vec<DemoRound>,
}

impl DemoRounds {
    /// Fits and ranks the demo city of `demo_dir` (empty: the built-in one).
    pub fn rank(rules: &Rules, demo_dir: &Path) -> anyhow::Result<Self> {
        let files = demo_files::read(demo_dir, &rules.catalog)?;
        let (mapping_path, mapping_text) = demo_files::file(demo_dir, "accidents.mapping.toml")?;
        let mapping = generic::Mapping::parse(&mapping_path, &mapping_text)?;
        let (csv_path, csv) = demo_files::file(demo_dir, "accidents.csv")?;
        let text = scan::check(csv.as_bytes()).map_err(|e| anyhow::anyhow!("{}: {e}", csv_path.display()))?;
        let parsed =
            rows::read(text, &mapping.required(), &[], |r| generic::convert(r, &mapping, &rules.catalog), |_| {})
                .map_err(|e| anyhow::anyhow!("{}: {e}", csv_path.display()))?;

        let by_code: HashMap<&str, &demo_files::Enterprise> =
            files.enterprises.iter().map(|e| (e.credit_code.as_str(), e)).collect();
        let mut accidents = Vec::with_capacity(parsed.records.len());
        for r in &parsed.records {
            let Some(e) = r.enterprise.credit_code.as_deref().and_then(|c| by_code.get(c)) else { continue };
            accidents.push(risk::Accident {
                enterprise: e.key.clone(),
                industry: e.industry_code.clone(),
                region: Some(e.region_code.clone()),
                date: r.occurred_on,
                accident_type: r.accident_type.gb86.clone().or_else(|| r.accident_type.code.clone()),
                body_part: r.body_part.gb86.clone().or_else(|| r.body_part.code.clone()),
                job: r.job.clone(),
                severe: r.severity.is_serious_or_worse(),
                employer: Default::default(),
            });
        }
        let enterprises: Vec<risk::Enterprise> = files
            .enterprises
            .iter()
            .map(|e| risk::Enterprise {
                key: e.key.clone(),
                industry: e.industry_code.clone(),
                region: Some(e.region_code.clone()),
                workers: Some(f64::from(e.insured_workers)),
                employer: Default::default(),
            })
            .collect();
        // As the live refit: the day after the newest accident on record.
        let newest = accidents.iter().map(|a| a.date).max().unwrap_or(NaiveDate::MIN);
        let cutoff = newest.checked_add_days(Days::new(1)).unwrap_or(newest);
        let assessment = risk::assess(&accidents, &enterprises, cutoff, &RiskConfig::default())?;
        let mixes: HashMap<&str, &risk::Mix> =
            assessment.scores.iter().map(|s| (s.enterprise.as_str(), &s.mix)).collect();

        let recommender = Recommender::new(&rules.hazards, &rules.catalog, &rules.profiles);
        let (peers, own) = (PeerFeedback::default(), OwnFeedback::default());
        let mut rounds = Vec::with_capacity(files.enterprises.len());
        for e in &files.enterprises {
            let mut profile = recommend::Enterprise::new(IndustryCode::parse(&e.industry_code)?);
            profile.major_hazard.key_enterprise = true;
            if let Some(mix) = mixes.get(e.key.as_str()) {
                profile.exposure = Exposure::from_mix(mix);
            }
            let ranking = recommender.rank(&profile, &peers, &own, &recommend::Options::default());
            let ranks = ranking.items.iter().map(|i| (i.item_id.to_string(), i.rank as usize)).collect();
            // Most frequent in its own history; equal counts by the model's share.
            let mut history: Vec<(String, usize)> = profile
                .exposure
                .accident_types
                .iter()
                .filter(|w| w.own > 0)
                .map(|w| (w.code.clone(), w.own as usize))
                .collect();
            history.sort_by_key(|h| std::cmp::Reverse(h.1));
            let problems = check(rules, &ranking, &history);
            rounds.push(DemoRound { key: e.key.clone(), industry: e.industry_code.clone(), ranks, problems });
        }
        Ok(Self { rounds })
    }

    /// The rounds of the demo enterprises closest to the industry `code` (`C3120`,
    /// `C31`): of its division, those sharing the most digits with it (the same class
    /// where the demo has one, else the same group, else the whole division).
    pub fn closest(&self, code: &str) -> Vec<&DemoRound> {
        let digits = code.get(1..).unwrap_or("");
        let shared = |r: &DemoRound| {
            let theirs = r.industry.get(1..).unwrap_or("");
            digits.bytes().zip(theirs.bytes()).take_while(|(a, b)| a == b).count()
        };
        let best = self.rounds.iter().map(shared).filter(|&n| n >= 2).max();
        best.map_or_else(Vec::new, |n| self.rounds.iter().filter(|r| shared(r) == n).collect())
    }
}
