//! Per-enterprise counts in a time window and the GLM design built from them.

use chrono::{Months, NaiveDate};
use ndarray::Array2;

use super::RiskConfig;
use super::credibility::RateTree;
use super::panel::Panel;

/// Average month, for turning windows into exposure.
pub const DAYS_PER_MONTH: f64 = 30.436875;

/// A half-open date window [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Window {
    /// The `months` before `end`, clipped to start no earlier than `floor`.
    pub fn before(end: NaiveDate, months: u32, floor: NaiveDate) -> Self {
        let start = end.checked_sub_months(Months::new(months)).unwrap_or(floor).max(floor);
        Self { start: start.min(end), end }
    }

    pub fn after(start: NaiveDate, months: u32) -> Self {
        Self { start, end: start.checked_add_months(Months::new(months)).unwrap_or(start) }
    }

    pub fn months(&self) -> f64 {
        (self.end - self.start).num_days() as f64 / DAYS_PER_MONTH
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        d >= self.start && d < self.end
    }
}

/// Accidents per enterprise in a window.
#[derive(Debug, Clone)]
pub struct Counts {
    pub window: Window,
    pub n: Vec<f64>,
    pub severe: Vec<f64>,
}

impl Counts {
    pub fn of(panel: &Panel, window: Window) -> Self {
        let mut n = vec![0.0; panel.firms.len()];
        let mut severe = vec![0.0; panel.firms.len()];
        for e in panel.events.iter().filter(|e| window.contains(e.date)) {
            n[e.enterprise as usize] += 1.0;
            if e.severe {
                severe[e.enterprise as usize] += 1.0;
            }
        }
        Self { window, n, severe }
    }
}

/// Every covariate the count model can use, in column order. `RiskConfig::features`
/// picks the ones a fit uses; the rest stay zero-weighted. The first two are the
/// credibility pair that explanations name; the others were added as candidates and
/// kept or left by the 2015 folds (`zhicha engine backtest --folds`).
pub const FEATURES: [&str; 15] = [
    "log_own_rate",
    "log_industry_ratio",
    "log_sector_ratio",
    "log_subsector_ratio",
    "log_group_ratio",
    "log_regions",
    "recency",
    "serious_share",
    "log_industry_firms",
    "kind_public",
    "kind_health",
    "kind_education",
    "kind_staffing",
    "kind_chain",
    "log_name_words",
];

/// Column of the first kind indicator; the kinds follow in `names::KINDS` order.
const KIND_COLUMN: usize = 9;
const CHAIN_COLUMN: usize = KIND_COLUMN + crate::names::KINDS.len();
const NAME_WORDS_COLUMN: usize = CHAIN_COLUMN + 1;
/// Name lengths beyond this read as this: the effect flattens out after six words.
const NAME_WORDS_CAP: u32 = 6;
/// What a firm without a name-derived count reads as: three words, the middle of
/// the OSHA file's resolved names, so a registry-keyed firm sits mid-range.
const NAME_WORDS_UNKNOWN: u32 = 3;

/// The covariates of the count model for one window, one row per firm:
/// - `log_own_rate`: ln((n + a) / months), the enterprise's own accident rate with the
///   Gamma-Poisson pseudo-count `a`, so one accident is not read as a rate of one per
///   window and an enterprise with none still has a finite value;
/// - `log_industry_ratio`: ln of its industry's accidents per enterprise with an
///   accident (each capped, smoothed 2 → 3 → 4 → 6 digits, leaving the enterprise
///   itself out) over the same figure for all industries. It says how concentrated
///   accidents are in the industry's enterprises, which is what predicts a repeat;
/// - `log_sector_ratio`, `log_subsector_ratio`, `log_group_ratio`: the same figure
///   stopped at the first, second and third level of the code, so the fit can weigh
///   the depths instead of taking the smoothing's fixed blend;
/// - `log_regions`: ln of the regions (states, counties) its accidents were in: an
///   employer reporting from several is a large one;
/// - `recency`: exp(−months from its last accident to the window's end / 3);
/// - `serious_share`: its serious accidents over its accidents (0 without any);
/// - `log_industry_firms`: ln(1 + enterprises with an accident in its finest industry
///   node), how crowded the industry is in the data;
/// - `kind_*`: 1 for an employer of that kind by the name rules (public body, health
///   care, education, staffing agency), else 0; `kind_chain` 1 for a name that carried
///   a store or branch number or matched a brand alias, whatever its kind;
/// - `log_name_words`: ln(words of the resolved employer name, at most 6). Short names
///   are brands, agencies and large organisations; long ones ("SMITH AND SONS ROOFING
///   AND SIDING") small firms. On the 2015 folds it is the one name signal that moved
///   AUC (the kind indicators did not).
#[derive(Debug, Clone)]
pub struct Design {
    pub months: f64,
    pub tree: RateTree,
    /// firms × `FEATURES.len()`.
    pub x: Array2<f64>,
    pub industry_ratio: Vec<f64>,
}

