//! The analysis report as a workbook: one sheet per table, Chinese headers in a frozen
//! first row, counts and amounts as numbers, shares as percentages by number format
//! (the cell holds the fraction, so a formula can use it), columns as wide as their text.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use zhicha_engine::analysis::{Dimension, FocusItem, Labels, Series, Topic};

use super::text::{aim, china_time, focus_name};
use crate::oversight::analysis::AnalysisReport;
use crate::oversight::analysis::figures::{self, dimension_zh};

/// One cell's value and how it shows.
enum Cell {
    Text(String),
    /// Long text that wraps in a wide column.
    Para(String),
    Count(f64),
    /// With two decimals (rates per 1,000 workers, scores, indices).
    Dec(Option<f64>),
    /// A fraction shown as a percentage.
    Pct(Option<f64>),
    /// Fen shown as yuan.
    Yuan(i64),
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn n(v: u64) -> Cell {
    Cell::Count(v as f64)
}

/// A table: a header row and its rows; a sheet holds one or more side by side.
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

fn heads(h: &[&str]) -> Vec<String> {
    h.iter().map(|s| s.to_string()).collect()
}

struct Styles {
    head: Format,
    dec: Format,
    pct: Format,
    yuan: Format,
    para: Format,
}

/// Column widths are in characters of the default font; a CJK glyph takes two.
fn width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum()
}

const MAX_WIDTH: f64 = 50.0;
const PARA_WIDTH: f64 = 80.0;

fn sheet(wb: &mut Workbook, st: &Styles, name: &str, tables: Vec<Table>) -> Result<(), XlsxError> {
    let ws: &mut Worksheet = wb.add_worksheet();
    ws.set_name(name)?;
    let mut col0: u16 = 0;
    for table in tables {
        let mut widths: Vec<f64> = table.head.iter().map(|h| width(h) + 2.0).collect();
        let mut wraps = vec![false; table.head.len()];
        for (c, h) in table.head.iter().enumerate() {
            ws.write_string_with_format(0, col0 + c as u16, h, &st.head)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let col = col0 + c as u16;
                let w = match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, col, s)?;
                        width(s) + 1.0
                    }
                    Cell::Para(s) => {
                        ws.write_string_with_format(r, col, s, &st.para)?;
                        if let Some(w) = wraps.get_mut(c) {
                            *w = true;
                        }
                        width(s).min(PARA_WIDTH)
                    }
                    Cell::Count(v) => {
                        ws.write_number(r, col, *v)?;
                        format!("{v}").len() as f64 + 2.0
                    }
                    Cell::Dec(Some(v)) => {
                        ws.write_number_with_format(r, col, *v, &st.dec)?;
                        format!("{v:.2}").len() as f64 + 2.0
                    }
                    Cell::Pct(Some(v)) => {
                        ws.write_number_with_format(r, col, *v, &st.pct)?;
                        format!("{:.1}%", v * 100.0).len() as f64 + 2.0
                    }
                    // Nothing to divide by: left empty rather than a zero that reads as a figure.
                    Cell::Dec(None) | Cell::Pct(None) => 0.0,
                    Cell::Yuan(fen) => {
                        let yuan = *fen as f64 / 100.0;
                        ws.write_number_with_format(r, col, yuan, &st.yuan)?;
                        // Room for the thousands separators the format adds.
                        format!("{yuan:.2}").len() as f64 * 1.3 + 2.0
                    }
                };
                if let Some(m) = widths.get_mut(c) {
                    *m = m.max(w);
                }
            }
        }
        for (c, (w, wrap)) in widths.iter().zip(&wraps).enumerate() {
            ws.set_column_width(col0 + c as u16, w.clamp(6.0, if *wrap { PARA_WIDTH } else { MAX_WIDTH }))?;
        }
        // A blank column between tables side by side.
        col0 += table.head.len() as u16 + 1;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The sheet names, in order.
pub const SHEETS: [&str; 12] = [
    "总体",
    "重点行业",
    "月度趋势",
    "年度",
    "按事故类型",
    "按受伤部位",
    "按伤害性质",
    "按岗位",
    "专题",
    "培训覆盖",
    "重点关注",
    "改进建议",
];

