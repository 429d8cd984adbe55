//! The CSV driver shared by the import profiles: structural errors stop the import,
//! row-level problems skip the row with its line and reason.

use std::collections::HashMap;

use super::record::{Record, Skip};
use super::scan::{self, FileError};

pub struct Row<'a> {
    pub line: usize,
    record: &'a csv::StringRecord,
    index: &'a HashMap<String, usize>,
}

impl Row<'_> {
    /// The trimmed value of a column that the profile declared (empty if absent).
    pub fn get(&self, column: &str) -> &str {
        self.index.get(column).and_then(|&i| self.record.get(i)).map_or("", str::trim)
    }

    /// All fields, for a content hash where the source has no key.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.record.iter()
    }
}

pub struct Parsed {
    pub rows_read: usize,
    pub records: Vec<Record>,
    pub skipped: Vec<Skip>,
}

/// Reads every row of `text`; `required` columns must be in the header, `optional`
/// ones may be. `convert` turns a row into a record or a reason to skip it.
pub fn read(
    text: &str,
    required: &[&str],
    optional: &[&str],
    mut convert: impl FnMut(&Row<'_>) -> Result<Record, String>,
    mut tick: impl FnMut(usize),
) -> Result<Parsed, FileError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let mut lines = scan::Lines::new(text);
    let headers = reader.headers().map_err(|e| scan::csv_error(&e, &mut lines))?.clone();
    let positions = scan::columns(&headers, required)?;
    let mut index: HashMap<String, usize> = required.iter().map(|c| c.to_string()).zip(positions).collect();
    for c in optional {
        if let Some(p) = headers.iter().position(|h| h.trim() == *c) {
            index.insert(c.to_string(), p);
        }
    }
    let mut parsed = Parsed { rows_read: 0, records: Vec::new(), skipped: Vec::new() };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(scan::csv_error(&e, &mut lines)),
        }
        parsed.rows_read += 1;
        let line = record.position().map_or(0, |p| lines.at(p.byte() as usize));
        let row = Row { line, record: &record, index: &index };
        match convert(&row) {
            Ok(r) => parsed.records.push(r),
            Err(reason) => parsed.skipped.push(Skip { line, reason }),
        }
        tick(parsed.rows_read);
    }
    Ok(parsed)
}
