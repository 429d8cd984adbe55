//! The programme's key enterprises (工伤预防重点企业) for a region: every enterprise
//! given is scored from five signals, each a reason with its figure, and the best
//! `count` are proposed. The bureau confirms, removes or adds; this only ranks.
//!
//! points = risk 35 × expected accidents / the highest among those given
//!        + focus 25 × the analysis focus score (see [`super::focus`]) / the highest
//!        + key industry 15 when its GB/T 4754 division is in the key-industry table
//!        + serious accidents 15 × min(serious-or-worse accidents of the year, 3) / 3
//!        + fund payout 10 × the year's work-injury fund payout / the highest
//!
//! Each part is relative to the enterprises given (the region's), so a score reads as
//! "how much of the region's worst it carries"; the weights put the forward-looking
//! model first, then what happened. An enterprise with no signal at all scores 0 and is
//! never proposed. A unit registered yesterday has no accidents but has the model's
//! prior for its industry and region, so it is proposed when that prior calls for it.

use std::collections::HashMap;

use chrono::Datelike;
use serde::Serialize;

use super::focus::{FocusItem, FocusOptions, focus};
use super::key_industries::key_industry_table;
use super::rules::AnalysisRules;
use super::{AccidentRow, EnterpriseRow};

pub const RISK_POINTS: f64 = 35.0;
pub const FOCUS_POINTS: f64 = 25.0;
pub const KEY_INDUSTRY_POINTS: f64 = 15.0;
pub const SERIOUS_POINTS: f64 = 15.0;
/// Serious-or-worse accidents that earn the full [`SERIOUS_POINTS`].
pub const SERIOUS_FULL_AT: u64 = 3;
pub const FUND_POINTS: f64 = 10.0;

/// What the risk model says of an enterprise (the current fit's score).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskFigures {
    /// Expected accidents over the model's horizon.
    pub expected_accidents: f64,
    /// Probability of a serious injury or death over the horizon.
    pub p_serious: f64,
    pub horizon_months: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    RiskModel,
    AccidentFocus,
    KeyIndustry,
    SeriousAccident,
    FundPayout,
}

/// One reason an enterprise is proposed, with the figure behind it and the points it
/// adds to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The reason in Chinese, with its numbers.
    pub text: String,
    /// The figure: expected accidents, focus score, the key industry's accidents per
    /// 1,000 insured workers, serious-or-worse accidents, or the fund payout in yuan.
    pub figure: f64,
    pub points: f64,
}

