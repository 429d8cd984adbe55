//! Source rows from CSV or JSON text, each with its line and byte offset, so problems of
//! any field can be reported at the row.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::super::validate::Lines;
use crate::rule_error::RuleError;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A JSON array.
    List(Vec<String>),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Self::Text(t) => t.trim().is_empty(),
            Self::List(l) => l.iter().all(|v| v.trim().is_empty()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    pub line: usize,
    pub offset: usize,
    pub fields: BTreeMap<String, Cell>,
}

/// Rows of a CSV text with a header row; `needed` columns must be in the header.
pub fn csv(file: &Path, text: &str, comment: Option<u8>, needed: &[&str]) -> Result<Vec<Record>, Vec<RuleError>> {
    let mut reader = csv::ReaderBuilder::new().comment(comment).flexible(false).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![csv_error(file, &e)]),
    };
    let header_line = 1 + comment.map_or(0, |c| text.lines().take_while(|l| l.as_bytes().first() == Some(&c)).count());
    let missing: Vec<RuleError> = needed
        .iter()
        .filter(|c| !headers.iter().any(|h| h.trim() == **c))
        .map(|c| RuleError::new(file, header_line, format!("no column `{c}` in the header")))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for r in reader.records() {
        match r {
            Ok(rec) => {
                let (line, offset) = rec.position().map_or((0, 0), |p| (p.line() as usize, p.byte() as usize));
                let fields = headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.trim().to_string(), Cell::Text(v.to_string())))
                    .collect();
                rows.push(Record { line, offset, fields });
            }
            Err(e) => errors.push(csv_error(file, &e)),
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

fn csv_error(file: &Path, e: &csv::Error) -> RuleError {
    let line = e.position().map_or(0, |p| p.line() as usize);
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not UTF-8".to_string(),
        _ => e.to_string(),
    };
    RuleError::new(file, line, reason)
}

/// Rows of a JSON array of objects; scalar values become text, arrays lists.
pub fn json(file: &Path, text: &str) -> Result<Vec<Record>, Vec<RuleError>> {
    let lines = Lines::new(text);
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| vec![RuleError::new(file, e.line(), e.to_string())])?;
    let serde_json::Value::Array(elements) = value else {
        return Err(vec![RuleError::new(file, 1, "expected an array of objects")]);
    };
    let offsets = element_offsets(text);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, el) in elements.into_iter().enumerate() {
        let offset = offsets.get(i).copied().unwrap_or(0);
        let line = lines.of(offset);
        let serde_json::Value::Object(map) = el else {
            errors.push(RuleError::new(file, line, format!("element {} is not an object", i + 1)));
            continue;
        };
        let mut fields = BTreeMap::new();
        for (k, v) in map {
            let cell = match v {
                serde_json::Value::Null => continue,
                serde_json::Value::Array(a) => Cell::List(a.iter().map(scalar).collect()),
                other => Cell::Text(scalar(&other)),
            };
            fields.insert(k.trim().to_string(), cell);
        }
        rows.push(Record { line, offset, fields });
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

/// Keys that no row has, among `needed`, for a header-less format.
pub fn missing_keys(rows: &[Record], needed: &[&str]) -> Vec<String> {
    let seen: HashSet<&str> = rows.iter().flat_map(|r| r.fields.keys().map(String::as_str)).collect();
    needed.iter().filter(|k| !seen.contains(**k)).map(|k| k.to_string()).collect()
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Byte offsets where the elements of the top-level array start (strings and escapes
/// skipped), so each row's line is known without a spanned JSON parser.
fn element_offsets(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut expect) = (0usize, false, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if expect && !c.is_whitespace() {
            expect = false;
            if c != ']' {
                out.push(i);
            }
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    expect = true;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expect = true,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_know_their_lines() {
        let text = "[\n  {\"a\": \"x, [y]\"},\n\n  {\"a\": [\"1\", 2], \"b\": null}\n]\n";
        let rows = json(Path::new("t.json"), text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!(rows[1].fields.get("a"), Some(&Cell::List(vec!["1".into(), "2".into()])));
        assert!(!rows[1].fields.contains_key("b"));
        let errs = json(Path::new("t.json"), "[\n{\"a\": 1},\n3\n]").err().unwrap_or_default();
        assert_eq!(errs[0].to_string(), "t.json:3: element 2 is not an object");
    }

    #[test]
    fn csv_rows_know_their_lines_and_offsets() {
        let text = "# 示例\na,b\n1,\"多\n行\"\n2,3\n";
        let rows = csv(Path::new("t.csv"), text, Some(b'#'), &["a"]).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 5]);
        let lines = Lines::new(text);
        assert_eq!(rows.iter().map(|r| lines.of(r.offset)).collect::<Vec<_>>(), vec![3, 5]);
        let errs = csv(Path::new("t.csv"), "a,b\n1\n", None, &["a", "c"]).err().unwrap_or_default();
        assert_eq!(errs[0].to_string(), "t.csv:1: no column `c` in the header");
        let errs = csv(Path::new("t.csv"), "a,b\n1\n", None, &["a"]).err().unwrap_or_default();
        assert_eq!(errs[0].to_string(), "t.csv:2: 1 fields where the header has 2");
    }
}
