//! Why an item is on the list: the exposure categories it addresses with their shares,
//! how closely its industry matches, the gates it passed, peer and own feedback, the
//! major-hazard standard and legal basis, the score's factors, and one Chinese sentence
//! built from all of it.

use std::fmt::Write;

use serde::Serialize;

use super::arrange::Placement;
use super::input::Mark;
use crate::hazards::{IndustryPattern, LegalBasis};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    AccidentType,
    BodyPart,
    Job,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [Self::AccidentType, Self::BodyPart, Self::Job];
}

/// Where an exposure share came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExposureSource {
    /// The enterprise's risk model (its own accidents shrunk to its industry's).
    Enterprise,
    /// `industry_profiles.toml`, for an enterprise without a mix in this dimension.
    IndustryDefault,
}

/// One exposure category the item addresses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver<'a> {
    pub dimension: Dimension,
    pub code: &'a str,
    pub name: &'a str,
    pub share: f64,
    pub source: ExposureSource,
}

/// How specifically the item's industry patterns fit the enterprise's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchLevel {
    /// `*`: every industry.
    General,
    /// 门类
    Section,
    /// 大类
    Division,
    /// 中类
    Group,
    /// 小类
    Class,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndustryMatch<'a> {
    pub level: MatchLevel,
    /// The item's pattern that matched.
    pub pattern: &'a IndustryPattern,
    /// Name of the matched section or division (GB/T 4754), `各行业` for `*`.
    pub name: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    Condition,
    Equipment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateBasis {
    /// Not declared; typical of the industry (`industry_profiles.toml`).
    Assumed,
    /// Declared by the enterprise.
    Declared,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateMatch<'a> {
    pub kind: GateKind,
    pub term: &'a str,
    pub basis: GateBasis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerRate {
    pub found: u32,
    pub not_found: u32,
    pub not_applicable: u32,
    /// Found share, shrunk toward the item's prior.
    pub rate: f64,
    pub prior: f64,
}

/// How often inspectors find the item where it applies: the prior from public
/// inspection data (`ranking.toml`), and the rate after the programme's own checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrevalenceNote {
    pub prior: f64,
    pub rate: f64,
    /// The rate at which the factor is 1.
    pub reference: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MajorNote<'a> {
    /// The item's default grade is 重大事故隐患.
    pub major_grade: bool,
    /// The determination standard (重大事故隐患判定标准) it cites, if any.
    pub standard: Option<&'a LegalBasis>,
    pub installation: bool,
    pub key_enterprise: bool,
}

/// The multiplicative factors of the score, for audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factors {
    pub weight: f64,
    pub exposure: f64,
    pub industry: f64,
    pub gate: f64,
    pub major: f64,
    /// From [`PrevalenceNote::rate`].
    pub prevalence: f64,
    pub own: f64,
}

impl Factors {
    pub fn product(&self) -> f64 {
        self.weight * self.exposure * self.industry * self.gate * self.major * self.prevalence * self.own
    }
}

/// Borrows its texts from the library and catalog, so explaining 600 items costs a few
/// small vectors and one sentence each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation<'a> {
    /// Accident types, then body parts, then jobs; largest share first within each.
    pub drivers: Vec<Driver<'a>>,
    pub industry: IndustryMatch<'a>,
    pub gates: Vec<GateMatch<'a>>,
    pub peers: Option<PeerRate>,
    pub prevalence: PrevalenceNote,
    /// Why it is where it is, when not by its score alone.
    pub placement: Option<Placement>,
    pub own: Option<Mark>,
    pub major: Option<MajorNote<'a>>,
    pub legal_basis: &'a [LegalBasis],
    pub factors: Factors,
    pub sentence: String,
}

fn pct(x: f64) -> u32 {
    (x * 100.0).round() as u32
}

/// Appends pieces without the formatting machinery: the sentence is built for every
/// applicable item of every enterprise, so this is the ranking's hot path.
fn push(out: &mut String, pieces: &[&str]) {
    for p in pieces {
        out.push_str(p);
    }
}

fn push_u32(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let (mut i, mut n) = (digits.len(), n);
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[i..].iter().map(|&b| char::from(b)));
}

/// A prior at least this many times the reference is called common in the sentence.
const COMMON: f64 = 1.5;

/// Categories per dimension named in the sentence (all of them stay in `drivers`).
const SENTENCE_DRIVERS: usize = 3;

/// Appends clauses separated by `；`.
struct Clauses(String);

