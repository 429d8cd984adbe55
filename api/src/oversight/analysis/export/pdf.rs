//! The analysis report as a PDF (A4, Chinese): a title block, then the eight sections
//! of the seed's 工伤大数据分析报告, with the dashboard's charts drawn as vectors.

use zhicha_engine::analysis::{Dimension, Labels, Topic};

use super::text::{aim, china_time, focus_name, pct, rate, signed_pct, wan_yuan};
use crate::oversight::analysis::AnalysisReport;
use crate::oversight::analysis::figures;
use crate::oversight::charts::{self, ChartError};
use crate::platform::pdf::{BODY, Layout, MARGIN, PAGE_W, PdfFont, RenderError, SMALL};

/// The text column.
const FULL: f32 = PAGE_W - 2.0 * MARGIN;
/// Charts fill the text column; in CSS pixels that is FULL / 0.75.
const CHART_PX: u32 = (FULL / crate::platform::pdf::PT_PER_PX) as u32;
/// Rows quoted per topic table.
const TOPIC_ROWS: usize = 5;

/// The report's title as the PDF's metadata and the download name give it.
pub fn title(r: &AnalysisReport) -> String {
    format!("{}{}年工伤大数据分析报告", r.region_name, r.year)
}

pub fn render(r: &AnalysisReport, labels: &Labels, font: &PdfFont) -> Result<Vec<u8>, RenderError> {
    let mut l = Layout::new();
    title_block(&mut l, r);
    overview(&mut l, r);
    key_industries(&mut l, r);
    trends(&mut l, r, font)?;
    dimensions(&mut l, r, labels, font)?;
    topics(&mut l, r, labels);
    coverage(&mut l, r, labels);
    focus(&mut l, r, labels);
    suggestions(&mut l, r);
    crate::platform::pdf::draw(l, title(r), font)
}

/// A sub-heading, kept on one page with the sentence or table header and row under it.
fn subheading(l: &mut Layout, text: &str) {
    l.room(BODY * 1.5 + 60.0);
    l.para(MARGIN, FULL, BODY, text);
}

fn chart_err(e: ChartError) -> RenderError {
    RenderError::Chart(e.to_string())
}

fn title_block(l: &mut Layout, r: &AnalysisReport) {
    l.text(MARGIN, 20.0, "工伤大数据分析报告");
    l.y += 32.0;
    l.text(MARGIN, 13.0, &format!("{} · {}年度", r.region_name, r.year));
    l.y += 26.0;
    let t = &r.trends;
    let meta = [
        ("地区", format!("{}（{}）", r.region_name, r.region_code.as_deref().unwrap_or("全部"))),
        ("分析年度", format!("{}年（与{}年对比）", r.year, r.year - 1)),
        ("统计期间", format!("{} 至 {}", t.period.first, t.period.last)),
        ("覆盖企业", format!("{} 家", r.enterprises)),
        ("生成时间", china_time(r.generated_at)),
        ("规则版本", r.rules_version.clone()),
    ];
    l.fields(&meta, 80.0);
}

fn overview(l: &mut Layout, r: &AnalysisReport) {
    l.heading("一、总体情况");
    let h = &r.summary.headline;
    let t = &r.trends;
    l.para(
        MARGIN,
        FULL,
        BODY,
        &format!(
            "{} 至 {}，本地区 {} 家企业共发生工伤事故 {} 起，其中重伤及以上 {} 起、死亡 {} 起，工伤保险基金支付 {} 万元。",
            t.period.first,
            t.period.last,
            r.enterprises,
            h.accidents,
            h.serious_or_worse,
            h.deaths,
            wan_yuan(h.fund_payout_fen)
        ),
    );
    if let Some(y) = t.years.iter().find(|y| y.year == r.year) {
        l.para(
            MARGIN,
            FULL,
            BODY,
            &format!(
                "{}年发生工伤事故 {} 起（较上年 {}），重伤及以上 {} 起，死亡 {} 起，基金支付 {} 万元。",
                y.year,
                y.accidents,
                signed_pct(y.change),
                y.serious_or_worse,
                y.deaths,
                wan_yuan(y.fund_payout_fen)
            ),
        );
    }
    let k = &r.key_industries;
    l.para(
        MARGIN,
        FULL,
        BODY,
        &format!(
            "重点行业{}年工伤事故 {} 起，每千名参保职工 {} 起，较上年 {}；下降 {} 的目标{}。",
            h.year,
            h.key_industry_accidents,
            rate(h.key_industry_rate),
            signed_pct(h.key_industry_rate_change),
            pct(Some(-k.aim_rate_change)),
            match h.aim_met {
                Some(true) => "已达成",
                Some(false) => "未达成",
                None => "无上年数据可比",
            }
        ),
    );
}

