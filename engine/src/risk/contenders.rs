//! linfa's logistic models as contenders to the credibility GLM, on the same data:
//! - P(any accident): `LogisticRegression` on the GLM's design, trained on whether each
//!   training enterprise had an accident in the training target window;
//! - the accident-type mix: `MultiLogisticRegression` over the types, trained on the
//!   typed accidents of the training target window, from each one's industry mix and
//!   its enterprise's own type shares before that window (the two things the Dirichlet
//!   mix blends with fixed weights; here the weights are learned per type).
//!
//! The backtest prints them beside the GLM and the baselines; `--model` picks which
//! one's predictions are written. Both are L2-penalised (`ALPHA`), since the type model
//! has a coefficient per type and covariate and few typed accidents per type.

use chrono::NaiveDate;
use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::{LogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::features::Window;
use super::mix::MixModel;
use super::model::TrainingSet;
use super::panel::{Dim, Panel};
use super::{RiskConfig, RiskError};

const ALPHA: f64 = 1.0;
const MAX_ITER: u64 = 200;

fn linfa_error(e: linfa_logistic::error::Error) -> RiskError {
    RiskError::Linfa(e.to_string())
}

/// P(any accident in a window as long as the training target) for each row of
/// `scoring` (the same columns as the training set's records).
pub fn logistic_any(training: &TrainingSet, scoring: ArrayView2<f64>) -> Result<Vec<f64>, RiskError> {
    let y: Array1<bool> = training.data.targets.mapv(|v| v > 0.0);
    if y.iter().all(|&v| v) || y.iter().all(|&v| !v) {
        return Err(RiskError::TooLittleData("the training target window has one outcome only".into()));
    }
    let data = Dataset::new(training.data.records.clone(), y);
    let model = LogisticRegression::default().alpha(ALPHA).max_iterations(MAX_ITER).fit(&data).map_err(linfa_error)?;
    // linfa gives the probability of the class it labels positive; which of the two
    // that is depends on the labels, so read it rather than assume.
    let p = model.predict_probabilities(&scoring);
    Ok(if model.labels().pos.class { p.to_vec() } else { p.iter().map(|p| 1.0 - p).collect() })
}

/// The type model's covariates, one row per firm: ln of its industry's smoothed mix
/// (its own accidents left out) and its own type shares, from the accidents `mix` saw.
fn type_matrix(mix: &MixModel, panel: &Panel, firms: &[usize]) -> Array2<f64> {
    let width = panel.cats[Dim::Type as usize].len();
    let mut x = Array2::zeros((firms.len(), 2 * width));
    for (mut row, &f) in x.axis_iter_mut(Axis(0)).zip(firms) {
        let (industry, own) = mix.parts(panel, f, Dim::Type);
        let n: f64 = own.iter().sum();
        for t in 0..width {
            // Lifted by 1e-3, so a type the industry never had is unlikely, not impossible.
            row[t] = (industry[t] + 1e-3).ln();
            row[width + t] = if n > 0.0 { own[t] / n } else { 0.0 };
        }
    }
    x
}

/// The `k` most likely types of each firm in `ids` after `cutoff`, by the multinomial
/// model trained on the typed accidents of `train_target`, each read from what came
/// before that window.
pub fn multinomial_types(
    panel: &Panel,
    train_target: Window,
    cutoff: NaiveDate,
    ids: &[usize],
    k: usize,
    config: &RiskConfig,
) -> Result<Vec<Vec<String>>, RiskError> {
    let names = &panel.cats[Dim::Type as usize].names;
    let before = MixModel::build(panel, train_target.start, config);
    let (mut firms, mut labels) = (Vec::new(), Vec::new());
    for e in panel.events.iter().filter(|e| train_target.contains(e.date)) {
        if let Some(t) = e.cats[Dim::Type as usize] {
            firms.push(e.enterprise as usize);
            labels.push(t as usize);
        }
    }
    let distinct = {
        let mut l = labels.clone();
        l.sort_unstable();
        l.dedup();
        l.len()
    };
    if distinct < 2 {
        return Err(RiskError::TooLittleData("fewer than two accident types in the training target window".into()));
    }
    let data = Dataset::new(type_matrix(&before, panel, &firms), Array1::from(labels));
    let model =
        MultiLogisticRegression::default().alpha(ALPHA).max_iterations(MAX_ITER).fit(&data).map_err(linfa_error)?;
    let now = MixModel::build(panel, cutoff, config);
    let probs = model.predict_probabilities(&type_matrix(&now, panel, ids));
    let classes = model.classes();
    Ok(probs
        .axis_iter(Axis(0))
        .map(|p| {
            let mut order: Vec<usize> = (0..classes.len()).collect();
            order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(classes[a].cmp(&classes[b])));
            order.into_iter().take(k).map(|c| names[classes[c]].clone()).collect()
        })
        .collect())
}
