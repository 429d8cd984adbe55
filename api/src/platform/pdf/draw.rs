//! Drawing a layout with krilla: the operations of each page, then its footer with the
//! page number out of the total.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::TextDirection;
use krilla_svg::{SurfaceExt, SvgSettings};

use super::RenderError;
use super::font::PdfFont;
use super::layout::{Layout, Op, PAGE_H, PAGE_W, SMALL, advance};

/// The PDF of `l`, titled `title` in its metadata.
pub fn draw(l: Layout, title: String, font: &PdfFont) -> Result<Vec<u8>, RenderError> {
    let font = &font.font;
    let mut doc = Document::new();
    doc.set_metadata(Metadata::new().title(title).language("zh-CN".to_string()).creator("zhicha".to_string()));
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
                    s.push_transform(&Transform::from_translate(x, y));
                    s.draw_image(image.clone(), size);
                    s.pop();
                }
                Op::Chart { index, x, y, w, h } => {
                    let (Some(tree), Some(size)) = (l.charts.get(index), Size::from_wh(w, h)) else { continue };
                    s.push_transform(&Transform::from_translate(x, y));
                    let drawn = s.draw_svg(tree, size, SvgSettings::default());
                    s.pop();
                    drawn.ok_or_else(|| RenderError::Chart("krilla-svg could not draw a chart".into()))?;
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