fn key_industries(l: &mut Layout, r: &AnalysisReport) {
    let k = &r.key_industries;
    l.heading("二、重点行业");
    l.para(
        MARGIN,
        FULL,
        BODY,
        &format!(
            "重点行业企业基本情况及工伤事故发生率（每千名参保职工的事故数），目标为较上年下降 {}。",
            pct(Some(-k.aim_rate_change))
        ),
    );
    l.y += 4.0;
    let cols = [74.0, 34.0, 34.0, 44.0, 44.0, 36.0, 34.0, 38.0, 34.0, 38.0, 44.0, 41.0];
    let head = [
        "行业",
        "企业数",
        "参保企业",
        "从业人数",
        "参保人数",
        "参保率",
        "本年事故",
        "千人事故率",
        "上年事故",
        "上年千人事故率",
        "事故率变化",
        "下降目标",
    ];
    let mut rows = Vec::new();
    for row in k.rows.iter().chain(std::iter::once(&k.total)) {
        let name = if row.id.is_none() { "重点行业合计".to_string() } else { row.name.clone() };
        let cells = [
            name,
            row.enterprises.to_string(),
            row.insured_enterprises.to_string(),
            row.workforce.to_string(),
            row.insured_workers.to_string(),
            pct(row.participation_rate),
            row.accidents.to_string(),
            rate(row.accident_rate),
            row.previous_accidents.to_string(),
            rate(row.previous_accident_rate),
            signed_pct(row.rate_change),
            aim(row.aim_met).to_string(),
        ];
        rows.push(cells.to_vec());
    }
    l.table(&cols, &head, &rows, SMALL);
    l.y += 4.0;
    let mut notes = Vec::new();
    if !k.previous_snapshot {
        notes.push("上年未留存参保人数快照，上年事故率按本年参保人数计算，事故率变化即事故数变化。".to_string());
    }
    if k.accidents_outside > 0 || k.accidents_unmatched > 0 {
        notes.push(format!(
            "另有 {} 起事故发生在重点行业以外的企业，{} 起事故未能对应到本地区企业。",
            k.accidents_outside, k.accidents_unmatched
        ));
    }
    for n in notes {
        l.para(MARGIN, FULL, SMALL, &n);
    }
}

fn trends(l: &mut Layout, r: &AnalysisReport, font: &PdfFont) -> Result<(), RenderError> {
    let t = &r.trends;
    // The heading stays with the chart under it (660 × 300 px at 0.75 pt).
    l.heading_keep("三、趋势", FULL * 300.0 / CHART_PX as f32);
    let svg = charts::line(&figures::monthly(r), CHART_PX, 300).map_err(chart_err)?;
    l.chart(font, &svg, FULL)?;
    l.y += 8.0;
    let cols = [70.0, 60.0, 70.0, 50.0, 85.0, 80.0, 80.0];
    let head = ["年度", "事故（起）", "重伤及以上", "死亡", "基金支付（万元）", "事故较上年", "基金较上年"];
    let mut rows = Vec::new();
    for y in &t.years {
        let year = if y.full { format!("{}年", y.year) } else { format!("{}年（不完整）", y.year) };
        let cells = [
            year,
            y.accidents.to_string(),
            y.serious_or_worse.to_string(),
            y.deaths.to_string(),
            wan_yuan(y.fund_payout_fen),
            signed_pct(y.change),
            signed_pct(y.fund_change),
        ];
        rows.push(cells.to_vec());
    }
    l.table(&cols, &head, &rows, SMALL);
    l.y += 8.0;
    let Some(s) = &t.seasonality else {
        l.para(MARGIN, FULL, BODY, "统计期间内没有完整年度的事故数据，未计算季节性。");
        return Ok(());
    };
    let years: Vec<String> = s.full_years.iter().map(|y| format!("{y}年")).collect();
    l.para(MARGIN, FULL, BODY, &format!("季节指数（按{}计，1.00 为平均月份）：", years.join("、")));
    let mut cols = vec![63.0];
    cols.extend([36.0; 12]);
    let months: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
    let mut head = vec!["月份"];
    head.extend(months.iter().map(String::as_str));
    let mut index = vec!["指数".to_string()];
    index.extend(s.index.iter().map(|v| format!("{v:.2}")));
    l.table(&cols, &head, &[index], SMALL);
    l.y += 4.0;
    let peaks: Vec<String> = s.peak_months.iter().map(|m| format!("{m}月")).collect();
    let peak = if peaks.is_empty() {
        "无明显高发月份。".to_string()
    } else {
        format!("高发月份：{}。", peaks.join("、"))
    };
    l.para(MARGIN, FULL, BODY, &peak);
    Ok(())
}

