//! Whole-file checks before any row is read: UTF-8, and quotes that close. A file cut
//! short usually ends inside a quoted narrative; the csv reader alone would take the
//! stub for a complete last field.

use std::fmt;

/// A problem that makes the whole file unusable: nothing is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub line: usize,
    /// 1-based; for field-count problems, the field position at fault.
    pub column: usize,
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.reason)
    }
}

impl std::error::Error for FileError {}

/// Whether `bytes[i]` ends a line: a `\n`, or a `\r` not followed by one (old Mac
/// files end lines with `\r` alone, and the csv reader takes it as a record end).
fn ends_line(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i) {
        Some(b'\n') => true,
        Some(b'\r') => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// Line breaks in `bytes[from..to]`.
fn breaks(bytes: &[u8], from: usize, to: usize) -> usize {
    (from..to).filter(|&i| ends_line(bytes, i)).count()
}

/// Line and column (in characters) of a byte offset.
fn position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = breaks(bytes, 0, offset) + 1;
    let line_start = (0..offset).rev().find(|&i| ends_line(bytes, i)).map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

pub fn check(bytes: &[u8]) -> Result<&str, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = position(bytes, e.valid_up_to());
        FileError { line, column, reason: "not valid UTF-8 (save the file as UTF-8)".into() }
    })?;
    let mut open_at = None;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'"' {
            open_at = if open_at.is_some() { None } else { Some(i) };
        }
    }
    // A doubled quote inside a field toggles twice, so only a quote left open at the
    // end of the file remains.
    if let Some(at) = open_at {
        let (line, column) = position(bytes, at);
        return Err(FileError {
            line,
            column,
            reason: "quoted field never closes before the end of the file (is the file truncated?)".into(),
        });
    }
    Ok(text)
}

/// File lines of byte offsets, counted incrementally (the csv crate's own line count
/// is one short for CRLF files).
pub struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Self { bytes: text.as_bytes(), offset: 0, line: 1 }
    }

    /// The 1-based line of `offset`; offsets must not decrease between calls. With
    /// CRLF endings the csv reader places a record at the `\n` that ends the line
    /// before it, which belongs to that line.
    pub fn at(&mut self, offset: usize) -> usize {
        let offset = if ends_line(self.bytes, offset) { offset + 1 } else { offset };
        let end = offset.min(self.bytes.len());
        if end > self.offset {
            self.line += breaks(self.bytes, self.offset, end);
            self.offset = end;
        }
        self.line
    }
}

/// Converts a csv error into a file error with the line and the field at fault.
pub fn csv_error(e: &csv::Error, lines: &mut Lines<'_>) -> FileError {
    let line_of = |p: &csv::Position, lines: &mut Lines<'_>| lines.at(p.byte() as usize);
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => FileError {
            line: pos.as_ref().map_or(0, |p| line_of(p, lines)),
            column: (*len.min(expected_len) as usize) + 1,
            reason: format!(
                "the record has {len} fields but the header has {expected_len} (is the file truncated or a delimiter wrong?)"
            ),
        },
        _ => FileError { line: e.position().map_or(0, |p| line_of(p, lines)), column: 1, reason: e.to_string() },
    }
}

/// The header positions of `columns`; a missing one is a file error on line 1.
pub fn columns(headers: &csv::StringRecord, columns: &[&str]) -> Result<Vec<usize>, FileError> {
    columns
        .iter()
        .map(|c| {
            headers.iter().position(|h| h.trim() == *c).ok_or_else(|| FileError {
                line: 1,
                column: headers.len() + 1,
                reason: format!("missing column {c:?}"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_quote_is_reported_where_it_opens() {
        let e = check(b"a,b\n1,\"x\"\"y\"\n2,\"cut sho").err();
        assert_eq!(e.map(|e| (e.line, e.column)), Some((3, 3)));
        assert!(check(b"a,b\n1,\"x\"\"y\"\n").is_ok());
    }

    /// The line of each record of `text`, as the importers report it.
    fn record_lines(text: &str) -> Vec<usize> {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let mut lines = Lines::new(text);
        reader
            .records()
            .map(|r| r.map(|r| r.position().map_or(0, |p| lines.at(p.byte() as usize))).unwrap_or(0))
            .collect()
    }

    #[test]
    fn lines_count_bare_newlines_inside_quotes() {
        assert_eq!(record_lines("a,b\r\n1,\"x\ny\"\r\n2,z\r\n"), vec![2, 4]);
    }

    #[test]
    fn lines_ended_by_a_carriage_return_alone_are_counted() {
        // Found by the accidents fuzz target: every row of such a file was on line 1.
        for text in ["a,b\r1,x\r2,y\r", "a,b\r\n1,x\r\n2,y\r\n", "a,b\n1,x\n2,y\n"] {
            assert_eq!(record_lines(text), vec![2, 3], "{text:?}");
        }
        let e = check(b"a,b\r1,\xff\r").err();
        assert_eq!(e.map(|e| (e.line, e.column)), Some((2, 3)));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = check(b"a,b\n1,\xff\n").err();
        assert_eq!(e.map(|e| (e.line, e.column)), Some((2, 3)));
    }
}
