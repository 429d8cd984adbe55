//! Renders a self-inspection report's content to PDF (A4, one CJK font embedded as a
//! subset) through the shared layout of `crate::platform::pdf`.

use std::collections::HashMap;

use krilla::image::Image;

use super::content::{Content, FindingRow};
use crate::platform::pdf::{BODY, Layout, MARGIN, PAGE_W, PdfFont, RenderError, SMALL};

const PHOTO_W: f32 = 160.0;
const PHOTO_H: f32 = 120.0;

/// The JPEG display copies of one finding's photos: before, after.
pub type Photos = HashMap<i64, (Vec<Vec<u8>>, Vec<Vec<u8>>)>;

pub fn grade_zh(grade: &str) -> &str {
    match grade {
        "major" => "重大隐患",
        "general" => "一般隐患",
        other => other,
    }
}

pub fn state_zh(state: &str) -> &str {
    match state {
        "draft" => "草稿",
        "submitted" => "已上报",
        "to_rectify" => "整改中",
        "overdue" => "已逾期",
        "rectification_submitted" => "待验收",
        "accepted" => "已验收销号",
        "cancelled" => "已撤销",
        other => other,
    }
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or("—").to_string()
}

/// Renders `content` with its photos; `version` is the report's version number.
pub fn render(content: &Content, version: i32, photos: &Photos, font: &PdfFont) -> Result<Vec<u8>, RenderError> {
    let mut l = Layout::new();
    let e = &content.enterprise;
    let full = PAGE_W - 2.0 * MARGIN;

    l.text(MARGIN, 20.0, "隐患自查自纠报告");
    l.y += 30.0;
    let meta = [
        ("企业名称", e.name.clone()),
        ("统一社会信用代码", or_dash(e.credit_code.as_deref())),
        ("行业", format!("{} {}", or_dash(e.industry_division.as_deref()), or_dash(e.industry_code.as_deref()))),
        ("地址", or_dash(e.address.as_deref())),
        ("所在地区", format!("{} ({})", or_dash(e.region_name.as_deref()), or_dash(e.region_code.as_deref()))),
        ("自查期间", format!("{} 至 {}", content.period.start, content.period.end)),
        ("报告版本", format!("第 {version} 版，生成于 {}", content.generated_at.format("%Y-%m-%d %H:%M UTC"))),
    ];
    l.fields(&meta, 100.0);

    l.heading("一、检查概况");
    let i = &content.items;
    l.para(
        MARGIN,
        full,
        BODY,
        &format!(
            "检查项共 {} 项：发现隐患 {} 项，未发现 {} 项，不适用 {} 项，未检查 {} 项。",
            i.total, i.found, i.not_found, i.not_applicable, i.pending
        ),
    );
    let f = &content.findings;
    l.para(
        MARGIN,
        full,
        BODY,
        &format!("发现隐患共 {} 项，其中重大隐患 {} 项，一般隐患 {} 项。", f.total, f.major, f.general),
    );
    let r = &content.rectification;
    let share = r.share.map_or("—".to_string(), |s| format!("{:.1}%", s * 100.0));
    l.para(
        MARGIN,
        full,
        BODY,
        &format!(
            "已整改验收销号 {} 项，整改率 {share}（目标 ≥ {:.0}%，{}）。",
            r.rectified,
            r.target * 100.0,
            if r.met { "已达标" } else { "未达标" }
        ),
    );
    l.y += 6.0;
    let cols = [235.0, 65.0, 65.0, 130.0];
    l.row(&cols, &["区域".into(), "重大隐患".into(), "一般隐患".into(), "合计".into()], BODY, true);
    for a in &f.by_area {
        l.row(&cols, &[a.area.clone(), a.major.to_string(), a.general.to_string(), a.total.to_string()], BODY, false);
    }

    l.heading("二、隐患清单及整改情况");
    let cols = [80.0, 160.0, 50.0, 60.0, 70.0, 75.0];
    let head = ["位置", "隐患描述", "等级", "状态", "整改责任人", "整改期限"];
    l.row(&cols, &head.map(String::from), SMALL, true);
    for row in &content.finding_list {
        l.row(&cols, &finding_cells(row), SMALL, false);
    }

    let with_photos: Vec<&FindingRow> = content
        .finding_list
        .iter()
        .filter(|r| photos.get(&r.id).is_some_and(|(b, a)| !b.is_empty() || !a.is_empty()))
        .collect();
    if !with_photos.is_empty() {
        l.heading("三、整改前后照片");
        for row in with_photos {
            let Some((before, after)) = photos.get(&row.id) else { continue };
            l.room(PHOTO_H + 40.0);
            l.para(MARGIN, full, BODY, &format!("{}：{}（{}）", row.location, row.description, state_zh(&row.state)));
            l.room(PHOTO_H + 20.0);
            l.text(MARGIN, SMALL, "整改前");
            l.text(MARGIN + full / 2.0, SMALL, "整改后");
            l.y += SMALL + 6.0;
            let mut tallest: f32 = 0.0;
            for (set, x0) in [(before, MARGIN), (after, MARGIN + full / 2.0)] {
                let mut x = x0;
                // Two photos per half at most fit side by side.
                for bytes in set.iter().take(2) {
                    let image = Image::from_jpeg(bytes.clone().into(), true)
                        .map_err(|e| RenderError::Pdf(format!("photo: {e}")))?;
                    let (w, h) = image.size();
                    let scale = (PHOTO_W / 2.0 - 4.0) / w.max(1) as f32;
                    let scale = scale.min(PHOTO_H / h.max(1) as f32);
                    let (w, h) = (w as f32 * scale, h as f32 * scale);
                    l.image(image, x, w, h);
                    x += w + 6.0;
                    tallest = tallest.max(h);
                }
            }
            l.y += tallest + 10.0;
        }
    }

    l.heading(if l.image_count() == 0 { "三、未完成整改事项" } else { "四、未完成整改事项" });
    if content.open_items.is_empty() {
        l.para(MARGIN, full, BODY, "无。所有隐患均已整改验收销号。");
    } else {
        let cols = [80.0, 170.0, 50.0, 60.0, 65.0, 70.0];
        let head = ["位置", "隐患描述", "等级", "状态", "整改责任人", "整改期限"];
        l.row(&cols, &head.map(String::from), SMALL, true);
        for o in &content.open_items {
            let deadline = o
                .deadline
                .map_or("—".to_string(), |d| if o.overdue { format!("{d}（已逾期）") } else { d.to_string() });
            let cells = [
                o.location.clone(),
                o.description.clone(),
                grade_zh(&o.grade).to_string(),
                state_zh(&o.state).to_string(),
                or_dash(o.assignee.as_deref()),
                deadline,
            ];
            l.row(&cols, &cells, SMALL, false);
        }
    }

    crate::platform::pdf::draw(l, format!("{} 隐患自查自纠报告", e.name), font)
}

fn finding_cells(row: &FindingRow) -> [String; 6] {
    [
        row.location.clone(),
        row.description.clone(),
        grade_zh(&row.grade).to_string(),
        state_zh(&row.state).to_string(),
        or_dash(row.assignee.as_deref()),
        row.deadline.map_or("—".to_string(), |d| d.to_string()),
    ]
}
