//! Honest backtest: fit on what was known before the cutoff, score the enterprises with
//! an accident in the history window, and compare with what followed in the horizon,
//! next to the baselines.

use chrono::NaiveDate;
use ndarray::Axis;
use serde::{Deserialize, Serialize};

use super::baselines::Baseline;
use super::contenders;
use super::features::{Counts, Window};
use super::metrics::{auc, poisson_deviance, spearman, top_share};
use super::model::{Fitted, Plan};
use super::panel::{Dim, Panel};
use super::{Accident, RiskConfig, RiskError};

/// Which model's predictions a backtest writes per enterprise. Every one is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contender {
    /// The credibility GLM (counts) with the Dirichlet mix (types): production.
    #[default]
    Glm,
    /// linfa's logistic regression (P(any)) with its multinomial one (types).
    Logistic,
}

impl Contender {
    pub const ALL: [Contender; 2] = [Contender::Glm, Contender::Logistic];

    pub fn name(self) -> &'static str {
        match self {
            Contender::Glm => "glm",
            Contender::Logistic => "logistic",
        }
    }
}

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
    /// The type of each of the horizon's typed accidents, repeats kept, the most
    /// frequent type first.
    pub actual_types: Option<Vec<String>>,
}

/// One predictor's metrics; None where undefined (no outcome, one class only). Type
/// hit rates are given per enterprise (one of its horizon types among the k predicted)
/// and per accident (the accident's type among its enterprise's k predicted).
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
    pub top1_accident: Option<f64>,
    pub top3_accident: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub plan: Plan,
    pub training_rows: usize,
    /// Whose predictions `rows` hold.
    pub model: Contender,
    pub rows: Vec<BacktestRow>,
    /// Each contender, then each baseline; empty without post-cutoff data.
    pub metrics: Vec<Metrics>,
    /// Contenders that could not be fitted on this cutoff's data, with the reason
    /// (the chosen one failing fails the backtest instead).
    pub unfitted: Vec<(String, String)>,
}

/// One contender's predictions for the scored enterprises.
struct Prediction {
    expected: Vec<f64>,
    types: Vec<Vec<String>>,
}

pub fn backtest(
    accidents: &[Accident],
    cutoff: NaiveDate,
    config: &RiskConfig,
    model: Contender,
) -> Result<Backtest, RiskError> {
    let panel = Panel::build(accidents, &[]);
    let fitted = Fitted::fit(&panel, cutoff, config)?;
    let plan = fitted.info.plan;
    let ids: Vec<usize> = (0..panel.firms.len()).filter(|&i| fitted.counts.n[i] > 0.0).collect();
    let horizon = Window::after(cutoff, plan.horizon_months);
    let has_future = panel.events.iter().any(|e| e.date >= cutoff);
    let actual = Counts::of(&panel, horizon);
    let actual_types = types_in(&panel, horizon, &ids);
    let mut predictions: Vec<(Contender, Prediction)> = Vec::new();
    let mut unfitted = Vec::new();
    for c in Contender::ALL {
        match predict(c, &panel, &fitted, &ids, config) {
            Ok(p) => predictions.push((c, p)),
            Err(e) if c == model => return Err(e),
            Err(e) => unfitted.push((c.name().to_string(), e.to_string())),
        }
    }
    let chosen = predictions
        .iter()
        .find(|(c, _)| *c == model)
        .map(|(_, p)| p)
        .ok_or_else(|| RiskError::Fit(format!("no predictions for {}", model.name())))?;
    let rows = ids
        .iter()
        .enumerate()
        .map(|(r, &i)| BacktestRow {
            enterprise: panel.firms[i].key.clone(),
            industry: panel.firms[i].industry.clone(),
            history_accidents: fitted.counts.n[i] as u32,
            expected_accidents: chosen.expected[r],
            p_any: 1.0 - (-chosen.expected[r]).exp(),
            top_types: chosen.types[r].clone(),
            actual_accidents: has_future.then_some(actual.n[i] as u32),
            actual_types: has_future.then(|| actual_types[r].clone()),
        })
        .collect();
    let mut metrics = Vec::new();
    if has_future {
        let y: Vec<f64> = ids.iter().map(|&i| actual.n[i]).collect();
        for (c, p) in &predictions {
            metrics.push(measure(c.name(), &p.expected, &y, &p.types, &actual_types));
        }
        for b in Baseline::ALL {
            let pred = b.predict(
                &panel,
                &fitted.training.train_counts,
                &fitted.training.target.n,
                &fitted.counts,
                plan.scale(),
                &ids,
            );
            let types = b.top_types(&panel, &fitted.counts, cutoff, &ids, 3);
            metrics.push(measure(b.name(), &pred, &y, &types, &actual_types));
        }
    }
    Ok(Backtest { plan, training_rows: fitted.info.training_rows, model, rows, metrics, unfitted })
}

