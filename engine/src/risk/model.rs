//! Fit and score: the pooled GLM learns, on history → following-window pairs taken
//! before the cutoff, how an enterprise's own rate and its industry translate into
//! future accidents; that calibration then scores every enterprise from the history
//! window just before the cutoff.
//!
//! Enterprises enter the data by having an accident, so a raw accident count
//! overstates the future (regression to the mean). Learning the level from pairs of
//! earlier windows, where the same selection applies, corrects for it without ever
//! looking past the cutoff.

use std::collections::HashMap;

use chrono::NaiveDate;
use linfa::Dataset;
use linfa::traits::Fit;
use ndarray::{Array1, Axis};
use serde::{Deserialize, Serialize};

use super::credibility::{RateTree, shrink};
use super::explain::{Dimension, Factor, FactorKind};
use super::features::{Counts, Design, FEATURES, Window};
use super::glm::{PoissonGlm, PoissonRegression};
use super::mix::{Mix, MixModel};
use super::panel::{Dim, Panel};
use super::{RiskConfig, RiskError};

/// Bumped when the model's definition changes, so stored scores name what made them.
pub const MODEL_VERSION: &str = "risk-glm-credibility/2";

/// The windows a fit uses: scoring history before the cutoff, and the training pair
/// (history → target) that ends at the cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub cutoff: NaiveDate,
    pub horizon_months: u32,
    pub history: (NaiveDate, NaiveDate),
    pub train_history: (NaiveDate, NaiveDate),
    pub train_target: (NaiveDate, NaiveDate),
}

impl Plan {
    /// The training target window is as long as the horizon when the data allows, and
    /// otherwise half of the months available before the cutoff (at least one).
    pub fn new(first: NaiveDate, cutoff: NaiveDate, horizon: u32, history: u32) -> Result<Self, RiskError> {
        let mut available = 0u32;
        while first.checked_add_months(chrono::Months::new(available + 1)).is_some_and(|d| d <= cutoff) {
            available += 1;
        }
        let train_h = horizon.min(available / 2);
        if train_h == 0 || horizon == 0 {
            return Err(RiskError::TooLittleData(format!(
                "{available} whole month(s) of accidents before {cutoff}: at least 2 are needed to learn the level"
            )));
        }
        let scoring = Window::before(cutoff, history, first);
        let target = Window::before(cutoff, train_h, first);
        let train = Window::before(target.start, history, first);
        Ok(Self {
            cutoff,
            horizon_months: horizon,
            history: (scoring.start, scoring.end),
            train_history: (train.start, train.end),
            train_target: (target.start, target.end),
        })
    }

    pub fn window(w: (NaiveDate, NaiveDate)) -> Window {
        Window { start: w.0, end: w.1 }
    }

    /// Horizon over training-target length: scales a training-window count to the horizon.
    pub fn scale(&self) -> f64 {
        let target = Self::window(self.train_target).months();
        let horizon = Window::after(self.cutoff, self.horizon_months).months();
        horizon / target.max(1e-9)
    }
}

/// What was fitted, for storage beside the scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub version: String,
    pub plan: Plan,
    pub glm: PoissonGlm,
    /// Mean of each feature over the training rows (the "average enterprise" that
    /// factor effects are relative to).
    pub feature_means: Vec<f64>,
    pub training_rows: usize,
    pub config: RiskConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterpriseScore {
    pub enterprise: String,
    pub industry: String,
    pub region: Option<String>,
    pub history_accidents: u32,
    pub history_serious: u32,
    /// Expected accidents over the horizon.
    pub expected_accidents: f64,
    pub p_any: f64,
    pub p_serious: f64,
    /// 0–100, within the enterprise's 2-digit industry group and within its region.
    pub industry_percentile: Option<f64>,
    pub region_percentile: Option<f64>,
    pub mix: Mix,
    pub factors: Vec<Factor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub model: ModelInfo,
    pub scores: Vec<EnterpriseScore>,
}

/// Fits on everything before `cutoff` and scores every listed enterprise and every
/// enterprise with an accident before `cutoff`. Accidents on or after it are ignored.
pub fn assess(
    accidents: &[super::Accident],
    enterprises: &[super::Enterprise],
    cutoff: NaiveDate,
    config: &RiskConfig,
) -> Result<Assessment, RiskError> {
    let panel = Panel::build(accidents, enterprises);
    assess_panel(&panel, cutoff, config)
}