pub fn workbook(r: &AnalysisReport, labels: &Labels) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let st = Styles {
        head: Format::new().set_bold().set_background_color("E6EAF0").set_align(FormatAlign::Center),
        dec: Format::new().set_num_format("0.00"),
        pct: Format::new().set_num_format("0.0%"),
        yuan: Format::new().set_num_format("#,##0.00"),
        para: Format::new().set_text_wrap().set_align(FormatAlign::Top),
    };
    sheet(&mut wb, &st, SHEETS[0], vec![overview(r)])?;
    sheet(&mut wb, &st, SHEETS[1], vec![key_industries(r)])?;
    sheet(&mut wb, &st, SHEETS[2], monthly(r))?;
    sheet(&mut wb, &st, SHEETS[3], vec![years(r)])?;
    for (name, d) in SHEETS[4..8].iter().zip(Dimension::ALL) {
        sheet(&mut wb, &st, name, vec![dimension(r, labels, d)])?;
    }
    sheet(&mut wb, &st, SHEETS[8], topics(r, labels))?;
    sheet(&mut wb, &st, SHEETS[9], coverage(r, labels))?;
    sheet(&mut wb, &st, SHEETS[10], vec![focus(r, labels)])?;
    sheet(&mut wb, &st, SHEETS[11], vec![suggestions(r)])?;
    wb.save_to_buffer()
}

fn overview(r: &AnalysisReport) -> Table {
    let h = &r.summary.headline;
    let c = &r.coverage;
    let year = r.trends.years.iter().find(|y| y.year == r.year);
    let rows = vec![
        vec![t("地区"), t(r.region_name.clone())],
        vec![t("地区代码"), t(r.region_code.clone().unwrap_or_default())],
        vec![t("分析年度"), n(r.year.unsigned_abs().into())],
        vec![t("统计期间"), t(format!("{} 至 {}", r.trends.period.first, r.trends.period.last))],
        vec![t("覆盖企业（家）"), n(r.enterprises as u64)],
        vec![t("期间事故（起）"), n(h.accidents)],
        vec![t("期间重伤及以上（起）"), n(h.serious_or_worse)],
        vec![t("期间死亡（起）"), n(h.deaths)],
        vec![t("期间基金支付（元）"), Cell::Yuan(h.fund_payout_fen)],
        vec![t("本年事故（起）"), n(year.map_or(0, |y| y.accidents))],
        vec![t("本年事故较上年"), Cell::Pct(year.and_then(|y| y.change))],
        vec![t("重点行业本年事故（起）"), n(h.key_industry_accidents)],
        vec![t("重点行业千人事故率"), Cell::Dec(h.key_industry_rate)],
        vec![t("重点行业事故率较上年"), Cell::Pct(h.key_industry_rate_change)],
        vec![t("下降目标"), Cell::Pct(Some(r.key_industries.aim_rate_change))],
        vec![t("目标达成"), t(aim(h.aim_met))],
        vec![t("培训覆盖目标"), Cell::Pct(Some(c.target_share))],
        vec![t("培训覆盖组合数"), n(c.pairs.len() as u64)],
        vec![t("培训覆盖占比"), Cell::Pct(Some(c.covered_share))],
        vec![t("生成时间"), t(china_time(r.generated_at))],
        vec![t("规则版本"), t(r.rules_version.clone())],
    ];
    Table { head: heads(&["指标", "数值"]), rows }
}