impl Design {
    pub fn build(panel: &Panel, counts: &Counts, config: &RiskConfig) -> Self {
        let months = counts.window.months().max(1e-9);
        let mut tree = RateTree::new(panel.nodes.len(), config.industry_k);
        let capped = |n: f64| n.min(config.count_cap);
        for (f, &n) in panel.firms.iter().zip(&counts.n) {
            if n > 0.0 {
                tree.add(&f.path, capped(n));
            }
        }
        let root = tree.root(None).max(1e-9);
        // Per firm: last accident date and distinct regions, within the window.
        let mut last: Vec<Option<chrono::NaiveDate>> = vec![None; panel.firms.len()];
        let mut regions: Vec<Vec<u32>> = vec![Vec::new(); panel.firms.len()];
        for e in panel.events.iter().filter(|e| counts.window.contains(e.date)) {
            let i = e.enterprise as usize;
            last[i] = Some(last[i].map_or(e.date, |d| d.max(e.date)));
            if let Some(r) = e.region
                && !regions[i].contains(&r)
            {
                regions[i].push(r);
            }
        }
        let mut firms_at = vec![0.0f64; panel.nodes.len()];
        for (f, &n) in panel.firms.iter().zip(&counts.n) {
            if let (Some(&leaf), true) = (f.path.last(), n > 0.0) {
                firms_at[leaf as usize] += 1.0;
            }
        }
        let mut x = Array2::zeros((panel.firms.len(), FEATURES.len()));
        let mut industry_ratio = Vec::with_capacity(panel.firms.len());
        for (i, (f, &n)) in panel.firms.iter().zip(&counts.n).enumerate() {
            let own = (n > 0.0).then(|| capped(n));
            let ratio_at = |depth: usize| (tree.value(&f.path[..depth.min(f.path.len())], own) / root).max(1e-3).ln();
            let ratio = (tree.value(&f.path, own) / root).max(1e-3);
            industry_ratio.push(ratio);
            let since = last[i].map_or(f64::INFINITY, |d| (counts.window.end - d).num_days() as f64 / DAYS_PER_MONTH);
            let mut row = x.row_mut(i);
            row[0] = ((n + config.own_pseudo_count) / months).ln();
            row[1] = ratio.ln();
            row[2] = ratio_at(1);
            row[3] = ratio_at(2);
            row[4] = ratio_at(3);
            row[5] = (regions[i].len().max(1) as f64).ln();
            row[6] = (-since / 3.0).exp();
            row[7] = if n > 0.0 { counts.severe[i] / n } else { 0.0 };
            row[8] = f.path.last().map_or(0.0, |&l| firms_at[l as usize]).ln_1p();
            if let Some(k) = f.kind {
                row[KIND_COLUMN + k as usize] = 1.0;
            }
            row[CHAIN_COLUMN] = f64::from(u8::from(f.chain));
            let words = f.name_words.unwrap_or(NAME_WORDS_UNKNOWN).clamp(1, NAME_WORDS_CAP);
            row[NAME_WORDS_COLUMN] = f64::from(words).ln();
        }
        Self { months, tree, x, industry_ratio }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_columns_follow_the_name_rules_kinds() {
        for (i, k) in crate::names::KINDS.iter().enumerate() {
            assert_eq!(FEATURES[KIND_COLUMN + i], format!("kind_{k}"));
        }
        assert_eq!(FEATURES[CHAIN_COLUMN], "kind_chain");
        assert_eq!(FEATURES[NAME_WORDS_COLUMN], "log_name_words");
    }
}
