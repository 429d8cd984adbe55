//! The obvious predictors a model has to beat, each calibrated on the same pre-cutoff
//! training pair as the model (one level factor: Σ following / Σ predicted), so that
//! deviance compares ranking and shape, not an uncorrected level.
//!
//! - last period: the enterprise's own count, as a rate;
//! - industry mean: the mean rate of enterprises of its 2-digit industry group;
//! - Bühlmann: Z · own + (1 − Z) · industry mean, Z from the spread of counts.
//!
//! Their type predictions: own most frequent types; the industry group's mix; and the
//! same Z mixing own and group shares.

use std::collections::HashMap;

use super::credibility::Buhlmann;
use super::features::Counts;
use super::panel::Panel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    LastPeriod,
    IndustryMean,
    Buhlmann,
}

impl Baseline {
    pub const ALL: [Baseline; 3] = [Baseline::LastPeriod, Baseline::IndustryMean, Baseline::Buhlmann];

    pub fn name(self) -> &'static str {
        match self {
            Baseline::LastPeriod => "last_period",
            Baseline::IndustryMean => "industry_mean",
            Baseline::Buhlmann => "buhlmann",
        }
    }

    /// Accidents per window for every firm (zero where the firm had none and the
    /// baseline has nothing else), from one window's counts.
    pub fn raw(self, panel: &Panel, counts: &Counts) -> Vec<f64> {
        let group_mean = group_means(panel, counts);
        let gm = |i: usize| panel.firms[i].group.and_then(|g| group_mean.get(&g).copied()).unwrap_or(0.0);
        match self {
            Baseline::LastPeriod => counts.n.clone(),
            Baseline::IndustryMean => (0..counts.n.len()).map(gm).collect(),
            Baseline::Buhlmann => {
                let seen: Vec<f64> = counts.n.iter().copied().filter(|&n| n > 0.0).collect();
                let z = Buhlmann::estimate(&seen).z();
                (0..counts.n.len()).map(|i| z * counts.n[i] + (1.0 - z) * gm(i)).collect()
            }
        }
    }

    /// Predictions over the horizon for `rows`: raw values of the scoring window,
    /// levelled by the factor that maps the training window's raw values onto the
    /// following counts, and rescaled from the training target length to the horizon.
    pub fn predict(
        self,
        panel: &Panel,
        train: &Counts,
        train_target: &[f64],
        scoring: &Counts,
        scale: f64,
        rows: &[usize],
    ) -> Vec<f64> {
        let raw_train = self.raw(panel, train);
        let (mut num, mut den) = (0.0, 0.0);
        for (i, &n) in train.n.iter().enumerate() {
            if n > 0.0 {
                num += train_target[i];
                den += raw_train[i];
            }
        }
        let level = if den > 0.0 { num / den } else { 0.0 };
        let raw = self.raw(panel, scoring);
        rows.iter().map(|&i| (level * raw[i] * scale).max(1e-9)).collect()
    }

    /// The `k` most likely accident types per row, before the cutoff.
    pub fn top_types(
        self,
        panel: &Panel,
        counts: &Counts,
        cutoff: chrono::NaiveDate,
        rows: &[usize],
        k: usize,
    ) -> Vec<Vec<String>> {
        let width = panel.cats[0].len();
        let mut global: Vec<f64> = vec![0.0; width];
        let mut group: HashMap<u32, Vec<f64>> = HashMap::new();
        let mut own: HashMap<usize, Vec<f64>> = rows.iter().map(|&i| (i, vec![0.0; width])).collect();
        for e in panel.events.iter().filter(|e| e.date < cutoff) {
            let Some(t) = e.cats[0] else { continue };
            global[t as usize] += 1.0;
            if let Some(g) = panel.firms[e.enterprise as usize].group {
                group.entry(g).or_insert_with(|| vec![0.0; width])[t as usize] += 1.0;
            }
            if let Some(o) = own.get_mut(&(e.enterprise as usize)) {
                o[t as usize] += 1.0;
            }
        }
        let seen: Vec<f64> = counts.n.iter().copied().filter(|&n| n > 0.0).collect();
        let b = Buhlmann::estimate(&seen);
        let big_k = if b.vhm > 0.0 { b.epv / b.vhm } else { f64::INFINITY };
        let share = |v: &[f64], t: usize| -> f64 {
            let s: f64 = v.iter().sum();
            if s > 0.0 { v[t] / s } else { 0.0 }
        };
        rows.iter()
            .map(|&i| {
                let mine = &own[&i];
                let g = panel.firms[i].group.and_then(|g| group.get(&g));
                let n: f64 = mine.iter().sum();
                let z = if big_k.is_finite() { n / (n + big_k) } else { 0.0 };
                let score = |t: usize| -> f64 {
                    let gs: f64 = g.map_or(0.0, |g| share(g, t));
                    match self {
                        Baseline::LastPeriod => mine[t],
                        Baseline::IndustryMean => gs,
                        Baseline::Buhlmann => z * share(mine, t) + (1.0 - z) * gs,
                    }
                };
                let mut order: Vec<usize> = (0..width).collect();
                // Ties (e.g. types the enterprise never had) fall back to overall frequency.
                order.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(global[b].total_cmp(&global[a])));
                order.into_iter().take(k).map(|t| panel.cats[0].names[t].clone()).collect()
            })
            .collect()
    }
}

fn group_means(panel: &Panel, counts: &Counts) -> HashMap<u32, f64> {
    let mut acc: HashMap<u32, (f64, f64)> = HashMap::new();
    for (f, &n) in panel.firms.iter().zip(&counts.n) {
        if let (Some(g), true) = (f.group, n > 0.0) {
            let e = acc.entry(g).or_default();
            e.0 += n;
            e.1 += 1.0;
        }
    }
    acc.into_iter().map(|(g, (s, c))| (g, s / c)).collect()
}