fn dimensions(l: &mut Layout, r: &AnalysisReport, labels: &Labels, font: &PdfFont) -> Result<(), RenderError> {
    l.heading("四、事故类型、受伤部位、伤害性质与岗位");
    l.para(
        MARGIN,
        FULL,
        BODY,
        &format!(
            "各维度事故最多的前 {} 类，{}年与{}年对比；其余类别的合计见数据表（XLSX）。",
            crate::oversight::analysis::report::TOP,
            r.year,
            r.year - 1
        ),
    );
    for d in Dimension::ALL {
        l.y += 6.0;
        let svg = charts::bars(&figures::by_dimension(r, labels, d), CHART_PX).map_err(chart_err)?;
        l.chart(font, &svg, FULL)?;
    }
    Ok(())
}

fn topics(l: &mut Layout, r: &AnalysisReport, labels: &Labels) {
    let f = &r.focus;
    l.heading("五、专题");
    subheading(l, "（一）重伤及死亡事故");
    let s = &f.serious;
    if s.accidents == 0 {
        l.para(MARGIN, FULL, BODY, &format!("{}年未发生重伤及以上工伤事故。", f.year));
    } else {
        l.para(
            MARGIN,
            FULL,
            BODY,
            &format!(
                "{}年重伤及以上事故 {} 起，其中死亡 {} 起，占全部事故 {}，每千名参保职工 {} 起。",
                f.year,
                s.accidents,
                s.deaths,
                pct(Some(s.share)),
                rate(s.rate)
            ),
        );
        topic_table(l, s, labels);
    }
    l.y += 6.0;
    subheading(l, "（二）新就业形态从业人员");
    let n = &f.new_employment;
    if n.accidents == 0 {
        l.para(
            MARGIN,
            FULL,
            BODY,
            &format!("{}年未发现快递员、外卖员、网约车司机等新就业形态从业人员的工伤事故。", f.year),
        );
    } else {
        let kws: Vec<String> = n.by_keyword.iter().map(|(k, c)| format!("{k}（{c}起）")).collect();
        l.para(
            MARGIN,
            FULL,
            BODY,
            &format!(
                "{}年新就业形态从业人员工伤事故 {} 起，占全部事故 {}，其中重伤及以上 {} 起；按岗位关键词：{}。",
                f.year,
                n.accidents,
                pct(Some(n.share)),
                n.serious_or_worse,
                kws.join("、")
            ),
        );
        topic_table(l, n, labels);
    }
}

/// The topic's main accident types beside its main jobs.
fn topic_table(l: &mut Layout, t: &Topic, labels: &Labels) {
    let cols = [170.0, 60.0, 205.0, 60.0];
    let n = t.top_types.len().max(t.top_jobs.len()).min(TOPIC_ROWS);
    let mut rows = Vec::new();
    for i in 0..n {
        let ty = t.top_types.get(i);
        let job = t.top_jobs.get(i);
        let cells = [
            ty.map(|(k, _)| labels.accident_type(k.as_deref())).unwrap_or_default(),
            ty.map(|(_, n)| n.to_string()).unwrap_or_default(),
            job.map(|(k, _)| labels.job(k.as_deref())).unwrap_or_default(),
            job.map(|(_, n)| n.to_string()).unwrap_or_default(),
        ];
        rows.push(cells.to_vec());
    }
    l.table(&cols, &["主要事故类型", "起数", "主要岗位", "起数"], &rows, SMALL);
}