pub(crate) fn assess_panel(panel: &Panel, cutoff: NaiveDate, config: &RiskConfig) -> Result<Assessment, RiskError> {
    let fitted = Fitted::fit(panel, cutoff, config)?;
    let mut seen = vec![false; panel.firms.len()];
    seen[..panel.listed].iter_mut().for_each(|s| *s = true);
    for e in panel.events.iter().filter(|e| e.date < cutoff) {
        seen[e.enterprise as usize] = true;
    }
    let ids: Vec<usize> = (0..panel.firms.len()).filter(|&i| seen[i]).collect();
    let scores = fitted.score(panel, &ids);
    Ok(Assessment { model: fitted.info, scores })
}

/// The GLM's training rows for a cutoff: enterprises with an accident in the training
/// history window, their covariates, and their counts in the training target window.
pub struct TrainingSet {
    pub plan: Plan,
    /// The design as linfa reads it: covariates (constant ones left out), feature names
    /// and counts in the training target window.
    pub data: Dataset<f64, f64, ndarray::Ix1>,
    pub rows: usize,
    feature_means: Vec<f64>,
    active: Vec<usize>,
    pub(crate) train_counts: Counts,
    pub(crate) target: Counts,
}

impl TrainingSet {
    /// The training set `assess` would fit at `cutoff` (also for benchmarking the GLM).
    pub fn of(accidents: &[super::Accident], cutoff: NaiveDate, config: &RiskConfig) -> Result<Self, RiskError> {
        Self::build(&Panel::build(accidents, &[]), cutoff, config)
    }

    pub fn names(&self) -> Vec<String> {
        self.data.feature_names().to_vec()
    }

    /// The production GLM on this design, through linfa's `Fit`.
    pub fn fit_glm(&self) -> Result<PoissonGlm, RiskError> {
        PoissonRegression.fit(&self.data)
    }

    /// Columns of the full design (`features::FEATURES`) that the records hold.
    pub fn active(&self) -> &[usize] {
        &self.active
    }

    fn build(panel: &Panel, cutoff: NaiveDate, config: &RiskConfig) -> Result<Self, RiskError> {
        let first = panel.first_date.ok_or_else(|| RiskError::TooLittleData("no accidents".into()))?;
        let plan = Plan::new(first, cutoff, config.horizon_months, config.history_months)?;
        let train_counts = Counts::of(panel, Plan::window(plan.train_history));
        let target = Counts::of(panel, Plan::window(plan.train_target));
        let train = Design::build(panel, &train_counts, config);
        let rows: Vec<usize> = (0..panel.firms.len()).filter(|&i| train_counts.n[i] > 0.0).collect();
        if rows.len() < 10 {
            return Err(RiskError::TooLittleData(format!("{} enterprises in the training window", rows.len())));
        }
        let selected = selected_features(config)?;
        let x = train.x.select(Axis(0), &rows);
        let feature_means: Vec<f64> = x.mean_axis(Axis(0)).map_or_else(|| vec![0.0; FEATURES.len()], |m| m.to_vec());
        // A covariate that does not vary (one industry only) is left out of the fit.
        let active: Vec<usize> =
            selected.into_iter().filter(|&c| x.column(c).iter().any(|v| (v - feature_means[c]).abs() > 1e-9)).collect();
        let y: Array1<f64> = rows.iter().map(|&i| target.n[i]).collect();
        let names: Vec<&str> = active.iter().map(|&c| FEATURES[c]).collect();
        let data = Dataset::new(x.select(Axis(1), &active), y).with_feature_names(names);
        Ok(Self { plan, data, rows: rows.len(), feature_means, active, train_counts, target })
    }
}

/// Column indices of the configured covariates; an unknown name is an error.
fn selected_features(config: &RiskConfig) -> Result<Vec<usize>, RiskError> {
    config
        .features
        .iter()
        .map(|f| {
            FEATURES
                .iter()
                .position(|k| k == f)
                .ok_or_else(|| RiskError::Fit(format!("unknown feature {f:?}; known: {}", FEATURES.join(", "))))
        })
        .collect()
}