fn predict(
    c: Contender,
    panel: &Panel,
    fitted: &Fitted,
    ids: &[usize],
    config: &RiskConfig,
) -> Result<Prediction, RiskError> {
    let plan = fitted.info.plan;
    match c {
        Contender::Glm => Ok(Prediction {
            expected: ids.iter().map(|&i| fitted.expected(i)).collect(),
            types: ids.iter().map(|&i| fitted.top(panel, i, Dim::Type).into_iter().take(3).collect()).collect(),
        }),
        Contender::Logistic => {
            let training = &fitted.training;
            let scoring = fitted.design.x.select(Axis(0), ids).select(Axis(1), training.active());
            let p = contenders::logistic_any(training, scoring.view())?;
            // P(any) over the training target's length, read as a Poisson rate and
            // rescaled to the horizon, so deviance compares like with like.
            let expected = p.iter().map(|&p| -(1.0 - p.min(1.0 - 1e-12)).ln() * plan.scale()).collect();
            let types =
                contenders::multinomial_types(panel, Plan::window(plan.train_target), plan.cutoff, ids, 3, config)?;
            Ok(Prediction { expected, types })
        }
    }
}

/// Per scored enterprise, the type of each typed accident in `w`, repeats kept, most
/// frequent type first.
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
            c.into_iter()
                .flat_map(|(t, n)| {
                    std::iter::repeat_n(panel.cats[Dim::Type as usize].names[t as usize].clone(), n as usize)
                })
                .collect()
        })
        .collect()
}

/// Type hit rate at k per enterprise: among enterprises with a typed accident in the
/// horizon, the share for which one of those types is among the k predicted.
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

/// Type hit rate at k per accident: among the horizon's typed accidents of scored
/// enterprises, the share whose type is among its enterprise's k predicted. An
/// enterprise with many accidents weighs as many times.
fn accident_hit_rate(predicted: &[Vec<String>], actual: &[Vec<String>], k: usize) -> Option<f64> {
    let (mut hits, mut total) = (0usize, 0usize);
    for (p, a) in predicted.iter().zip(actual) {
        let top = &p[..k.min(p.len())];
        total += a.len();
        hits += a.iter().filter(|t| top.contains(t)).count();
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
        top1_accident: accident_hit_rate(types, actual, 1),
        top3_accident: accident_hit_rate(types, actual, 3),
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

    #[test]
    fn accident_hit_rate_counts_each_accident() {
        // Enterprise 1 had three accidents (two 43, one 11) and predicted 64, 43: two of
        // three hit at k=2, none at k=1; enterprise 2's one accident hits at k=1.
        let p = vec![vec!["64".to_string(), "43".into()], vec!["62".into()]];
        let a = vec![vec!["43".to_string(), "43".into(), "11".into()], vec!["62".into()]];
        assert_eq!(accident_hit_rate(&p, &a, 1), Some(0.25));
        assert_eq!(accident_hit_rate(&p, &a, 2), Some(0.75));
        // Per enterprise both count once.
        assert_eq!(hit_rate(&p, &a, 1), Some(0.5));
        assert_eq!(accident_hit_rate(&p, &[vec![], vec![]], 1), None);
    }
}