fn coverage(l: &mut Layout, r: &AnalysisReport, labels: &Labels) {
    let c = &r.coverage;
    l.heading("六、培训覆盖计划");
    l.para(
        MARGIN,
        FULL,
        BODY,
        &format!(
            "{}年共 {} 起工伤事故，{} 个岗位×事故类型组合覆盖其中 {} 起（{}，目标 {}）；数据中共有 {} 个组合。培训及课件包应覆盖下列组合：",
            r.year,
            c.total_accidents,
            c.pairs.len(),
            c.covered_accidents,
            pct(Some(c.covered_share)),
            pct(Some(c.target_share)),
            c.distinct_pairs
        ),
    );
    let cols = [35.0, 170.0, 170.0, 50.0, 70.0];
    let mut rows = Vec::new();
    for (i, p) in c.pairs.iter().enumerate() {
        let cells = [
            (i + 1).to_string(),
            labels.job(p.job.as_deref()),
            labels.accident_type(p.accident_type.as_deref()),
            p.accidents.to_string(),
            pct(Some(p.cumulative_share)),
        ];
        rows.push(cells.to_vec());
    }
    l.table(&cols, &["序号", "岗位", "事故类型", "事故数", "累计占比"], &rows, SMALL);
    l.y += 8.0;
    l.para(MARGIN, FULL, BODY, &format!("事故最多的前 {} 个岗位：", c.top_jobs.len()));
    let cols = [35.0, 130.0, 50.0, 50.0, 230.0];
    let mut rows = Vec::new();
    for (i, j) in c.top_jobs.iter().enumerate() {
        let types: Vec<String> =
            j.top_types.iter().map(|(t, n)| format!("{}（{n}）", labels.accident_type(t.as_deref()))).collect();
        let cells = [(i + 1).to_string(), j.job.clone(), j.accidents.to_string(), pct(Some(j.share)), types.join("、")];
        rows.push(cells.to_vec());
    }
    l.table(&cols, &["序号", "岗位", "事故数", "占比", "主要事故类型"], &rows, SMALL);
    if c.unknown_job_accidents > 0 {
        l.y += 4.0;
        l.para(MARGIN, FULL, SMALL, &format!("另有 {} 起事故未记录岗位，未列入岗位排名。", c.unknown_job_accidents));
    }
}

fn focus(l: &mut Layout, r: &AnalysisReport, labels: &Labels) {
    let f = &r.focus;
    l.heading(&format!("七、明年工作重点（{}年）", r.year + 1));
    l.para(
        MARGIN,
        FULL,
        BODY,
        "得分 = 严重程度加权事故数（死亡 10、伤残 5、重伤 3、轻伤 1）× 趋势系数（本年与上年事故之比）× 费率系数（千人事故率与全域平均之比），两个系数均限定在 0.5～2 之间。",
    );
    for (title, items) in
        [("（一）重点行业", &f.industries), ("（二）重点企业", &f.enterprises), ("（三）重点岗位", &f.jobs)]
    {
        l.y += 6.0;
        subheading(l, title);
        if items.is_empty() {
            l.para(MARGIN, FULL, BODY, "无。");
            continue;
        }
        let cols = [30.0, 110.0, 45.0, 40.0, 270.0];
        let rows: Vec<Vec<String>> = items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                vec![
                    (i + 1).to_string(),
                    focus_name(x, labels),
                    x.accidents.to_string(),
                    format!("{:.2}", x.score),
                    x.reason.clone(),
                ]
            })
            .collect();
        l.table(&cols, &["序号", "名称", "本年事故", "得分", "理由"], &rows, SMALL);
    }
}

fn suggestions(l: &mut Layout, r: &AnalysisReport) {
    l.heading("八、改进建议");
    if r.summary.suggestions.is_empty() {
        l.para(MARGIN, FULL, BODY, "本年数据未触发改进建议。");
        return;
    }
    for (i, s) in r.summary.suggestions.iter().enumerate() {
        l.room(BODY * 1.5);
        l.text(MARGIN, BODY, &format!("{}.", i + 1));
        l.para(MARGIN + 18.0, FULL - 18.0, BODY, &s.text);
        l.y += 3.0;
    }
}
