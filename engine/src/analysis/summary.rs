//! The programme-period summary (项目结束前的数据分析报告): headline figures and
//! improvement suggestions. Each suggestion comes from one rule below over the computed
//! tables, says its figures in the sentence and carries them as numbers, so a reader can
//! trace every recommendation to the data.

use serde::Serialize;

use super::coverage::CoveragePlan;
use super::focus::{Focus, FocusItem, fmt_num};
use super::key_industries::KeyIndustryTable;
use super::labels::Labels;
use super::trends::Trends;

/// Participation below this share of the workforce asks for an insurance drive (the
/// seed's aim is 法定人员全覆盖; 95% leaves room for workers not yet registered).
pub const PARTICIPATION_TARGET: f64 = 0.95;
/// Accidents without a job above this share make the training plan unreliable.
pub const UNKNOWN_JOB_LIMIT: f64 = 0.10;
/// Pairs and names quoted per sentence.
const QUOTE: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    pub accidents: u64,
    pub serious_or_worse: u64,
    pub deaths: u64,
    pub fund_payout_fen: i64,
    /// The key-industry table's year, accidents and rate, and its change.
    pub year: i32,
    pub key_industry_accidents: u64,
    pub key_industry_rate: Option<f64>,
    pub key_industry_rate_change: Option<f64>,
    pub aim_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// Which rule produced it (`aim_missed`, `participation`, `training_coverage`, …).
    pub rule: &'static str,
    pub text: String,
    /// The figures the sentence cites.
    pub figures: Vec<(String, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub headline: Headline,
    pub suggestions: Vec<Suggestion>,
}

pub struct SummaryInput<'a> {
    pub table: &'a KeyIndustryTable,
    pub coverage: &'a CoveragePlan,
    pub trends: &'a Trends,
    pub focus: &'a Focus,
    pub labels: &'a Labels,
}

