//! Versioned crosswalks from source code systems (OIICS, MSHA, NAICS) to the Chinese
//! ones (GB 6441, GB/T 4754), loaded from `rules/mappings/`.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::codes::CodeTable;
use crate::csv_file;
use crate::rule_error::RuleError;

/// How a source code finds its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Hierarchical sources (OIICS, NAICS): the longest row code that prefixes the code.
    LongestPrefix,
    /// Flat sources (MSHA): the same code.
    Exact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingRow {
    pub source_code: String,
    pub source_title: String,
    pub target: String,
    /// GB 6441-2025 category name, for accident-type crosswalks.
    pub target_2025: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct MappingTable {
    pub version: String,
    pub matching: Match,
    rows: Vec<MappingRow>,
    index: HashMap<String, usize>,
    longest: usize,
}

impl MappingTable {
    /// Parses a crosswalk; every target must be in `targets` (and every `target_2025`
    /// in `targets_2025` when given).
    pub fn parse(
        file: &Path,
        text: &str,
        matching: Match,
        targets: &CodeTable,
        targets_2025: Option<&CodeTable>,
    ) -> Result<Self, Vec<RuleError>> {
        let csv = csv_file::parse(file, text, &["source_code", "source_title", "target", "target_2025", "note"])?;
        let mut errors = Vec::new();
        let mut table = MappingTable {
            version: csv.meta.get("version").cloned().unwrap_or_default(),
            matching,
            rows: Vec::new(),
            index: HashMap::new(),
            longest: 0,
        };
        for row in &csv.rows {
            let source = row.get("source_code");
            let target = row.get("target");
            let t2025 = row.get("target_2025");
            if source.is_empty() {
                errors.push(RuleError::new(file, row.line, "empty source_code"));
                continue;
            }
            if !targets.contains(target) {
                errors.push(RuleError::new(
                    file,
                    row.line,
                    format!("target {target:?} of {source:?} is not a known code"),
                ));
            }
            match targets_2025 {
                Some(t) if !t2025.is_empty() && !t.contains(t2025) => {
                    errors.push(RuleError::new(
                        file,
                        row.line,
                        format!("target_2025 {t2025:?} is not a GB 6441-2025 category"),
                    ));
                }
                None if !t2025.is_empty() => {
                    errors.push(RuleError::new(file, row.line, "target_2025 is only for accident-type crosswalks"));
                }
                _ => {}
            }
            if let Some(&first) = table.index.get(source) {
                let first_line = table.rows[first].line;
                errors.push(RuleError::new(
                    file,
                    row.line,
                    format!("source_code {source:?} repeats line {first_line}"),
                ));
                continue;
            }
            table.longest = table.longest.max(source.len());
            table.index.insert(source.to_string(), table.rows.len());
            table.rows.push(MappingRow {
                source_code: source.to_string(),
                source_title: row.get("source_title").to_string(),
                target: target.to_string(),
                target_2025: Some(t2025).filter(|s| !s.is_empty()).map(str::to_string),
                line: row.line,
            });
        }
        if table.rows.is_empty() {
            errors.push(RuleError::new(file, 0, "the crosswalk has no rows"));
        }
        if errors.is_empty() { Ok(table) } else { Err(errors) }
    }

    pub fn lookup(&self, code: &str) -> Option<&MappingRow> {
        let code = code.trim();
        match self.matching {
            Match::Exact => self.index.get(code).map(|&i| &self.rows[i]),
            Match::LongestPrefix => (1..=code.len().min(self.longest))
                .rev()
                .filter(|&n| code.is_char_boundary(n))
                .find_map(|n| self.index.get(&code[..n]))
                .map(|&i| &self.rows[i]),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::format;

    fn targets() -> CodeTable {
        let text = "# version: 1\ncode,name_zh,name_en\n01,物体打击,struck\n03,机械伤害,machinery\n09,高处坠落,fall\n";
        CodeTable::parse(Path::new("t.csv"), text, format::two_digits).unwrap_or_else(|e| panic!("{e:?}"))
    }

    const HEAD: &str = "# version: 3\nsource_code,source_title,target,target_2025,note\n";

    #[test]
    fn longest_prefix_wins() {
        let text = format!("{HEAD}6,Contact,01,,\n64,Caught in,03,,\n43,Fall to lower level,09,,\n");
        let t = MappingTable::parse(Path::new("m.csv"), &text, Match::LongestPrefix, &targets(), None)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(t.lookup("6411").map(|r| r.target.as_str()), Some("03"));
        assert_eq!(t.lookup("62").map(|r| r.target.as_str()), Some("01"));
        assert_eq!(t.lookup("43").map(|r| r.line), Some(5));
        assert!(t.lookup("7").is_none());
    }

    #[test]
    fn exact_match_does_not_fall_back() {
        let text = format!("{HEAD}21,Caught in,03,,\n");
        let t = MappingTable::parse(Path::new("m.csv"), &text, Match::Exact, &targets(), None)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(t.lookup("21").is_some());
        assert!(t.lookup("2").is_none() && t.lookup("211").is_none());
    }

    #[test]
    fn unknown_targets_and_repeats_are_reported_with_lines() {
        let text = format!("{HEAD}64,Caught in,99,,\n64,again,03,,\n");
        let errs =
            MappingTable::parse(Path::new("m.csv"), &text, Match::Exact, &targets(), None).err().unwrap_or_default();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec!["m.csv:3: target \"99\" of \"64\" is not a known code", "m.csv:4: source_code \"64\" repeats line 3",]
        );
    }
}
