//! Recommended checklists: every active item of the hazard library that applies to an
//! enterprise, scored from its exposure mix (accident types, body parts, jobs), how
//! specifically the item fits its industry, its declared or typical process conditions
//! and equipment, its major-hazard status, and feedback (peers of the same industry, its
//! own earlier rounds), each with a structured explanation and a Chinese sentence.
//!
//! Gating: an item with `conditions` or `equipment` applies only where each non-empty
//! gate list meets a term the enterprise has. A term counts as had when the enterprise
//! declares it, or — unless it declares it absent or declares its list complete — when
//! `rules/hazards/industry_profiles.toml` lists it as typical of its industry; such items
//! are marked "assumed" and rank below declared ones, and an officer who finds them not
//! applicable marks them so, which ranks them down next round. Items without gates apply
//! to every enterprise of a matching industry.
//!
//! Use: [`IndustryProfiles::load`], then [`Recommender::new`] and [`Recommender::rank`].

mod arrange;
mod explain;
mod gates;
mod index;
mod input;
mod output;
mod profiles;
mod rank;
mod ranking_rules;
mod score;

#[cfg(test)]
mod tests;

pub use arrange::Placement;
pub use explain::{
    Dimension, Driver, Explanation, ExposureSource, Factors, GateBasis, GateKind, GateMatch, IndustryMatch, MajorNote,
    MatchLevel, PeerRate, PrevalenceNote, sentence,
};
pub use input::{
    Declared, Enterprise, Exposure, MajorHazardStatus, Mark, Options, OwnFeedback, PeerCounts, PeerFeedback, Weighted,
};
pub use output::{AreaGroup, Page, Ranking, Recommendation, Shortfall, Unlock, display_order, group_by_area, page};
pub use profiles::{IndustryProfiles, PROFILES, ProfileRow, Typical};
pub use rank::Recommender;
pub use ranking_rules::{Factors as ScoreFactors, Prevalence, RANKING, RankingRules, Spread};
