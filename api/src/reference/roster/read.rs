//! A roster file as a table of text: XLSX (the first sheet), or CSV in UTF-8 (with or
//! without a byte-order mark) or GB18030/GBK, which Chinese spreadsheet software writes
//! by default. Each row keeps the line (sheet row) it came from, for row errors.

use std::io::Cursor;

use calamine::{Reader, Xlsx};

use crate::reference::import::scan::{self, FileError};

/// What a file is, judged by its bytes rather than its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// Why a file is refused before any row is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a roster format at all (415).
    WrongType(String),
    /// A roster format whose structure is broken (422), with its line.
    Malformed(FileError),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::WrongType(why) => f.write_str(why),
            Refusal::Malformed(e) => write!(f, "{e}"),
        }
    }
}

fn malformed(line: usize, reason: impl Into<String>) -> Refusal {
    Refusal::Malformed(FileError { line, column: 1, reason: reason.into() })
}

/// The format of `bytes`: a zip container is XLSX, an OLE one (old `.xls`) and other
/// binary content are refused, text is CSV.
pub fn sniff(bytes: &[u8]) -> Result<Format, Refusal> {
    if bytes.is_empty() {
        return Err(malformed(1, "the file is empty"));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(Refusal::WrongType("an old Excel .xls file: save it as .xlsx or as CSV".into()));
    }
    if bytes.contains(&0) {
        return Err(Refusal::WrongType("not a CSV or XLSX file (binary content)".into()));
    }
    Ok(Format::Csv)
}

/// Header and rows; a row is its 1-based line and its cells, trimmed.
#[derive(Debug, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

pub fn read(bytes: &[u8]) -> Result<Table, Refusal> {
    match sniff(bytes)? {
        Format::Xlsx => xlsx(bytes),
        Format::Csv => csv_table(&decode(bytes)?),
    }
}

/// UTF-8 (a BOM dropped), else GB18030, which includes GBK and GB2312.
fn decode(bytes: &[u8]) -> Result<String, Refusal> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or_else(|| malformed(1, "the text is neither UTF-8 nor GB18030/GBK: save the file as UTF-8 CSV or XLSX"))
}

fn csv_table(text: &str) -> Result<Table, Refusal> {
    scan::check(text.as_bytes()).map_err(Refusal::Malformed)?;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let mut lines = scan::Lines::new(text);
    let header = reader.headers().map_err(|e| Refusal::Malformed(scan::csv_error(&e, &mut lines)))?;
    let mut table = Table { header: header.iter().map(|h| h.trim().to_string()).collect(), rows: Vec::new() };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(Refusal::Malformed(scan::csv_error(&e, &mut lines))),
        }
        let line = record.position().map_or(0, |p| lines.at(p.byte() as usize));
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            table.rows.push((line, cells));
        }
    }
    Ok(table)
}

fn xlsx(bytes: &[u8]) -> Result<Table, Refusal> {
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| malformed(1, format!("the XLSX file cannot be opened: {e}")))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(malformed(1, format!("the first sheet cannot be read: {e}"))),
        None => return Err(malformed(1, "the workbook has no sheet")),
    };
    // Lines are sheet rows: the range may start below row 1.
    let first = range.start().map_or(0, |(row, _)| row as usize);
    let mut rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first + i + 1, cells.iter().map(|c| c.to_string().trim().to_string()).collect::<Vec<_>>()));
    let Some((_, header)) = rows.next() else { return Err(malformed(1, "the first sheet is empty")) };
    let rows = rows.filter(|(_, cells)| cells.iter().any(|c| !c.is_empty())).collect();
    Ok(Table { header, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_csv_is_read_and_lines_are_kept() {
        let (gbk, _, _) = encoding_rs::GBK.encode("单位名称,人数\n甲公司,3\n\n乙公司,4\n");
        let t = read(&gbk).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.header, vec!["单位名称", "人数"]);
        assert_eq!(
            t.rows,
            vec![(2, vec!["甲公司".to_string(), "3".to_string()]), (4, vec!["乙公司".into(), "4".into()])]
        );
    }

    #[test]
    fn xlsx_rows_keep_their_sheet_row_and_numbers_read_whole() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet();
        for (c, h) in ["单位名称", "参保人数"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "甲公司").unwrap();
        sheet.write_number(1, 1, 120.0).unwrap();
        sheet.write_string(3, 0, "乙公司").unwrap();
        sheet.write_number(3, 1, 7.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        assert_eq!(sniff(&bytes), Ok(Format::Xlsx));
        let t = read(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.header, vec!["单位名称", "参保人数"]);
        assert_eq!(
            t.rows,
            vec![(2, vec!["甲公司".to_string(), "120".to_string()]), (4, vec!["乙公司".into(), "7".into()])]
        );
    }

    #[test]
    fn binary_and_old_excel_are_refused_by_type() {
        assert!(matches!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0]), Err(Refusal::WrongType(_))));
        assert!(matches!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Err(Refusal::WrongType(_))));
        assert!(matches!(read(b"a,b\n1,2,3\n"), Err(Refusal::Malformed(e)) if e.line == 2));
    }
}
