//! The CSV dialect of the rule tables: `# key: value` header comments, then a header
//! row and data rows. Records keep their file line so errors can point at them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::rule_error::RuleError;

pub struct CsvFile {
    /// `# key: value` comments at the top (`version`, `source`, ...).
    pub meta: BTreeMap<String, String>,
    pub rows: Vec<CsvRow>,
}

pub struct CsvRow {
    pub line: usize,
    pub fields: BTreeMap<String, String>,
}

impl CsvRow {
    pub fn get(&self, column: &str) -> &str {
        self.fields.get(column).map(String::as_str).unwrap_or("")
    }
}

/// Parses `text` (the contents of `file`), requiring `columns` in the header and a
/// `# version:` comment.
pub fn parse(file: &Path, text: &str, columns: &[&str]) -> Result<CsvFile, Vec<RuleError>> {
    let mut meta = BTreeMap::new();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some((k, v)) = line.trim_start_matches('#').split_once(':') {
            meta.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let mut errors = Vec::new();
    if meta.get("version").is_none_or(|v| v.is_empty()) {
        errors.push(RuleError::new(file, 1, "missing `# version: ...` comment on the first line"));
    }
    let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![RuleError::new(file, 0, format!("unreadable header: {e}"))]),
    };
    // The first line that is neither a comment nor blank, as the reader sees it; a file of
    // comments alone has none, and its columns are missing at its last line, not past it.
    let Some(header_line) = text.lines().position(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|i| i + 1)
    else {
        let last = text.lines().count().max(1);
        errors.push(RuleError::new(file, last, format!("no header row: expected the columns {}", columns.join(", "))));
        return Err(errors);
    };
    for col in columns {
        if !headers.iter().any(|h| h == *col) {
            errors.push(RuleError::new(file, header_line, format!("missing column `{col}`")));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line() as usize);
                let fields =
                    headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.trim().to_string())).collect();
                rows.push(CsvRow { line, fields });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                errors.push(RuleError::new(file, line, e.to_string()));
            }
        }
    }
    if errors.is_empty() { Ok(CsvFile { meta, rows }) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_comments_alone_has_no_header_row_and_says_so_on_its_last_line() {
        // Found by the `rules` fuzz target: the missing columns were reported on line 4 of
        // a file of three lines.
        let text = "# version: 1\n# source: x\n# nothing else";
        let errors = parse(Path::new("t.csv"), text, &["code"]).err().unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].to_string().contains("no header row"), "{}", errors[0]);
        // Blank lines before the header row do not shift the line it is named on.
        let text = "# version: 1\n\nname\nx\n";
        let errors = parse(Path::new("t.csv"), text, &["code"]).err().unwrap_or_default();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn rows_keep_their_file_lines() {
        let text = "# version: 1\n# source: test\ncode,name\n01,a\n02,\"b, c\"\n";
        let f = parse(Path::new("t.csv"), text, &["code", "name"]).unwrap_or_else(|_| panic!());
        assert_eq!(f.meta.get("version").map(String::as_str), Some("1"));
        assert_eq!(f.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(f.rows[1].get("name"), "b, c");
    }

    #[test]
    fn reports_missing_version_and_column() {
        let errs = parse(Path::new("t.csv"), "code\n01\n", &["code", "name"]).err().unwrap_or_default();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec!["t.csv:1: missing `# version: ...` comment on the first line", "t.csv:1: missing column `name`"]
        );
    }
}
