//! The bureau's analysis of the accident data (the seed's 工伤大数据分析报告): the
//! key-industry table, the training-coverage plan, trends with seasonality, what to focus
//! on next year with the special topics, and the programme-period summary with
//! suggestions. Pure functions over plain rows; the API maps database rows into
//! [`AccidentRow`] and [`EnterpriseRow`] and scopes them to the caller's region first.

pub mod coverage;
pub mod focus;
pub mod input;
pub mod key_industries;
pub mod labels;
pub mod programme;
pub mod rules;
pub mod summary;
pub mod trends;

pub use coverage::{CoveragePair, CoveragePlan, JobRow, coverage_plan};
pub use focus::{Focus, FocusItem, FocusKind, FocusOptions, Topic, focus};
pub use input::{AccidentRow, EnterpriseRow};
pub use key_industries::{KeyIndustryRow, KeyIndustryTable, key_industry_table};
pub use labels::Labels;
pub use programme::{Proposed, Reason, ReasonKind, RiskFigures, propose};
pub use rules::{AnalysisRules, KeyIndustry};
pub use summary::{Headline, Suggestion, Summary, SummaryInput, summary};
pub use trends::{Dimension, DimensionTrend, Period, Seasonality, Series, Trends, YearMonth, YearRow, trends};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error("the coverage share must be in (0, 1], got {0}")]
    Share(f64),
    #[error("the period ends before it starts: {0} .. {1}")]
    Period(String, String),
}

/// Accidents per 1,000 workers, or nothing without workers to divide by.
pub(crate) fn per_thousand(accidents: u64, workers: u64) -> Option<f64> {
    (workers > 0).then(|| accidents as f64 * 1000.0 / workers as f64)
}

/// Relative change from `before` to `after`, or nothing when `before` is zero.
pub(crate) fn change(before: f64, after: f64) -> Option<f64> {
    (before > 0.0).then(|| (after - before) / before)
}

/// Sorts `(key, count)` by count descending, then key, so ties never depend on input order.
pub(crate) fn by_count_desc<K: Ord>(v: &mut [(K, u64)]) {
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests;
