//! Why an enterprise scored as it did, as data the API and reports can render.

use serde::{Deserialize, Serialize};

/// Which categorical dimension a mix or a factor is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    AccidentType,
    BodyPart,
    Job,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FactorKind {
    /// The enterprise's own accidents in the history window.
    OwnHistory { accidents: u32, months: f64 },
    /// Its industry's accidents per enterprise with an accident, relative to all
    /// industries (`industry` is the finest level the code has).
    Industry { industry: String, ratio: f64 },
    /// A category the enterprise had repeatedly, and its share of the enterprise's mix
    /// against the industry's share.
    RepeatedCategory { dimension: Dimension, code: String, accidents: u32, share: f64, industry_share: f64 },
    /// Serious injuries or deaths in the history window, which raise `p_serious`.
    SeriousHistory { serious: u32, share: f64, industry_share: f64 },
}

/// One driver of a score. `effect` is the factor by which it multiplies the quantity
/// it drives (the expected count for the first two kinds, relative to an average
/// enterprise of the fit; the category or serious share for the others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    #[serde(flatten)]
    pub kind: FactorKind,
    pub effect: f64,
}

impl Factor {
    /// A one-line reading for logs and the backtest CSV; the API serves the data.
    pub fn describe(&self) -> String {
        match &self.kind {
            FactorKind::OwnHistory { accidents, months } => {
                format!("{accidents} accidents in {months:.0} months (×{:.2})", self.effect)
            }
            FactorKind::Industry { industry, ratio } => {
                format!("industry {industry} {ratio:.2}× the overall repeat rate (×{:.2})", self.effect)
            }
            FactorKind::RepeatedCategory { code, accidents, share, industry_share, .. } => {
                format!(
                    "{accidents} accidents of type {code}: {:.0}% vs {:.0}% in the industry",
                    share * 100.0,
                    industry_share * 100.0
                )
            }
            FactorKind::SeriousHistory { serious, share, industry_share } => {
                format!(
                    "{serious} serious: serious share {:.0}% vs {:.0}% in the industry",
                    share * 100.0,
                    industry_share * 100.0
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_serialise_as_tagged_data() {
        let f = Factor { kind: FactorKind::Industry { industry: "3311".into(), ratio: 2.1 }, effect: 1.5 };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "industry", "industry": "3311", "ratio": 2.1, "effect": 1.5}));
        assert_eq!(f.describe(), "industry 3311 2.10× the overall repeat rate (×1.50)");
    }
}