fn key_industries(r: &AnalysisReport) -> Table {
    let k = &r.key_industries;
    let rows = k
        .rows
        .iter()
        .chain(std::iter::once(&k.total))
        .map(|x| {
            vec![
                t(x.id.clone().unwrap_or_default()),
                t(if x.id.is_none() { "重点行业合计".to_string() } else { x.name.clone() }),
                n(x.enterprises),
                n(x.insured_enterprises),
                n(x.workforce),
                n(x.insured_workers),
                n(x.missing_headcount),
                Cell::Pct(x.participation_rate),
                n(x.accidents),
                Cell::Dec(x.accident_rate),
                n(x.previous_accidents),
                n(x.previous_insured_workers),
                Cell::Dec(x.previous_accident_rate),
                Cell::Pct(x.rate_change),
                t(aim(x.aim_met)),
            ]
        })
        .collect();
    Table {
        head: heads(&[
            "行业代码",
            "行业",
            "企业数",
            "参保企业数",
            "从业人数",
            "参保人数",
            "人数不详企业",
            "参保率",
            "本年事故",
            "千人事故率",
            "上年事故",
            "上年参保人数",
            "上年千人事故率",
            "事故率变化",
            "下降20%目标",
        ]),
        rows,
    }
}

fn monthly(r: &AnalysisReport) -> Vec<Table> {
    let tr = &r.trends;
    let months = Table {
        head: heads(&["月份", "事故（起）", "基金支付（元）"]),
        rows: tr
            .months
            .iter()
            .zip(&tr.monthly)
            .zip(&tr.monthly_fund_payout_fen)
            .map(|((m, c), f)| vec![t(m.to_string()), n(*c), Cell::Yuan(*f)])
            .collect(),
    };
    let mut out = vec![months];
    if let Some(s) = &tr.seasonality {
        out.push(Table {
            head: heads(&["月", "季节指数", "高发月份"]),
            rows: (1..=12u32)
                .map(|m| {
                    let peak = s.peak_months.contains(&m);
                    vec![
                        t(format!("{m}月")),
                        Cell::Dec(s.index.get(m as usize - 1).copied()),
                        t(if peak { "是" } else { "" }),
                    ]
                })
                .collect(),
        });
    }
    out
}

fn years(r: &AnalysisReport) -> Table {
    Table {
        head: heads(&[
            "年度",
            "完整年度",
            "事故（起）",
            "重伤及以上",
            "死亡",
            "基金支付（元）",
            "事故较上年",
            "基金较上年",
        ]),
        rows: r
            .trends
            .years
            .iter()
            .map(|y| {
                vec![
                    n(y.year.unsigned_abs().into()),
                    t(if y.full { "是" } else { "否" }),
                    n(y.accidents),
                    n(y.serious_or_worse),
                    n(y.deaths),
                    Cell::Yuan(y.fund_payout_fen),
                    Cell::Pct(y.change),
                    Cell::Pct(y.fund_change),
                ]
            })
            .collect(),
    }
}

fn dimension(r: &AnalysisReport, labels: &Labels, d: Dimension) -> Table {
    let mut head = heads(&["代码", "名称"]);
    head.extend(r.trends.years.iter().map(|y| format!("{}年", y.year)));
    head.extend(heads(&["合计", "基金支付（元）", "较上年"]));
    let row = |s: &Series, code: String, name: String| {
        let mut v = vec![t(code), t(name)];
        v.extend(r.trends.years.iter().map(|y| n(figures::in_year(r, &s.yearly, y.year))));
        v.extend([n(s.accidents), Cell::Yuan(s.fund_payout_fen), Cell::Pct(s.change_last_full_year)]);
        v
    };
    let mut rows = Vec::new();
    if let Some(trend) = figures::dimension(r, d) {
        for s in &trend.series {
            let code = if d == Dimension::Job { String::new() } else { s.key.clone().unwrap_or_default() };
            rows.push(row(s, code, labels.category(d, s.key.as_deref())));
        }
        if let Some(o) = &trend.other {
            rows.push(row(o, String::new(), format!("其他{}", dimension_zh(d))));
        }
    }
    Table { head, rows }
}

