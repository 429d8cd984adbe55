//! Why an item is on the list: the exposure categories it addresses with their shares,
//! how closely its industry matches, the gates it passed, peer and own feedback, the
//! major-hazard standard and legal basis, the score's factors, and one Chinese sentence
//! built from all of it.

use std::fmt::Write;

use serde::Serialize;

use super::input::Mark;

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
pub struct Driver {
    pub dimension: Dimension,
    pub code: String,
    pub name: String,
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
pub struct IndustryMatch {
    pub level: MatchLevel,
    /// The item's pattern that matched.
    pub pattern: String,
    /// Name of the matched section or division (GB/T 4754).
    pub name: String,
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
pub struct GateMatch {
    pub kind: GateKind,
    pub term: String,
    pub basis: GateBasis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerRate {
    pub found: u32,
    pub not_found: u32,
    pub not_applicable: u32,
    /// Found share, shrunk toward the industry's pooled rate.
    pub rate: f64,
    pub pooled: f64,
}

/// A cited document and article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citation {
    pub source: String,
    pub document: String,
    pub article: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MajorNote {
    /// The item's default grade is 重大事故隐患.
    pub major_grade: bool,
    /// The determination standard (重大事故隐患判定标准) it cites, if any.
    pub standard: Option<Citation>,
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
    pub peers: f64,
    pub own: f64,
}

impl Factors {
    pub fn product(&self) -> f64 {
        self.weight * self.exposure * self.industry * self.gate * self.major * self.peers * self.own
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Largest share first within each dimension.
    pub drivers: Vec<Driver>,
    pub industry: IndustryMatch,
    pub gates: Vec<GateMatch>,
    pub peers: Option<PeerRate>,
    pub own: Option<Mark>,
    pub major: Option<MajorNote>,
    pub legal_basis: Vec<Citation>,
    pub factors: Factors,
    pub sentence: String,
}

fn pct(x: f64) -> u32 {
    (x * 100.0).round() as u32
}

fn drivers_text(out: &mut String, label: &str, ds: &[&Driver]) {
    out.push_str(label);
    for (i, d) in ds.iter().enumerate() {
        if i > 0 {
            out.push('、');
        }
        let _ = write!(out, "{}（{}%）", d.name, pct(d.share));
    }
}

/// One sentence from the structured explanation, clauses joined by `；`.
pub fn sentence(x: &Explanation) -> String {
    let mut clauses: Vec<String> = Vec::with_capacity(8);
    let of = |d: Dimension| x.drivers.iter().filter(|v| v.dimension == d).collect::<Vec<_>>();
    let types = of(Dimension::AccidentType);
    if let Some(first) = types.first() {
        let mut c = String::new();
        let label = match first.source {
            ExposureSource::Enterprise => "针对本企业主要事故类型",
            ExposureSource::IndustryDefault => "针对本行业常见事故类型",
        };
        drivers_text(&mut c, label, &types);
        clauses.push(c);
    }
    let parts = of(Dimension::BodyPart);
    if !parts.is_empty() {
        let mut c = String::new();
        drivers_text(&mut c, "受伤部位", &parts);
        clauses.push(c);
    }
    let jobs = of(Dimension::Job);
    if !jobs.is_empty() {
        let mut c = String::new();
        drivers_text(&mut c, "涉及岗位", &jobs);
        clauses.push(c);
    }
    clauses.push(match x.industry.level {
        MatchLevel::General => "各行业通用检查项".to_string(),
        MatchLevel::Section => format!("{}通用检查项", x.industry.name),
        MatchLevel::Division => format!("{}专项检查项", x.industry.name),
        MatchLevel::Group | MatchLevel::Class => format!("{}（{}）专项检查项", x.industry.name, x.industry.pattern),
    });
    let terms = |basis: GateBasis| {
        x.gates.iter().filter(|g| g.basis == basis).map(|g| g.term.as_str()).collect::<Vec<_>>().join("、")
    };
    let declared = terms(GateBasis::Declared);
    if !declared.is_empty() {
        clauses.push(format!("企业已申报涉及{declared}"));
    }
    let assumed = terms(GateBasis::Assumed);
    if !assumed.is_empty() {
        clauses.push(format!("本行业企业普遍涉及{assumed}（未申报，不涉及可标记不适用）"));
    }
    if let Some(m) = &x.major {
        if m.major_grade {
            let mut c = "属重大事故隐患判定项".to_string();
            if let Some(s) = &m.standard {
                let _ = write!(c, "（《{}》{}）", s.document, s.article);
            }
            clauses.push(c);
        }
        if m.installation {
            clauses.push("本企业构成重大危险源，优先排查".to_string());
        } else if m.key_enterprise && m.major_grade {
            clauses.push("本企业为重点企业，优先排查".to_string());
        }
    }
    if let Some(p) = &x.peers {
        let checked = p.found + p.not_found;
        if checked > 0 {
            clauses.push(format!("同行业企业发现率{}%（{}/{}）", pct(p.rate), p.found, checked));
        }
    }
    match &x.own {
        Some(Mark::Found) => clauses.push("上轮检查发现此隐患，复查整改效果".to_string()),
        Some(Mark::NotFound) => clauses.push("上轮检查未发现".to_string()),
        Some(Mark::NotApplicable { reason }) if !reason.trim().is_empty() => {
            clauses.push(format!("上轮标记不适用（{}），本轮降序", reason.trim()));
        }
        Some(Mark::NotApplicable { .. }) => clauses.push("上轮标记不适用（未说明理由），本轮降序".to_string()),
        None => {}
    }
    let standard = x.major.as_ref().and_then(|m| m.standard.as_ref());
    if let Some(b) = x.legal_basis.iter().find(|b| Some(*b) != standard) {
        clauses.push(format!("依据《{}》{}", b.document, b.article));
    }
    let mut s = clauses.join("；");
    s.push('。');
    s
}
