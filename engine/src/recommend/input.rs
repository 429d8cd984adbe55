//! What a recommendation round is computed from: the enterprise's profile and exposure,
//! its peers' feedback and its own feedback on earlier rounds.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::industry_code::IndustryCode;
use crate::risk::Mix;

/// What an enterprise has declared about one closed vocabulary (process conditions or
/// equipment of `rules/hazards/vocabulary.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    /// Terms it has.
    pub present: Vec<String>,
    /// Terms it has said it does not have.
    pub absent: Vec<String>,
    /// `present` is the whole list: nothing is assumed from the industry profile.
    pub complete: bool,
}

impl Declared {
    pub fn present(terms: &[&str]) -> Self {
        Self { present: terms.iter().map(|s| s.to_string()).collect(), ..Self::default() }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MajorHazardStatus {
    /// Holds a hazardous-chemicals major hazard installation (构成重大危险源); implies the
    /// `重大危险源` condition.
    pub installation: bool,
    /// A key enterprise of the programme (重点企业) or under key supervision.
    pub key_enterprise: bool,
}

/// One category of an exposure dimension and its share of the enterprise's accidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weighted {
    pub code: String,
    pub share: f64,
    /// The enterprise's own accidents of this category, where known (the risk model's
    /// mix carries them): the spread of a round follows the most frequent.
    #[serde(default)]
    pub own: u32,
}

/// The categories an enterprise is most exposed to: GB 6441-86 accident types (or
/// GB 6441-2025 category names), GB 6441-86 annex A1 body parts, jobs as written.
/// An empty dimension falls back to the industry profile's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    pub accident_types: Vec<Weighted>,
    pub body_parts: Vec<Weighted>,
    pub jobs: Vec<Weighted>,
}

impl Exposure {
    /// The risk model's mix (posterior shares, own history shrunk to the industry's).
    pub fn from_mix(mix: &Mix) -> Self {
        let w = |shares: &[crate::risk::Share]| {
            shares
                .iter()
                .filter(|s| s.p > 0.0)
                .map(|s| Weighted { code: s.code.clone(), share: s.p, own: s.own })
                .collect()
        };
        Self { accident_types: w(&mix.accident_types), body_parts: w(&mix.body_parts), jobs: w(&mix.jobs) }
    }

    pub fn dimension(&self, d: usize) -> &[Weighted] {
        match d {
            0 => &self.accident_types,
            1 => &self.body_parts,
            _ => &self.jobs,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.accident_types.is_empty() && self.body_parts.is_empty() && self.jobs.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enterprise {
    #[serde(with = "industry_serde")]
    pub industry: IndustryCode,
    #[serde(default)]
    pub conditions: Declared,
    #[serde(default)]
    pub equipment: Declared,
    #[serde(default)]
    pub major_hazard: MajorHazardStatus,
    #[serde(default)]
    pub exposure: Exposure,
}

impl Enterprise {
    /// An enterprise known only by its industry: industry defaults throughout.
    pub fn new(industry: IndustryCode) -> Self {
        Self {
            industry,
            conditions: Declared::default(),
            equipment: Declared::default(),
            major_hazard: MajorHazardStatus::default(),
            exposure: Exposure::default(),
        }
    }
}

mod industry_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::industry_code::IndustryCode;

    pub fn serialize<S: Serializer>(c: &IndustryCode, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(c)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IndustryCode, D::Error> {
        let s = String::deserialize(d)?;
        IndustryCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How often enterprises of the same industry marked an item in their rounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerCounts {
    pub found: u32,
    pub not_found: u32,
    pub not_applicable: u32,
}

/// Peer feedback of one industry, per item id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerFeedback {
    /// Hashed: ranking looks up every applicable item.
    counts: HashMap<String, PeerCounts>,
}

impl PeerFeedback {
    pub fn new(counts: BTreeMap<String, PeerCounts>) -> Self {
        Self { counts: counts.into_iter().collect() }
    }

    pub fn get(&self, id: &str) -> Option<&PeerCounts> {
        self.counts.get(id)
    }
}

/// How this enterprise marked an item in an earlier round (the latest mark counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Mark {
    Found,
    NotFound,
    NotApplicable { reason: String },
}

/// This enterprise's latest mark per item id.
pub type OwnFeedback = BTreeMap<String, Mark>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// The round holds at least this many items when that many apply.
    pub min_items: usize,
    /// And at most this many (raised to `min_items` if lower).
    pub max_items: usize,
}

impl Default for Options {
    /// 150 is the programme's target per enterprise; 200 leaves room for the items an
    /// officer marks not applicable without dropping below it.
    fn default() -> Self {
        Self { min_items: 150, max_items: 200 }
    }
}
