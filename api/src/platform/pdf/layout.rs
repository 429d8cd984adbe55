//! Layout: text, table rows, photos and charts placed top to bottom into A4 pages of
//! drawing operations, a new page whenever the next piece does not fit.

use krilla::image::Image;

use super::RenderError;
use super::font::PdfFont;

pub const PAGE_W: f32 = 595.0;
pub const PAGE_H: f32 = 842.0;
pub const MARGIN: f32 = 50.0;
pub const BODY: f32 = 10.0;
pub const SMALL: f32 = 8.5;

/// Chart SVGs are drawn in CSS pixels; a pixel is 0.75 pt (96 per inch), so a chart of
/// `w` points is asked for at `w / 0.75` pixels and its text keeps the size it was given.
pub const PT_PER_PX: f32 = 0.75;

pub(super) enum Op {
    Text { x: f32, y: f32, size: f32, text: String, grey: bool },
    Line { x1: f32, y1: f32, x2: f32, y2: f32 },
    Band { x: f32, y: f32, w: f32, h: f32 },
    Image { index: usize, x: f32, y: f32, w: f32, h: f32 },
    Chart { index: usize, x: f32, y: f32, w: f32, h: f32 },
}

/// Pages of operations, filled top to bottom.
pub struct Layout {
    pub(super) pages: Vec<Vec<Op>>,
    /// The cursor: how far down the current page the next piece goes.
    pub y: f32,
    pub(super) images: Vec<Image>,
    pub(super) charts: Vec<usvg::Tree>,
}

impl Default for Layout {
    fn default() -> Self {
        Self::new()
    }
}

impl Layout {
    pub fn new() -> Self {
        Self { pages: vec![Vec::new()], y: MARGIN, images: Vec::new(), charts: Vec::new() }
    }