/// A fitted model with what scoring needs of the scoring window.
pub(crate) struct Fitted {
    pub info: ModelInfo,
    pub counts: Counts,
    pub design: Design,
    /// What the GLM was fitted on (the backtest fits its contenders on the same).
    pub training: TrainingSet,
    severe: RateTree,
    mix: MixModel,
}

impl Fitted {
    pub fn fit(panel: &Panel, cutoff: NaiveDate, config: &RiskConfig) -> Result<Self, RiskError> {
        let t = TrainingSet::build(panel, cutoff, config)?;
        let fit = t.fit_glm()?;
        let plan = t.plan;
        let mut coef = vec![0.0; FEATURES.len()];
        for (k, &c) in t.active.iter().enumerate() {
            coef[c] = fit.coef[k];
        }
        let mut glm = PoissonGlm { names: FEATURES.iter().map(|s| s.to_string()).collect(), coef, ..fit };
        // The training target window may be shorter than the horizon: rescale the level.
        glm.intercept += plan.scale().ln();
        let counts = Counts::of(panel, Plan::window(plan.history));
        let design = Design::build(panel, &counts, config);
        let mut severe = RateTree::new(panel.nodes.len(), config.industry_k);
        for e in panel.events.iter().filter(|e| plan_contains(&plan, e.date)) {
            severe.add(&panel.firms[e.enterprise as usize].path, f64::from(u8::from(e.severe)));
        }
        let info = ModelInfo {
            version: MODEL_VERSION.into(),
            plan,
            glm,
            feature_means: t.feature_means.clone(),
            training_rows: t.rows,
            config: config.clone(),
        };
        Ok(Self { info, counts, design, training: t, severe, mix: MixModel::build(panel, cutoff, config) })
    }

    pub fn expected(&self, firm: usize) -> f64 {
        self.info.glm.mean(self.design.x.row(firm))
    }

    pub fn score(&self, panel: &Panel, ids: &[usize]) -> Vec<EnterpriseScore> {
        let mut scores: Vec<EnterpriseScore> = ids.iter().map(|&i| self.score_one(panel, i)).collect();
        let groups: Vec<Option<&str>> =
            ids.iter().map(|&i| panel.firms[i].group.map(|g| panel.nodes.names[g as usize].as_str())).collect();
        let regions: Vec<Option<&str>> = ids.iter().map(|&i| panel.firms[i].region.as_deref()).collect();
        let expected: Vec<f64> = scores.iter().map(|s| s.expected_accidents).collect();
        let (by_group, by_region) = (percentiles(&expected, &groups), percentiles(&expected, &regions));
        for ((s, g), r) in scores.iter_mut().zip(by_group).zip(by_region) {
            s.industry_percentile = g;
            s.region_percentile = r;
        }
        scores
    }

    fn score_one(&self, panel: &Panel, i: usize) -> EnterpriseScore {
        let firm = &panel.firms[i];
        let (n, serious) = (self.counts.n[i], self.counts.severe[i]);
        let expected = self.expected(i);
        let industry_share = self.severe.value(&firm.path, None);
        let serious_share = shrink(serious, n, industry_share, self.info.config.severe_k);
        let mix = self.mix.of(panel, i);
        let glm = &self.info.glm;
        let effect = |c: usize| (glm.coef[c] * (self.design.x[[i, c]] - self.info.feature_means[c])).exp();
        let mut factors = vec![
            Factor {
                kind: FactorKind::OwnHistory { accidents: n as u32, months: self.design.months },
                effect: effect(0),
            },
            Factor {
                kind: FactorKind::Industry {
                    industry: firm.path.last().map_or_else(String::new, |&l| panel.nodes.names[l as usize].clone()),
                    ratio: self.design.industry_ratio[i],
                },
                effect: effect(1),
            },
        ];
        factors.sort_by(|a, b| b.effect.ln().abs().total_cmp(&a.effect.ln().abs()));
        if let Some(top) = mix.accident_types.iter().filter(|s| s.own >= 2).max_by_key(|s| s.own) {
            factors.push(Factor {
                kind: FactorKind::RepeatedCategory {
                    dimension: Dimension::AccidentType,
                    code: top.code.clone(),
                    accidents: top.own,
                    share: top.p,
                    industry_share: top.industry_p,
                },
                effect: top.p / top.industry_p.max(1e-9),
            });
        }
        if serious > 0.0 {
            factors.push(Factor {
                kind: FactorKind::SeriousHistory { serious: serious as u32, share: serious_share, industry_share },
                effect: serious_share / industry_share.max(1e-9),
            });
        }
        EnterpriseScore {
            enterprise: firm.key.clone(),
            industry: firm.industry.clone(),
            region: firm.region.clone(),
            history_accidents: n as u32,
            history_serious: serious as u32,
            expected_accidents: expected,
            p_any: 1.0 - (-expected).exp(),
            p_serious: 1.0 - (-expected * serious_share).exp(),
            industry_percentile: None,
            region_percentile: None,
            mix,
            factors,
        }
    }

