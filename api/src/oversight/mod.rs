//! What the bureaus watch: the dashboard over their region, the analysis report and
//! its charts.

pub mod analysis;
pub mod charts;
pub mod dashboard;