    /// Photos placed so far.
    pub fn image_count(&self) -> usize {
        self.images.len()
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `h` more points fit on this one.
    pub fn room(&mut self, h: f32) {
        if !self.fits(h) {
            self.new_page();
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// One line of text whose top is at the cursor (the cursor does not move).
    pub fn text(&mut self, x: f32, size: f32, text: &str) {
        let y = self.y + size;
        self.ops().push(Op::Text { x, y, size, text: text.to_string(), grey: false });
    }

    /// Like [`Layout::text`], in grey (notes, sources).
    pub fn note(&mut self, x: f32, size: f32, text: &str) {
        let y = self.y + size;
        self.ops().push(Op::Text { x, y, size, text: text.to_string(), grey: true });
    }

    /// A paragraph wrapped to `width`, advancing the cursor.
    pub fn para(&mut self, x: f32, width: f32, size: f32, text: &str) {
        for line in wrap(text, width, size) {
            self.room(size * 1.5);
            self.text(x, size, &line);
            self.y += size * 1.5;
        }
    }

    /// Label and value lines (a report's cover block): labels at the margin, values
    /// wrapped in the column `label_width` to their right.
    pub fn fields(&mut self, fields: &[(&str, String)], label_width: f32) {
        let full = PAGE_W - 2.0 * MARGIN;
        for (k, v) in fields {
            self.room(16.0);
            self.text(MARGIN, BODY, k);
            let y = self.y;
            self.para(MARGIN + label_width, full - label_width, BODY, v);
            self.y = self.y.max(y + 15.0);
        }
    }

    pub fn heading(&mut self, text: &str) {
        self.heading_keep(text, 0.0);
    }

    /// A section heading kept on one page with the `keep` points that follow it.
    pub fn heading_keep(&mut self, text: &str, keep: f32) {
        self.room(40.0 + keep);
        self.y += 8.0;
        self.text(MARGIN, 13.0, text);
        self.y += 18.0;
        let y = self.y;
        self.ops().push(Op::Line { x1: MARGIN, y1: y, x2: PAGE_W - MARGIN, y2: y });
        self.y += 6.0;
    }

    /// A table row: cells wrapped to their column, the row as tall as its tallest cell.
    pub fn row(&mut self, cols: &[f32], cells: &[String], size: f32, header: bool) {
        let wrapped = wrap_cells(cols, cells, size);
        let h = row_height(&wrapped, size);
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

    /// A table: its header, then its rows, the header again at the top of every page the
    /// table continues on; the header never ends a page without a row under it.
    pub fn table(&mut self, cols: &[f32], head: &[&str], rows: &[Vec<String>], size: f32) {
        let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
        let head_h = row_height(&wrap_cells(cols, &head, size), size);
        let first_h = rows.first().map_or(0.0, |r| row_height(&wrap_cells(cols, r, size), size));
        self.room(head_h + first_h);
        self.row(cols, &head, size, true);
        for r in rows {
            let h = row_height(&wrap_cells(cols, r, size), size);
            if !self.fits(h) {
                self.new_page();
                self.row(cols, &head, size, true);
            }
            self.row(cols, r, size, false);
        }
    }

    fn fits(&self, h: f32) -> bool {
        self.y + h <= PAGE_H - MARGIN - 20.0
    }

    /// A photo of `w` × `h` points at `x`, its top at the cursor (the cursor does not move).
    pub fn image(&mut self, image: Image, x: f32, w: f32, h: f32) {
        let index = self.images.len();
        self.images.push(image);
        let y = self.y;
        self.ops().push(Op::Image { index, x, y, w, h });
    }

    /// An SVG chart `width` points wide at the left margin, as tall as its aspect
    /// says, on a new page when it does not fit; the cursor moves below it. Its text
    /// is laid out in `font`, whatever family the SVG names, so it embeds as
    /// selectable text in the report's one font.
    pub fn chart(&mut self, font: &PdfFont, svg: &str, width: f32) -> Result<(), RenderError> {
        let face = font.face;
        let opt = usvg::Options {
            fontdb: font.fontdb.clone(),
            font_resolver: usvg::FontResolver {
                select_font: Box::new(move |_, _| Some(face)),
                select_fallback: usvg::FontResolver::default_fallback_selector(),
            },
            ..usvg::Options::default()
        };
        let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| RenderError::Chart(e.to_string()))?;
        let size = tree.size();
        let h = width * size.height() / size.width().max(1.0);
        self.room(h);
        let index = self.charts.len();
        self.charts.push(tree);
        let y = self.y;
        self.ops().push(Op::Chart { index, x: MARGIN, y, w: width, h });
        self.y += h;
        Ok(())
    }
}

/// Estimated advance: CJK glyphs are one em, Latin about half (a little over, so a
/// line never overruns its column).
pub(super) fn advance(c: char, size: f32) -> f32 {
    if c.is_ascii() { size * 0.58 } else { size }
}

fn wrap_cells(cols: &[f32], cells: &[String], size: f32) -> Vec<Vec<String>> {
    cols.iter().zip(cells).map(|(w, c)| wrap(c, w - 4.0, size)).collect()
}

fn row_height(wrapped: &[Vec<String>], size: f32) -> f32 {
    let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * size * 1.4 + 4.0
}

fn width_of(s: &str, size: f32) -> f32 {
    s.chars().map(|c| advance(c, size)).sum()
}

/// `text` broken into lines of at most `width` points (each `\n` starts a new line), at
/// the break opportunities of UAX #14: between CJK characters, at spaces, never inside
/// a number like `20.0%` or before closing punctuation like `。`. A piece wider than a
/// whole line is cut where it overflows.
pub fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        let mut start = 0;
        for (end, _) in unicode_linebreak::linebreaks(para) {
            let piece = &para[start..end];
            start = end;
            // Spaces at the end of a line take no room.
            if w + width_of(piece.trim_end(), size) > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                w = 0.0;
            }
            if width_of(piece.trim_end(), size) > width {
                for c in piece.chars() {
                    let a = advance(c, size);
                    if w + a > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        w = 0.0;
                    }
                    line.push(c);
                    w += a;
                }
                continue;
            }
            line.push_str(piece);
            w += width_of(piece, size);
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(lines: &[String], width: f32, size: f32) -> bool {
        lines.iter().all(|l| width_of(l, size) <= width + 1e-3)
    }

    #[test]
    fn lines_break_between_characters_but_not_inside_numbers_or_before_punctuation() {
        let text = "建议将维修钳工（13起，得分48.22）、电工（12起，得分39.00）列为2026年工伤预防重点岗位。";
        for width in [60.0, 95.0, 130.0, 171.0, 200.0] {
            let lines = wrap(text, width, 10.0);
            assert_eq!(lines.concat(), text, "nothing lost or added at {width}");
            assert!(fits(&lines, width, 10.0), "{lines:?}");
            for l in &lines[1..] {
                assert!(
                    !l.starts_with(['。', '，', '）', '、']),
                    "{width}: a line starts with closing punctuation: {lines:?}"
                );
            }
            for n in ["48.22", "39.00", "2026"] {
                assert!(lines.iter().any(|l| l.contains(n)), "{width}: {n} split: {lines:?}");
            }
        }
        // Plain CJK fills each line: ten characters of 10 points in 100 points.
        let lines = wrap(&"工".repeat(25), 100.0, 10.0);
        assert_eq!(lines.iter().map(|l| l.chars().count()).collect::<Vec<_>>(), [10, 10, 5]);
    }

    #[test]
    fn newlines_and_overlong_words() {
        assert_eq!(wrap("甲\n\n乙", 100.0, 10.0), ["甲", "", "乙"]);
        let long = "x".repeat(40);
        let lines = wrap(&long, 58.0, 10.0);
        assert_eq!(lines.concat(), long);
        assert!(lines.len() > 1 && fits(&lines, 58.0, 10.0), "{lines:?}");
        // Spaces where a line breaks are dropped, not carried to the next line.
        assert_eq!(wrap("aaaa bbbb", 30.0, 10.0), ["aaaa", "bbbb"]);
    }
}