fn topics(r: &AnalysisReport, labels: &Labels) -> Vec<Table> {
    let f = &r.focus;
    let summary = |name: &str, x: &Topic| {
        vec![t(name), n(x.accidents), Cell::Pct(Some(x.share)), n(x.serious_or_worse), n(x.deaths), Cell::Dec(x.rate)]
    };
    let head = Table {
        head: heads(&["专题", "事故（起）", "占全部事故", "重伤及以上", "死亡", "千人事故率"]),
        rows: vec![summary("重伤及死亡事故", &f.serious), summary("新就业形态从业人员", &f.new_employment)],
    };
    let mut rows = Vec::new();
    for (name, x) in [("重伤及死亡事故", &f.serious), ("新就业形态从业人员", &f.new_employment)] {
        for (k, c) in &x.top_types {
            rows.push(vec![t(name), t("事故类型"), t(labels.accident_type(k.as_deref())), n(*c)]);
        }
        for (k, c) in &x.top_jobs {
            rows.push(vec![t(name), t("岗位"), t(labels.job(k.as_deref())), n(*c)]);
        }
        for (k, c) in &x.by_keyword {
            rows.push(vec![t(name), t("岗位关键词"), t(k.clone()), n(*c)]);
        }
    }
    vec![head, Table { head: heads(&["专题", "分类", "名称", "事故（起）"]), rows }]
}

fn coverage(r: &AnalysisReport, labels: &Labels) -> Vec<Table> {
    let c = &r.coverage;
    let pairs = Table {
        head: heads(&["序号", "岗位", "事故类型代码", "事故类型", "事故（起）", "累计占比"]),
        rows: c
            .pairs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    n(i as u64 + 1),
                    t(labels.job(p.job.as_deref())),
                    t(p.accident_type.clone().unwrap_or_default()),
                    t(labels.accident_type(p.accident_type.as_deref())),
                    n(p.accidents),
                    Cell::Pct(Some(p.cumulative_share)),
                ]
            })
            .collect(),
    };
    let jobs = Table {
        head: heads(&["岗位排名", "岗位", "事故（起）", "占比", "主要事故类型"]),
        rows: c
            .top_jobs
            .iter()
            .enumerate()
            .map(|(i, j)| {
                let types: Vec<String> =
                    j.top_types.iter().map(|(k, c)| format!("{}（{c}）", labels.accident_type(k.as_deref()))).collect();
                vec![n(i as u64 + 1), t(j.job.clone()), n(j.accidents), Cell::Pct(Some(j.share)), t(types.join("、"))]
            })
            .collect(),
    };
    vec![pairs, jobs]
}

fn focus(r: &AnalysisReport, labels: &Labels) -> Table {
    let f = &r.focus;
    let mut rows = Vec::new();
    for (kind, items) in [("重点行业", &f.industries), ("重点企业", &f.enterprises), ("重点岗位", &f.jobs)]
    {
        for (i, x) in items.iter().enumerate() {
            rows.push(focus_row(kind, i, x, labels));
        }
    }
    Table {
        head: heads(&[
            "类别",
            "排名",
            "代码",
            "名称",
            "本年事故",
            "上年事故",
            "重伤及以上",
            "死亡",
            "严重程度加权",
            "参保人数",
            "千人事故率",
            "趋势系数",
            "费率系数",
            "得分",
            "理由",
        ]),
        rows,
    }
}

fn focus_row(kind: &str, i: usize, x: &FocusItem, labels: &Labels) -> Vec<Cell> {
    vec![
        t(kind),
        n(i as u64 + 1),
        t(x.key.clone()),
        t(focus_name(x, labels)),
        n(x.accidents),
        n(x.previous_accidents),
        n(x.serious_or_worse),
        n(x.deaths),
        Cell::Dec(Some(x.weighted)),
        x.insured_workers.map_or(Cell::Text(String::new()), n),
        Cell::Dec(x.rate),
        Cell::Dec(Some(x.trend_factor)),
        Cell::Dec(Some(x.rate_factor)),
        Cell::Dec(Some(x.score)),
        Cell::Para(x.reason.clone()),
    ]
}

fn suggestions(r: &AnalysisReport) -> Table {
    Table {
        head: heads(&["序号", "规则", "建议", "依据数据"]),
        rows: r
            .summary
            .suggestions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let figs: Vec<String> = s.figures.iter().map(|(k, v)| format!("{k}={v:.4}")).collect();
                vec![n(i as u64 + 1), t(s.rule), Cell::Para(s.text.clone()), Cell::Para(figs.join("; "))]
            })
            .collect(),
    }
}