    /// Most likely categories of one dimension for a firm (for backtests).
    pub fn top(&self, panel: &Panel, firm: usize, d: Dim) -> Vec<String> {
        self.mix.of(panel, firm).get(d).iter().map(|s| s.code.clone()).collect()
    }
}

fn plan_contains(plan: &Plan, d: NaiveDate) -> bool {
    Plan::window(plan.history).contains(d)
}

/// Percentile of each score's expected count among the scores sharing its key:
/// 100 × (below + half of ties) / group size.
pub(crate) fn percentiles(values: &[f64], keys: &[Option<&str>]) -> Vec<Option<f64>> {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            groups.entry(k).or_default().push(i);
        }
    }
    let mut out = vec![None; values.len()];
    for members in groups.into_values() {
        let mut sorted: Vec<f64> = members.iter().map(|&i| values[i]).collect();
        sorted.sort_by(f64::total_cmp);
        let len = sorted.len() as f64;
        for i in members {
            let below = sorted.partition_point(|x| *x < values[i]) as f64;
            let upto = sorted.partition_point(|x| *x <= values[i]) as f64;
            out[i] = Some(100.0 * (below + 0.5 * (upto - below)) / len);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::risk::{Accident, Enterprise};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Two industries over 2023–2024: in C33 every enterprise repeats, in C13 none does;
    /// enterprise k of each has k accidents a year.
    fn history() -> Vec<Accident> {
        let mut out = Vec::new();
        for (industry, per_year) in [("C3311", [2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 8, 9]), ("C1311", [1; 12])] {
            for (k, n) in per_year.iter().enumerate() {
                for year in [2023, 2024] {
                    for j in 0..*n {
                        out.push(Accident {
                            enterprise: format!("{industry}-{k}"),
                            industry: industry.into(),
                            region: Some("640200".into()),
                            date: NaiveDate::from_ymd_opt(year, 1 + (j * 5 + k as u32) % 12, 1).unwrap(),
                            accident_type: Some(if j % 3 == 0 { "09" } else { "03" }.into()),
                            body_part: None,
                            job: None,
                            severe: j == 4,
                            employer: Default::default(),
                        });
                    }
                }
            }
        }
        out
    }

    #[test]
    fn scores_rise_with_own_history_and_a_new_enterprise_gets_its_industry() {
        let new = |key: &str, industry: &str| Enterprise {
            key: key.into(),
            industry: industry.into(),
            region: Some("640200".into()),
            workers: None,
            employer: Default::default(),
        };
        let listed = [new("new-33", "C3311"), new("new-13", "C1311")];
        let a = assess(&history(), &listed, d("2025-01-01"), &RiskConfig::default()).unwrap();
        let get = |k: &str| a.scores.iter().find(|s| s.enterprise == k).unwrap();
        assert_eq!(a.scores.len(), 26);
        assert_eq!(a.model.plan.train_target, (d("2024-01-01"), d("2025-01-01")));
        // More own accidents, higher score, within one industry.
        assert!(get("C3311-11").expected_accidents > get("C3311-0").expected_accidents);
        // New enterprises are scored, below those with history, and by their industry.
        let (n33, n13) = (get("new-33"), get("new-13"));
        assert_eq!(n33.history_accidents, 0);
        assert!(n33.expected_accidents > 0.0 && n33.expected_accidents < get("C3311-0").expected_accidents);
        assert!(n33.expected_accidents > n13.expected_accidents);
        for s in &a.scores {
            assert!((0.0..1.0).contains(&s.p_any) && s.p_serious <= s.p_any);
            let total: f64 = s.mix.accident_types.iter().map(|t| t.p).sum();
            assert!((total - 1.0).abs() < 1e-9, "{total}");
            assert!(s.industry_percentile.is_some() && s.region_percentile.is_some());
        }
        // The repeat industry's new enterprise sits below every enterprise with history there.
        assert!(n33.industry_percentile.unwrap() < 10.0);
        assert!(matches!(get("C3311-11").factors[0].kind, crate::risk::FactorKind::OwnHistory { accidents: 9, .. }));
    }

    #[test]
    fn backtest_scores_the_history_window_and_compares_four_predictors() {
        let config = RiskConfig { horizon_months: 6, ..RiskConfig::default() };
        let bt = crate::risk::backtest(&history(), d("2024-07-01"), &config, crate::risk::Contender::Glm).unwrap();
        assert_eq!(bt.rows.len(), 24);
        let names: Vec<&str> = bt.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["glm", "logistic", "last_period", "industry_mean", "buhlmann"]);
        assert!(bt.unfitted.is_empty(), "{:?}", bt.unfitted);
        let row = bt.rows.iter().find(|r| r.enterprise == "C3311-11").unwrap();
        assert_eq!(row.top_types, ["03", "09"]);
        assert!(row.actual_accidents.is_some_and(|n| n > 0));
        // Without records after the cutoff there is nothing to compare with.
        let past: Vec<_> = history().into_iter().filter(|a| a.date < d("2024-07-01")).collect();
        let bt = crate::risk::backtest(&past, d("2024-07-01"), &config, crate::risk::Contender::Glm).unwrap();
        assert!(bt.metrics.is_empty() && bt.rows.iter().all(|r| r.actual_accidents.is_none()));
    }

    #[test]
    fn a_contender_that_cannot_fit_is_reported_not_fatal() {
        // Every enterprise has accidents every month: the logistic model sees one
        // outcome only and cannot fit; the GLM can.
        let mut data = Vec::new();
        for k in 0..12u32 {
            for month in 1..=12 {
                for year in [2023, 2024] {
                    for _ in 0..=k % 3 {
                        data.push(Accident {
                            enterprise: format!("e{k}"),
                            industry: if k % 2 == 0 { "C3311" } else { "C1311" }.into(),
                            region: None,
                            date: NaiveDate::from_ymd_opt(year, month, 1).unwrap(),
                            accident_type: Some("03".into()),
                            body_part: None,
                            job: None,
                            severe: false,
                            employer: Default::default(),
                        });
                    }
                }
            }
        }
        let config = RiskConfig { horizon_months: 6, ..RiskConfig::default() };
        let bt = crate::risk::backtest(&data, d("2024-07-01"), &config, crate::risk::Contender::Glm).unwrap();
        assert_eq!(bt.unfitted.len(), 1, "{:?}", bt.unfitted);
        assert_eq!(bt.unfitted[0].0, "logistic");
        assert!(bt.metrics.iter().all(|m| m.name != "logistic"));
        assert!(crate::risk::backtest(&data, d("2024-07-01"), &config, crate::risk::Contender::Logistic).is_err());
    }

    #[test]
    fn percentiles_count_half_the_ties() {
        let p = percentiles(&[1.0, 2.0, 2.0, 5.0, 9.0], &[Some("a"), Some("a"), Some("a"), Some("a"), None]);
        assert_eq!(p, vec![Some(12.5), Some(50.0), Some(50.0), Some(87.5), None]);
    }

    #[test]
    fn plan_learns_on_the_months_before_the_cutoff() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = Plan::new(d("2015-01-01"), d("2015-07-01"), 6, 12).unwrap();
        assert_eq!(p.history, (d("2015-01-01"), d("2015-07-01")));
        assert_eq!(p.train_target, (d("2015-04-01"), d("2015-07-01")));
        assert_eq!(p.train_history, (d("2015-01-01"), d("2015-04-01")));
        let long = Plan::new(d("2012-01-01"), d("2015-07-01"), 12, 12).unwrap();
        assert_eq!(long.train_history, (d("2013-07-01"), d("2014-07-01")));
        assert!(Plan::new(d("2015-06-15"), d("2015-07-01"), 6, 12).is_err());
    }
}