impl Clauses {
    fn next(&mut self) -> &mut String {
        if !self.0.is_empty() {
            self.0.push('；');
        }
        &mut self.0
    }

    fn drivers(&mut self, label: &str, ds: &[Driver<'_>], dim: Dimension) {
        let mut first = true;
        for d in ds.iter().filter(|d| d.dimension == dim).take(SENTENCE_DRIVERS) {
            let out = if first { self.next() } else { &mut self.0 };
            out.push_str(if first { label } else { "、" });
            push(out, &[d.name, "（"]);
            push_u32(out, pct(d.share));
            out.push_str("%）");
            first = false;
        }
    }

    fn gates(&mut self, gates: &[GateMatch<'_>], basis: GateBasis, before: &str, after: &str) {
        let mut first = true;
        for g in gates.iter().filter(|g| g.basis == basis) {
            let out = if first { self.next() } else { &mut self.0 };
            out.push_str(if first { before } else { "、" });
            out.push_str(g.term);
            first = false;
        }
        if !first {
            self.0.push_str(after);
        }
    }
}

/// One sentence from the structured explanation, clauses joined by `；`.
pub fn sentence(x: &Explanation<'_>) -> String {
    let mut c = Clauses(String::with_capacity(384));
    let label = match x.drivers.first().map(|d| d.source) {
        Some(ExposureSource::IndustryDefault) => "对应本行业常见事故类型",
        _ => "对应本企业事故类型",
    };
    c.drivers(label, &x.drivers, Dimension::AccidentType);
    c.drivers("受伤部位", &x.drivers, Dimension::BodyPart);
    c.drivers("涉及岗位", &x.drivers, Dimension::Job);
    let out = c.next();
    match x.industry.level {
        MatchLevel::General => out.push_str("各行业通用检查项"),
        MatchLevel::Section => push(out, &[x.industry.name, "通用检查项"]),
        MatchLevel::Division => push(out, &[x.industry.name, "专项检查项"]),
        MatchLevel::Group | MatchLevel::Class => {
            let _ = write!(out, "{}（{}）专项检查项", x.industry.name, x.industry.pattern);
        }
    }
    c.gates(&x.gates, GateBasis::Declared, "企业已申报涉及", "");
    c.gates(&x.gates, GateBasis::Assumed, "本行业企业普遍涉及", "（未申报，不涉及可标记不适用）");
    if let Some(m) = &x.major {
        if m.major_grade {
            let out = c.next();
            out.push_str("属重大事故隐患判定项");
            if let Some(s) = m.standard {
                push(out, &["（《", &s.document, "》", &s.article, "）"]);
            }
        }
        if m.installation {
            c.next().push_str("本企业构成重大危险源，优先排查");
        } else if m.key_enterprise && m.major_grade {
            c.next().push_str("本企业为重点企业，优先排查");
        }
    }
    if x.prevalence.prior >= COMMON * x.prevalence.reference {
        let out = c.next();
        out.push_str("检查实践中常见隐患（先验发现率");
        push_u32(out, pct(x.prevalence.prior));
        out.push_str("%）");
    }
    match &x.placement {
        Some(Placement::Floor { area, .. }) => {
            push(c.next(), &["保障", area, "基础检查项在每轮清单中的比例"]);
        }
        Some(Placement::Determination) => c.next().push_str("重大事故隐患判定标准条目，每轮必列"),
        Some(Placement::Spread { name, .. }) => {
            push(c.next(), &["本企业主要事故类型之一（", name, "），列入前列"]);
        }
        None => {}
    }
    if let Some(p) = &x.peers {
        let checked = p.found + p.not_found;
        if checked > 0 {
            let _ = write!(c.next(), "同行业企业发现率{}%（{}/{}）", pct(p.rate), p.found, checked);
        }
    }
    match &x.own {
        Some(Mark::Found) => c.next().push_str("上轮检查发现此隐患，复查整改效果"),
        Some(Mark::NotFound) => c.next().push_str("上轮检查未发现"),
        Some(Mark::NotApplicable { reason }) if !reason.trim().is_empty() => {
            let _ = write!(c.next(), "上轮标记不适用（{}），本轮降序", reason.trim());
        }
        Some(Mark::NotApplicable { .. }) => c.next().push_str("上轮标记不适用（未说明理由），本轮降序"),
        None => {}
    }
    let standard = x.major.as_ref().and_then(|m| m.standard);
    if let Some(b) = x.legal_basis.iter().find(|b| Some(*b) != standard) {
        push(c.next(), &["依据《", &b.document, "》", &b.article]);
    }
    c.0.push('。');
    c.0
}
