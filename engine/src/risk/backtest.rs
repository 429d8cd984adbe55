//! Honest backtest: fit on what was known before the cutoff, score the enterprises with
//! an accident in the history window, and compare with what followed in the horizon,
//! next to the baselines.

use chrono::NaiveDate;
use serde::Serialize;

use super::baselines::Baseline;
use super::features::{Counts, Window};
use super::metrics::{auc, poisson_deviance, spearman, top_share};
use super::model::{Fitted, Plan};
use super::panel::{Dim, Panel};
use super::{Accident, RiskConfig, RiskError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestRow {
    pub enterprise: String,
    pub industry: String,
    pub history_accidents: u32,
    pub expected_accidents: f64,
    pub p_any: f64,
    /// The 3 most likely accident types, most likely first.
    pub top_types: Vec<String>,
    /// None when the data holds nothing after the cutoff.
    pub actual_accidents: Option<u32>,
    /// Distinct types of the horizon's accidents, most frequent first.
    pub actual_types: Option<Vec<String>>,
}

/// One predictor's metrics; None where undefined (no outcome, one class only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub name: String,
    pub deviance: Option<f64>,
    pub spearman: Option<f64>,
    pub top10_share: Option<f64>,
    pub auc_any: Option<f64>,
    pub auc_two: Option<f64>,
    pub top1_hit: Option<f64>,
    pub top3_hit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub plan: Plan,
    pub training_rows: usize,
    pub rows: Vec<BacktestRow>,
    /// The model first, then each baseline; empty without post-cutoff data.
    pub metrics: Vec<Metrics>,
}

pub fn backtest(accidents: &[Accident], cutoff: NaiveDate, config: &RiskConfig) -> Result<Backtest, RiskError> {
    let panel = Panel::build(accidents, &[]);
    let fitted = Fitted::fit(&panel, cutoff, config)?;
    let plan = fitted.info.plan;
    let ids: Vec<usize> = (0..panel.firms.len()).filter(|&i| fitted.counts.n[i] > 0.0).collect();
    let horizon = Window::after(cutoff, plan.horizon_months);
    let has_future = panel.events.iter().any(|e| e.date >= cutoff);
    let actual = Counts::of(&panel, horizon);
    let actual_types = types_in(&panel, horizon, &ids);
    let expected: Vec<f64> = ids.iter().map(|&i| fitted.expected(i)).collect();
    let top_types: Vec<Vec<String>> =
        ids.iter().map(|&i| fitted.top(&panel, i, Dim::Type).into_iter().take(3).collect()).collect();
    let rows = ids
        .iter()
        .enumerate()
        .map(|(r, &i)| BacktestRow {
            enterprise: panel.firms[i].key.clone(),
            industry: panel.firms[i].industry.clone(),
            history_accidents: fitted.counts.n[i] as u32,
            expected_accidents: expected[r],
            p_any: 1.0 - (-expected[r]).exp(),
            top_types: top_types[r].clone(),
            actual_accidents: has_future.then_some(actual.n[i] as u32),
            actual_types: has_future.then(|| actual_types[r].clone()),
        })
        .collect();
    let mut metrics = Vec::new();
    if has_future {
        let y: Vec<f64> = ids.iter().map(|&i| actual.n[i]).collect();
        metrics.push(measure("model", &expected, &y, &top_types, &actual_types));
        for b in Baseline::ALL {
            let pred =
                b.predict(&panel, &fitted.train_counts, &fitted.train_target, &fitted.counts, plan.scale(), &ids);
            let types = b.top_types(&panel, &fitted.counts, cutoff, &ids, 3);
            metrics.push(measure(b.name(), &pred, &y, &types, &actual_types));
        }
    }
    Ok(Backtest { plan, training_rows: fitted.info.training_rows, rows, metrics })
}

fn types_in(panel: &Panel, w: Window, ids: &[usize]) -> Vec<Vec<String>> {
    let mut row_of = vec![usize::MAX; panel.firms.len()];
    for (r, &i) in ids.iter().enumerate() {
        row_of[i] = r;
    }
    let mut counts: Vec<Vec<(u32, u32)>> = vec![Vec::new(); ids.len()];
    for e in panel.events.iter().filter(|e| w.contains(e.date)) {
        let (r, Some(t)) = (row_of[e.enterprise as usize], e.cats[Dim::Type as usize]) else { continue };
        if r == usize::MAX {
            continue;
        }
        match counts[r].iter_mut().find(|(k, _)| *k == t) {
            Some((_, n)) => *n += 1,
            None => counts[r].push((t, 1)),
        }
    }
    counts
        .into_iter()
        .map(|mut c| {
            c.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            c.into_iter().map(|(t, _)| panel.cats[Dim::Type as usize].names[t as usize].clone()).collect()
        })
        .collect()
}

/// Type hit rate at k: among enterprises with a typed accident in the horizon, the
/// share for which one of those types is among the k predicted.
fn hit_rate(predicted: &[Vec<String>], actual: &[Vec<String>], k: usize) -> Option<f64> {
    let (mut hits, mut total) = (0usize, 0usize);
    for (p, a) in predicted.iter().zip(actual) {
        if a.is_empty() {
            continue;
        }
        total += 1;
        if p.iter().take(k).any(|t| a.contains(t)) {
            hits += 1;
        }
    }
    (total > 0).then(|| hits as f64 / total as f64)
}

fn measure(name: &str, pred: &[f64], y: &[f64], types: &[Vec<String>], actual: &[Vec<String>]) -> Metrics {
    let any: Vec<bool> = y.iter().map(|&v| v >= 1.0).collect();
    let two: Vec<bool> = y.iter().map(|&v| v >= 2.0).collect();
    Metrics {
        name: name.to_string(),
        deviance: (!y.is_empty()).then(|| poisson_deviance(y, pred)),
        spearman: spearman(pred, y),
        top10_share: top_share(pred, y, 0.1),
        auc_any: auc(pred, &any),
        auc_two: auc(pred, &two),
        top1_hit: hit_rate(types, actual, 1),
        top3_hit: hit_rate(types, actual, 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_rate_skips_enterprises_without_a_typed_accident() {
        let p = vec![vec!["64".to_string(), "43".into()], vec!["62".into()], vec!["11".into()]];
        let a = vec![vec!["43".to_string()], vec!["62".into()], vec![]];
        assert_eq!(hit_rate(&p, &a, 1), Some(0.5));
        assert_eq!(hit_rate(&p, &a, 3), Some(1.0));
    }
}
