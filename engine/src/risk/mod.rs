//! Per-enterprise risk: expected accidents over a horizon, the chance of any and of a
//! serious one, percentiles among peers, the exposure mix over accident types, body
//! parts and jobs, the factors behind each score, and the backtest that keeps all of it
//! honest against simple baselines.
//!
//! The count model is a pooled Poisson GLM on credibility-style covariates (own rate
//! with a Gamma-Poisson pseudo-count, industry rate smoothed down the industry tree);
//! its level is learned on history → following-window pairs before the cutoff. The
//! mixes are Dirichlet-multinomial posteriors around the industry's smoothed mix.

pub mod backtest;
pub mod baselines;
pub mod contenders;
pub mod credibility;
pub mod explain;
pub mod features;
pub mod glm;
pub mod input;
pub mod metrics;
pub mod mix;
pub mod model;
mod panel;

use serde::{Deserialize, Serialize};

pub use backtest::{Backtest, BacktestRow, Contender, Metrics, backtest};
pub use explain::{Dimension, Factor, FactorKind};
pub use input::{Accident, EmployerSignals, Enterprise, IndustryPath};
pub use mix::{Mix, Share};
pub use model::{Assessment, EnterpriseScore, MODEL_VERSION, ModelInfo, Plan, TrainingSet, assess};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskConfig {
    /// Months ahead that expected counts are for.
    pub horizon_months: u32,
    /// Months of history an enterprise is scored from.
    pub history_months: u32,
    /// Gamma-Poisson pseudo-count added to an enterprise's own accidents.
    pub own_pseudo_count: f64,
    /// Pseudo-enterprises of the parent level at each level of the industry tree.
    pub industry_k: f64,
    /// An enterprise counts at most this many accidents toward its industry's rate, so
    /// one large repeater does not make its whole industry look risky.
    pub count_cap: f64,
    /// Pseudo-accidents of the industry mix against an enterprise's own.
    pub mix_weight: f64,
    /// Pseudo-accidents of the parent's mix at each level of the industry tree.
    pub mix_industry_k: f64,
    /// Pseudo-accidents of the industry's serious share against an enterprise's own.
    pub severe_k: f64,
    /// Categories kept per mix dimension in a score.
    pub mix_top: usize,
    /// Covariates of the count model, by name (see `features::FEATURES`).
    pub features: Vec<String>,
}

/// Defaults chosen on the mean over five 2015 cut-offs of the OSHA file (May–September,
/// 4–6 month horizons), not on one split; every one of them is a prior weight, so
/// halving or doubling one moves no mean metric by more than about 0.01.
impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            horizon_months: 12,
            history_months: 12,
            own_pseudo_count: 0.1,
            industry_k: 50.0,
            count_cap: 10.0,
            mix_weight: 20.0,
            mix_industry_k: 100.0,
            severe_k: 20.0,
            mix_top: 10,
            features: DEFAULT_FEATURES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The covariates the production fit uses: the credibility pair and the word count of
/// the employer's resolved name, which won on the 2015 folds (three cutoffs, 4-month
/// horizons; `zhicha engine backtest --cutoff 2015-05-01,2015-07-01,2015-09-01`):
/// AUC(any) +0.02 over the pair with the name rules of before, +0.045 with today's.
/// The chain flag won too with today's aliases but lost top-decile capture with the
/// earlier ones, and those aliases were found on the same year, so it is a candidate,
/// not a default. Where names are not given (registry-keyed data) the word count is
/// constant and the fit leaves it out.
pub const DEFAULT_FEATURES: &[&str] = &["log_own_rate", "log_industry_ratio", "log_name_words"];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RiskError {
    #[error("too little data to fit: {0}")]
    TooLittleData(String),
    #[error("the GLM fit failed: {0}")]
    Fit(String),
    #[error("a linfa model failed: {0}")]
    Linfa(String),
}

/// linfa's `Fit` requires the error to take linfa's own; kept as text so that
/// `RiskError` stays comparable and clonable.
impl From<linfa::Error> for RiskError {
    fn from(e: linfa::Error) -> Self {
        Self::Linfa(e.to_string())
    }
}
