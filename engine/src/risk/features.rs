//! Per-enterprise counts in a time window and the GLM design built from them.

use chrono::{Months, NaiveDate};

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

pub const FEATURES: [&str; 2] = ["log_own_rate", "log_industry_ratio"];

/// The two covariates of the count model for one window:
/// - `log_own_rate`: ln((n + a) / months), the enterprise's own accident rate with the
///   Gamma-Poisson pseudo-count `a`, so one accident is not read as a rate of one per
///   window and an enterprise with none still has a finite value;
/// - `log_industry_ratio`: ln of its industry's accidents per enterprise with an
///   accident (each capped, smoothed 2 → 3 → 4 → 6 digits, leaving the enterprise
///   itself out) over the same figure for all industries. It says how concentrated
///   accidents are in the industry's enterprises, which is what predicts a repeat.
#[derive(Debug, Clone)]
pub struct Design {
    pub months: f64,
    pub tree: RateTree,
    pub rows: Vec<[f64; 2]>,
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
        let mut rows = Vec::with_capacity(panel.firms.len());
        let mut industry_ratio = Vec::with_capacity(panel.firms.len());
        for (f, &n) in panel.firms.iter().zip(&counts.n) {
            let own = (n > 0.0).then(|| capped(n));
            let ratio = (tree.value(&f.path, own) / root).max(1e-3);
            industry_ratio.push(ratio);
            rows.push([((n + config.own_pseudo_count) / months).ln(), ratio.ln()]);
        }
        Self { months, tree, rows, industry_ratio }
    }
}