pub fn summary(i: &SummaryInput<'_>) -> Summary {
    let t = i.trends;
    let headline = Headline {
        accidents: t.years.iter().map(|y| y.accidents).sum(),
        serious_or_worse: t.years.iter().map(|y| y.serious_or_worse).sum(),
        deaths: t.years.iter().map(|y| y.deaths).sum(),
        fund_payout_fen: t.years.iter().map(|y| y.fund_payout_fen).sum(),
        year: i.table.year,
        key_industry_accidents: i.table.total.accidents,
        key_industry_rate: i.table.total.accident_rate,
        key_industry_rate_change: i.table.total.rate_change,
        aim_met: i.table.total.aim_met,
    };
    let mut s = Vec::new();
    aim(i, &mut s);
    participation(i, &mut s);
    rising(i, &mut s);
    training(i, &mut s);
    seasonal(i, &mut s);
    serious(i, &mut s);
    new_employment(i, &mut s);
    focus_lists(i, &mut s);
    Summary { headline, suggestions: s }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn fig(name: &str, v: f64) -> (String, f64) {
    (name.to_string(), v)
}

/// Key industries whose rate did not fall by the aim.
fn aim(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    let t = i.table;
    let goal = pct(-t.aim_rate_change);
    for r in t.rows.iter().filter(|r| r.aim_met == Some(false)) {
        let (Some(rate), Some(prev), Some(ch)) = (r.accident_rate, r.previous_accident_rate, r.rate_change) else {
            continue;
        };
        out.push(Suggestion {
            rule: "aim_missed",
            text: format!(
                "{}行业{}年工伤事故发生率为每千名参保职工{rate:.2}起，上年{prev:.2}起，较上年{}，未达到下降{goal}的目标，建议列为下一年度重点治理行业，加大隐患排查和专家入企频次。",
                r.name,
                t.year,
                signed_pct(ch)
            ),
            figures: vec![fig("accident_rate", rate), fig("previous_accident_rate", prev), fig("rate_change", ch)],
        });
    }
}

fn signed_pct(x: f64) -> String {
    if x.abs() < 5e-4 {
        "持平".to_string()
    } else if x > 0.0 {
        format!("上升{}", pct(x))
    } else {
        format!("下降{}", pct(-x))
    }
}

fn participation(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    for r in i.table.rows.iter() {
        let Some(p) = r.participation_rate.filter(|p| *p < PARTICIPATION_TARGET) else { continue };
        out.push(Suggestion {
            rule: "participation",
            text: format!(
                "{}行业工伤保险参保率{}（参保{}人／从业{}人，{}家企业中{}家参保），低于{}，建议开展工伤保险专项扩面行动。",
                r.name,
                pct(p),
                r.insured_workers,
                r.workforce,
                r.enterprises,
                r.insured_enterprises,
                pct(PARTICIPATION_TARGET)
            ),
            figures: vec![fig("participation_rate", p), fig("insured_workers", r.insured_workers as f64), fig("workforce", r.workforce as f64)],
        });
    }
}

/// Accidents or fund payout up in the last full year.
fn rising(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    let Some(last) = i.trends.years.iter().rev().find(|y| y.full) else { return };
    if let Some(c) = last.change.filter(|c| *c > 0.0) {
        out.push(Suggestion {
            rule: "accidents_rising",
            text: format!(
                "{}年工伤事故{}起，较上年{}，建议扩大自查自纠覆盖面并提高推荐隐患清单的排查要求。",
                last.year,
                last.accidents,
                signed_pct(c)
            ),
            figures: vec![fig("accidents", last.accidents as f64), fig("change", c)],
        });
    }
    if let Some(c) = last.fund_change.filter(|c| *c > 0.0) {
        out.push(Suggestion {
            rule: "fund_rising",
            text: format!(
                "{}年工伤保险基金支出{}元，较上年{}，建议优先治理致残、致死风险高的事故类型以降低基金支出。",
                last.year,
                fmt_num(last.fund_payout_fen as f64 / 100.0),
                signed_pct(c)
            ),
            figures: vec![fig("fund_payout_fen", last.fund_payout_fen as f64), fig("fund_change", c)],
        });
    }
}

fn training(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    let c = i.coverage;
    if c.pairs.is_empty() {
        return;
    }
    let l = i.labels;
    let pairs: Vec<String> = c
        .pairs
        .iter()
        .take(QUOTE)
        .map(|p| {
            format!("{}—{}（{}起）", l.job(p.job.as_deref()), l.accident_type(p.accident_type.as_deref()), p.accidents)
        })
        .collect();
    let jobs: Vec<String> = c.top_jobs.iter().map(|j| format!("{}（{}起）", j.job, j.accidents)).collect();
    let more = if c.pairs.len() > QUOTE { "等" } else { "" };
    out.push(Suggestion {
        rule: "training_coverage",
        text: format!(
            "{}个岗位×事故类型组合覆盖了{}的工伤事故（共{}起，目标{}），培训及课件应覆盖：{}{more}；事故最多的岗位为：{}。",
            c.pairs.len(),
            pct(c.covered_share),
            c.total_accidents,
            pct(c.target_share),
            pairs.join("、"),
            jobs.join("、")
        ),
        figures: vec![fig("pairs", c.pairs.len() as f64), fig("covered_share", c.covered_share), fig("total_accidents", c.total_accidents as f64)],
    });
    let unknown = super::coverage::ratio(c.unknown_job_accidents, c.total_accidents);
    if unknown > UNKNOWN_JOB_LIMIT {
        out.push(Suggestion {
            rule: "job_missing",
            text: format!(
                "{}起事故（占{}）未记录岗位，建议完善工伤事故岗位信息采集，以免培训覆盖计划遗漏高发岗位。",
                c.unknown_job_accidents,
                pct(unknown)
            ),
            figures: vec![
                fig("unknown_job_accidents", c.unknown_job_accidents as f64),
                fig("unknown_job_share", unknown),
            ],
        });
    }
}

fn seasonal(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    let Some(s) = &i.trends.seasonality else { return };
    if s.peak_months.is_empty() {
        return;
    }
    let idx = |m: u32| s.index.get(m as usize - 1).copied().unwrap_or(0.0);
    let months: Vec<String> = s.peak_months.iter().map(|m| format!("{m}月（季节指数{:.2}）", idx(*m))).collect();
    out.push(Suggestion {
        rule: "seasonal_peak",
        text: format!(
            "按{}个完整年度计，事故在{}高发，建议在高发月份前一个月集中开展专项排查和警示教育。",
            s.full_years.len(),
            months.join("、")
        ),
        figures: s.peak_months.iter().map(|m| (format!("index_month_{m}"), idx(*m))).collect(),
    });
}

fn serious(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    let t = &i.focus.serious;
    if t.accidents == 0 {
        return;
    }
    let types: Vec<String> = t
        .top_types
        .iter()
        .take(3)
        .map(|(k, n)| format!("{}（{}起）", i.labels.accident_type(k.as_deref()), n))
        .collect();
    out.push(Suggestion {
        rule: "serious_and_deaths",
        text: format!(
            "{}年重伤及以上事故{}起，其中死亡{}起，占全部事故{}，主要类型为{}，建议对发生企业启动安全员事故辅助调查和安全专家入企治理。",
            i.focus.year,
            t.accidents,
            t.deaths,
            pct(t.share),
            types.join("、")
        ),
        figures: vec![fig("serious_or_worse", t.accidents as f64), fig("deaths", t.deaths as f64), fig("share", t.share)],
    });
}

fn new_employment(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    let t = &i.focus.new_employment;
    if t.accidents == 0 {
        return;
    }
    let kws: Vec<String> = t.by_keyword.iter().map(|(k, n)| format!("{k}（{n}起）")).collect();
    out.push(Suggestion {
        rule: "new_employment",
        text: format!(
            "{}年新就业形态从业人员事故{}起，占{}，涉及{}，建议面向快递员、外卖员、网约车司机、货运司机开展工伤预防专题宣传培训。",
            i.focus.year,
            t.accidents,
            pct(t.share),
            kws.join("、")
        ),
        figures: vec![fig("accidents", t.accidents as f64), fig("share", t.share)],
    });
}

fn focus_lists(i: &SummaryInput<'_>, out: &mut Vec<Suggestion>) {
    let l = i.labels;
    let list = |v: &[FocusItem], name: &dyn Fn(&FocusItem) -> String| -> Vec<String> {
        v.iter().take(3).map(|x| format!("{}（{}起，得分{:.2}）", name(x), x.accidents, x.score)).collect()
    };
    let next = i.focus.year + 1;
    for (rule, what, items, name) in [
        (
            "focus_industries",
            "重点行业",
            &i.focus.industries,
            &(|x: &FocusItem| l.division(&x.key)) as &dyn Fn(&FocusItem) -> String,
        ),
        ("focus_enterprises", "重点企业", &i.focus.enterprises, &|x: &FocusItem| {
            if x.name.is_empty() { x.key.clone() } else { x.name.clone() }
        }),
        ("focus_jobs", "重点岗位", &i.focus.jobs, &|x: &FocusItem| x.key.clone()),
    ] {
        if items.is_empty() {
            continue;
        }
        out.push(Suggestion {
            rule,
            text: format!(
                "建议将{}列为{next}年工伤预防{what}（按事故严重程度、趋势和千人事故率综合评分）。",
                list(items, name).join("、")
            ),
            figures: items.iter().take(3).map(|x| (x.key.clone(), x.score)).collect(),
        });
    }
}
