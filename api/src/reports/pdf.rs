//! Renders a report's content to PDF (A4, one CJK font embedded as a subset).
//!
//! Layout runs first into a list of pages of drawing operations, then krilla draws
//! them: the page count is known before any page is written, so every page can say
//! "第 n 页 / 共 m 页". Charts (issue 8) become one more operation, an SVG drawn through
//! krilla-svg.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::content::{Content, FindingRow};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const BODY: f32 = 10.0;
const SMALL: f32 = 8.5;
const PHOTO_W: f32 = 160.0;
const PHOTO_H: f32 = 120.0;

/// The JPEG display copies of one finding's photos: before, after.
pub type Photos = HashMap<i64, (Vec<Vec<u8>>, Vec<Vec<u8>>)>;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("report font {path}: {reason}")]
    Font { path: PathBuf, reason: String },
    #[error("pdf: {0}")]
    Pdf(String),
}

// The font file is ~20 MB: read and parsed once per process, not per report.
static FONT: Mutex<Option<(PathBuf, u32, Font)>> = Mutex::new(None);

/// The configured font face, loaded on first use.
pub fn load_font(path: &Path, index: u32) -> Result<Font, RenderError> {
    let mut cached = FONT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((p, i, f)) = cached.as_ref()
        && p == path
        && *i == index
    {
        return Ok(f.clone());
    }
    let err = |reason: String| RenderError::Font { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let font = Font::new(bytes.into(), index).ok_or_else(|| err(format!("face {index} is not a usable font")))?;
    *cached = Some((path.to_path_buf(), index, font.clone()));
    Ok(font)
}

enum Op {
    Text { x: f32, y: f32, size: f32, text: String, grey: bool },
    Line { x1: f32, y1: f32, x2: f32, y2: f32 },
    Band { x: f32, y: f32, w: f32, h: f32 },
    Image { index: usize, x: f32, y: f32, w: f32, h: f32 },
}

/// Pages of operations, filled top to bottom.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
    images: Vec<Image>,
}

impl Layout {
    fn new() -> Self {
        Self { pages: vec![Vec::new()], y: MARGIN, images: Vec::new() }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `h` more points fit on this one.
    fn room(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN - 20.0 {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, text: &str) {
        let y = self.y + size;
        self.ops().push(Op::Text { x, y, size, text: text.to_string(), grey: false });
    }

    /// A paragraph wrapped to `width`, advancing the cursor.
    fn para(&mut self, x: f32, width: f32, size: f32, text: &str) {
        for line in wrap(text, width, size) {
            self.room(size * 1.5);
            self.text(x, size, &line);
            self.y += size * 1.5;
        }
    }

    fn heading(&mut self, text: &str) {
        self.room(40.0);
        self.y += 8.0;
        self.text(MARGIN, 13.0, text);
        self.y += 18.0;
        let y = self.y;
        self.ops().push(Op::Line { x1: MARGIN, y1: y, x2: PAGE_W - MARGIN, y2: y });
        self.y += 6.0;
    }

    /// A table row: cells wrapped to their column, the row as tall as its tallest cell.
    fn row(&mut self, cols: &[f32], cells: &[String], size: f32, header: bool) {
        let wrapped: Vec<Vec<String>> = cols.iter().zip(cells).map(|(w, c)| wrap(c, w - 4.0, size)).collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * size * 1.4 + 4.0;
        self.room(h);
        let top = self.y;
        if header {
            self.ops().push(Op::Band { x: MARGIN, y: top, w: cols.iter().sum(), h });
        }
        let mut x = MARGIN;
        for (w, cell) in cols.iter().zip(&wrapped) {
            for (i, line) in cell.iter().enumerate() {
                let y = top + 2.0 + size + i as f32 * size * 1.4;
                self.ops().push(Op::Text { x: x + 2.0, y, size, text: line.clone(), grey: false });
            }
            x += w;
        }
        self.y = top + h;
        let y = self.y;
        self.ops().push(Op::Line { x1: MARGIN, y1: y, x2: x, y2: y });
    }

    fn image(&mut self, image: Image, x: f32, w: f32, h: f32) {
        let index = self.images.len();
        self.images.push(image);
        let y = self.y;
        self.ops().push(Op::Image { index, x, y, w, h });
    }
}

/// Estimated advance: CJK glyphs are one em, Latin about half (a little over, so a
/// line never overruns its column).
fn advance(c: char, size: f32) -> f32 {
    if c.is_ascii() { size * 0.58 } else { size }
}

fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for c in para.chars() {
            let a = advance(c, size);
            if w + a > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0.0;
            }
            line.push(c);
            w += a;
        }
        lines.push(line);
    }
    lines
}

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
pub fn render(content: &Content, version: i32, photos: &Photos, font: Font) -> Result<Vec<u8>, RenderError> {
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
    for (k, v) in meta {
        l.room(16.0);
        l.text(MARGIN, BODY, k);
        let y = l.y;
        l.para(MARGIN + 100.0, full - 100.0, BODY, &v);
        l.y = l.y.max(y + 15.0);
    }

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

    l.heading(if l.images.is_empty() { "三、未完成整改事项" } else { "四、未完成整改事项" });
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

    draw(l, content, font)
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

fn draw(l: Layout, content: &Content, font: Font) -> Result<Vec<u8>, RenderError> {
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} 隐患自查自纠报告", content.enterprise.name))
            .language("zh-CN".to_string())
            .creator("zhicha".to_string()),
    );
    let total = l.pages.len();
    let settings = || PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError::Pdf("page size".into()));
    let black = Fill { paint: rgb::Color::new(20, 20, 20).into(), ..Fill::default() };
    let grey = Fill { paint: rgb::Color::new(110, 110, 110).into(), ..Fill::default() };
    let band = Fill { paint: rgb::Color::new(230, 234, 240).into(), ..Fill::default() };
    let rule = Stroke { paint: rgb::Color::new(170, 170, 170).into(), width: 0.5, ..Stroke::default() };
    for (n, ops) in l.pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(settings()?);
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, text, grey: g } => {
                    s.set_fill(Some(if g { grey.clone() } else { black.clone() }));
                    s.draw_text(Point::from_xy(x, y), font.clone(), size, &text, false, TextDirection::Auto);
                }
                Op::Line { x1, y1, x2, y2 } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(x1, y1);
                    pb.line_to(x2, y2);
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(rule.clone()));
                        s.draw_path(&path);
                        s.set_stroke(None);
                    }
                }
                Op::Band { x, y, w, h } => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = Rect::from_xywh(x, y, w, h) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        s.set_fill(Some(band.clone()));
                        s.draw_path(&path);
                    }
                }
                Op::Image { index, x, y, w, h } => {
                    let (Some(image), Some(size)) = (l.images.get(index), Size::from_wh(w, h)) else { continue };
                    s.push_transform(&krilla::geom::Transform::from_translate(x, y));
                    s.draw_image(image.clone(), size);
                    s.pop();
                }
            }
        }
        let footer = format!("第 {} 页 / 共 {total} 页", n + 1);
        s.set_fill(Some(grey.clone()));
        let x = PAGE_W / 2.0 - footer.chars().map(|c| advance(c, SMALL)).sum::<f32>() / 2.0;
        s.draw_text(Point::from_xy(x, PAGE_H - 30.0), font.clone(), SMALL, &footer, false, TextDirection::Auto);
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| RenderError::Pdf(e.to_string()))
}