/// A proposed enterprise, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposed {
    /// The enterprise's key, as in [`EnterpriseRow::key`].
    pub key: String,
    /// 1 for the first.
    pub rank: usize,
    /// The sum of the reasons' points (0-100), two decimals.
    pub score: f64,
    pub reasons: Vec<Reason>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The best `count` of `enterprises` to enrol, from their accidents of `year` (and the
/// year before, for the focus trend) and the model's `risks` by enterprise key.
pub fn propose(
    rules: &AnalysisRules,
    enterprises: &[EnterpriseRow],
    accidents: &[AccidentRow],
    risks: &HashMap<String, RiskFigures>,
    year: i32,
    count: usize,
) -> Vec<Proposed> {
    // The analysis report's focus list, uncut: the same score, the same reason text.
    let focus = focus(rules, enterprises, accidents, year, &FocusOptions { top: usize::MAX });
    let focus_of: HashMap<&str, &FocusItem> = focus.enterprises.iter().map(|f| (f.key.as_str(), f)).collect();
    let table = key_industry_table(rules, enterprises, None, accidents, year);
    let rate_of: HashMap<&str, Option<f64>> =
        table.rows.iter().filter_map(|r| Some((r.id.as_deref()?, r.accident_rate))).collect();

    let mut serious: HashMap<&str, (u64, u64)> = HashMap::new();
    let mut fund: HashMap<&str, i64> = HashMap::new();
    for a in accidents.iter().filter(|a| a.date.year() == year) {
        if a.severity.is_serious_or_worse() {
            let s = serious.entry(a.enterprise.as_str()).or_default();
            s.0 += 1;
            s.1 += u64::from(a.severity == crate::severity::Severity::Death);
        }
        if let Some(f) = a.fund_payout_fen.filter(|f| *f > 0) {
            *fund.entry(a.enterprise.as_str()).or_default() += f;
        }
    }
    let keys: Vec<&str> = enterprises.iter().map(|e| e.key.as_str()).collect();
    let max_of = |f: &dyn Fn(&str) -> f64| keys.iter().map(|k| f(k)).fold(0.0_f64, f64::max);
    let max_risk = max_of(&|k| risks.get(k).map_or(0.0, |r| r.expected_accidents));
    let max_focus = max_of(&|k| focus_of.get(k).map_or(0.0, |f| f.score));
    let max_fund = max_of(&|k| fund.get(k).copied().unwrap_or(0) as f64);

    let mut out: Vec<Proposed> = Vec::new();
    for e in enterprises {
        let k = e.key.as_str();
        let mut reasons = Vec::new();
        if let Some(r) = risks.get(k).filter(|r| r.expected_accidents > 0.0 && max_risk > 0.0) {
            reasons.push(Reason {
                kind: ReasonKind::RiskModel,
                text: format!(
                    "风险模型预计未来{}个月事故{:.2}起（区域内最高{:.2}起），重伤及以上概率{:.1}%",
                    r.horizon_months,
                    r.expected_accidents,
                    max_risk,
                    r.p_serious * 100.0
                ),
                figure: round2(r.expected_accidents),
                points: round2(RISK_POINTS * r.expected_accidents / max_risk),
            });
        }
        if let Some(f) = focus_of.get(k).filter(|f| f.score > 0.0 && max_focus > 0.0) {
            reasons.push(Reason {
                kind: ReasonKind::AccidentFocus,
                text: format!("下一年度重点关注企业：{}", f.reason),
                figure: round2(f.score),
                points: round2(FOCUS_POINTS * f.score / max_focus),
            });
        }
        let industries = rules.industries_of(&e.industry);
        if let Some(first) = industries.first() {
            let names: Vec<&str> = industries.iter().map(|i| i.name.as_str()).collect();
            let rate = rate_of.get(first.id.as_str()).copied().flatten();
            let text = match rate {
                Some(r) => format!("属重点行业（{}），该行业{year}年每千名参保职工事故{r:.2}起", names.join("、")),
                None => format!("属重点行业（{}）", names.join("、")),
            };
            reasons.push(Reason {
                kind: ReasonKind::KeyIndustry,
                text,
                figure: round2(rate.unwrap_or(0.0)),
                points: KEY_INDUSTRY_POINTS,
            });
        }
        if let Some(&(n, deaths)) = serious.get(k) {
            reasons.push(Reason {
                kind: ReasonKind::SeriousAccident,
                text: format!("{year}年重伤及以上事故{n}起（其中死亡{deaths}起）"),
                figure: n as f64,
                points: round2(SERIOUS_POINTS * n.min(SERIOUS_FULL_AT) as f64 / SERIOUS_FULL_AT as f64),
            });
        }
        if let Some(&fen) = fund.get(k).filter(|_| max_fund > 0.0) {
            let yuan = fen as f64 / 100.0;
            reasons.push(Reason {
                kind: ReasonKind::FundPayout,
                text: format!("{year}年工伤保险基金支付{:.2}万元", yuan / 10_000.0),
                figure: round2(yuan),
                points: round2(FUND_POINTS * fen as f64 / max_fund),
            });
        }
        let score = round2(reasons.iter().map(|r| r.points).sum());
        if score > 0.0 {
            out.push(Proposed { key: e.key.clone(), rank: 0, score, reasons });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    out.truncate(count);
    for (i, p) in out.iter_mut().enumerate() {
        p.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::severity::Severity;

    fn firm(key: &str, industry: &str) -> EnterpriseRow {
        EnterpriseRow {
            key: key.into(),
            name: key.into(),
            industry: industry.into(),
            workforce: Some(100),
            insured_workers: Some(100),
        }
    }

    fn accident(e: &str, day: &str, severity: Severity, fen: i64) -> AccidentRow {
        AccidentRow {
            enterprise: e.into(),
            date: NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap_or_default(),
            accident_type: Some("03".into()),
            body_part: None,
            injury_nature: None,
            job: None,
            severity,
            fund_payout_fen: Some(fen),
        }
    }

    fn rules() -> AnalysisRules {
        AnalysisRules {
            version: "t".into(),
            aim_rate_change: -0.2,
            key_industries: vec![super::super::KeyIndustry {
                id: "chem".into(),
                name: "危险化学品".into(),
                name_en: "Chemicals".into(),
                divisions: vec![(25, 26)],
            }],
            new_employment_keywords: Vec::new(),
        }
    }

    #[test]
    fn ranked_by_every_signal_with_reasons_and_only_those_with_one() {
        let firms = vec![firm("a", "C2614"), firm("b", "C3311"), firm("c", "F5110"), firm("new", "C2619")];
        let accidents = vec![
            accident("b", "2026-03-01", Severity::Death, 10_000_000),
            accident("b", "2026-04-01", Severity::Minor, 100_000),
            accident("a", "2026-05-01", Severity::Minor, 500_000),
        ];
        let risk = |x: f64| RiskFigures { expected_accidents: x, p_serious: 0.1, horizon_months: 12 };
        let risks: HashMap<String, RiskFigures> = [("a".to_string(), risk(1.0)), ("new".to_string(), risk(2.0))].into();
        let p = propose(&rules(), &firms, &accidents, &risks, 2026, 10);
        let keys: Vec<&str> = p.iter().map(|x| x.key.as_str()).collect();
        // c has no signal at all; the new unit is carried by its prior and its industry.
        assert_eq!(keys, ["new", "b", "a"], "{p:#?}");
        assert_eq!(p[0].rank, 1);
        assert_eq!(p[0].score, 50.0);
        let kinds = |i: usize| p[i].reasons.iter().map(|r| r.kind).collect::<Vec<_>>();
        assert_eq!(kinds(0), [ReasonKind::RiskModel, ReasonKind::KeyIndustry]);
        assert_eq!(
            kinds(1),
            [ReasonKind::AccidentFocus, ReasonKind::SeriousAccident, ReasonKind::FundPayout],
            "{:#?}",
            p[1]
        );
        let fund = &p[1].reasons[2];
        assert_eq!((fund.figure, fund.points), (101_000.0, 10.0));
        assert!(p.iter().all(|x| (x.score - x.reasons.iter().map(|r| r.points).sum::<f64>()).abs() < 0.02));
        assert_eq!(propose(&rules(), &firms, &accidents, &risks, 2026, 2).len(), 2);
    }
}
