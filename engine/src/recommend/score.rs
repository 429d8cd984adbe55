//! The score of an applicable item: a product of factors, each near 1 unless its input
//! says something. Their sizes are data (`[factors]` of `rules/hazards/ranking.toml`),
//! so the ranking can be reasoned about and changed in one place.

use super::explain::{GateBasis, MatchLevel};
use super::input::{MajorHazardStatus, Mark, PeerCounts};
use super::ranking_rules::{Factors, Prevalence};

/// Exposure factor: 1 + Σ gain·(matched share / √listed), the gain per dimension
/// (accident type, body part, job: the accident type says what kind of accident an item
/// prevents, so it leads). Dividing by the square root of the number of categories an
/// item lists keeps broad items (four accident types) from outranking specific ones just
/// by listing more.
pub fn exposure(matched: [f64; 3], listed: [usize; 3], f: &Factors) -> f64 {
    let mut x = 1.0;
    for d in 0..3 {
        if listed[d] > 0 {
            x += f.exposure_gain[d] * matched[d] / (listed[d] as f64).sqrt();
        }
    }
    x
}

/// The library's weight (0, 10] is the author's judgement of importance (the major-hazard
/// determination items carry 3, most others 1–1.5); damped by an exponent below 1 so that a
/// weight-3 item does not drown the enterprise's own exposure.
pub fn weight(w: f64, f: &Factors) -> f64 {
    w.powf(f.weight_exponent)
}

/// Industry-specific items before general ones.
pub fn industry(level: MatchLevel, f: &Factors) -> f64 {
    let i = match level {
        MatchLevel::General => 0,
        MatchLevel::Section => 1,
        MatchLevel::Division => 2,
        MatchLevel::Group => 3,
        MatchLevel::Class => 4,
    };
    f.industry[i]
}

/// A declared condition is certain; an assumed one may not exist at this enterprise.
pub fn gate(basis: Option<GateBasis>, f: &Factors) -> f64 {
    match basis {
        None => 1.0,
        Some(GateBasis::Declared) => 1.2,
        Some(GateBasis::Assumed) => f.assumed_gate,
    }
}

/// Major-grade items rank up at a major hazard installation or a key enterprise; elsewhere
/// their library weight already ranks them.
pub fn major(major_grade: bool, status: MajorHazardStatus) -> f64 {
    match (major_grade, status.installation, status.key_enterprise) {
        (false, _, _) | (true, false, false) => 1.0,
        (true, true, _) => 1.3,
        (true, false, true) => 1.15,
    }
}

/// The item's find rate: its prior shrunk toward by the programme's own checks of the
/// industry's peers, `(found + k·prior) / (checked + k)`; the factor is
/// `(rate / reference)^exponent`, clamped, times a discount for the share of peers that
/// found the item not applicable.
pub fn prevalence(prior: f64, c: Option<&PeerCounts>, p: &Prevalence) -> (f64, f64) {
    let c = c.copied().unwrap_or_default();
    let checked = f64::from(c.found) + f64::from(c.not_found);
    let k = p.pseudo_checks;
    let rate = if checked + k > 0.0 { (f64::from(c.found) + k * prior) / (checked + k) } else { prior };
    let factor = (rate / p.reference).powf(p.exponent).clamp(p.min, p.max);
    let na = f64::from(c.not_applicable) / (checked + f64::from(c.not_applicable) + k.max(1.0));
    (rate, factor * (1.0 - 0.5 * na))
}

/// This enterprise's last mark: a found hazard is checked again (was it rectified?); an
/// item marked not applicable with a reason goes far down, without one less so.
pub fn own(mark: Option<&Mark>) -> f64 {
    match mark {
        None => 1.0,
        Some(Mark::Found) => 1.3,
        Some(Mark::NotFound) => 0.9,
        Some(Mark::NotApplicable { reason }) if !reason.trim().is_empty() => 0.2,
        Some(Mark::NotApplicable { .. }) => 0.6,
    }
}
