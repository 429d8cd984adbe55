//! Code tables (GB 6441, GB/T 4754, GB/T 2260, OIICS) loaded from `rules/codes/`.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::csv_file;
use crate::rule_error::RuleError;

/// The code system a stored code belongs to; kept on every record so editions can
/// live side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CodeSystem {
    /// GB 6441-86 《企业职工伤亡事故分类》.
    #[serde(rename = "gb6441-86")]
    Gb6441_86,
    /// GB 6441-2025 《生产安全事故分类与编码》, keyed by category name until the
    /// official numeric codes are available.
    #[serde(rename = "gb6441-2025")]
    Gb6441_2025,
    /// OIICS 2.01 (US BLS), as used by OSHA.
    #[serde(rename = "oiics-2.01")]
    Oiics,
    /// MSHA's own accident codes.
    #[serde(rename = "msha")]
    Msha,
}

impl CodeSystem {
    pub const ALL: [CodeSystem; 4] = [Self::Gb6441_86, Self::Gb6441_2025, Self::Oiics, Self::Msha];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gb6441_86 => "gb6441-86",
            Self::Gb6441_2025 => "gb6441-2025",
            Self::Oiics => "oiics-2.01",
            Self::Msha => "msha",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeEntry {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Enclosing code (section of a division, city of a county), when the table has one.
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CodeTable {
    pub version: String,
    pub entries: Vec<CodeEntry>,
    index: HashMap<String, usize>,
}

impl CodeTable {
    pub fn get(&self, code: &str) -> Option<&CodeEntry> {
        self.index.get(code).map(|&i| &self.entries[i])
    }

    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Parses a code table; `check` vets each code (format rules of its standard).
    pub fn parse(file: &Path, text: &str, check: fn(&str) -> Result<(), String>) -> Result<Self, Vec<RuleError>> {
        let csv = csv_file::parse(file, text, &["code", "name_zh", "name_en"])?;
        let mut errors = Vec::new();
        let mut table =
            CodeTable { version: csv.meta.get("version").cloned().unwrap_or_default(), ..Default::default() };
        let mut first_line: HashMap<String, usize> = HashMap::new();
        for row in &csv.rows {
            let code = row.get("code");
            if let Err(reason) = check(code) {
                errors.push(RuleError::new(file, row.line, format!("code {code:?}: {reason}")));
                continue;
            }
            if row.get("name_zh").is_empty() && row.get("name_en").is_empty() {
                errors.push(RuleError::new(file, row.line, format!("code {code:?} has no name")));
            }
            if let Some(first) = first_line.insert(code.to_string(), row.line) {
                errors.push(RuleError::new(file, row.line, format!("code {code:?} repeats line {first}")));
                continue;
            }
            let parent = Some(row.get("parent")).filter(|p| !p.is_empty()).map(str::to_string);
            table.index.insert(code.to_string(), table.entries.len());
            table.entries.push(CodeEntry {
                code: code.to_string(),
                name_zh: row.get("name_zh").to_string(),
                name_en: row.get("name_en").to_string(),
                parent,
            });
        }
        for (entry, row) in table.entries.iter().zip(csv.rows.iter()) {
            if let Some(p) = &entry.parent
                && !table.index.contains_key(p)
            {
                errors.push(RuleError::new(
                    file,
                    row.line,
                    format!("parent {p:?} of {:?} is not in the table", entry.code),
                ));
            }
        }
        if table.entries.is_empty() {
            errors.push(RuleError::new(file, 0, "the table has no rows"));
        }
        if errors.is_empty() { Ok(table) } else { Err(errors) }
    }
}

/// Format checks per standard.
pub mod format {
    pub fn any(code: &str) -> Result<(), String> {
        if code.is_empty() { Err("empty code".into()) } else { Ok(()) }
    }

    pub fn two_digits(code: &str) -> Result<(), String> {
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err("expected two digits".into())
        }
    }

    /// GB/T 4754 sections (one capital letter) and divisions (two digits).
    pub fn industry(code: &str) -> Result<(), String> {
        let section = code.len() == 1 && code.bytes().all(|b| b.is_ascii_uppercase());
        if section || two_digits(code).is_ok() {
            Ok(())
        } else {
            Err("expected a section letter or a 2-digit division".into())
        }
    }

    pub fn region(code: &str) -> Result<(), String> {
        crate::region_code::RegionCode::parse(code).map(|_| ()).map_err(|e| e.to_string())
    }

    /// GB 6441-86 annex codes as numbered here: `A1.01`, `A2.18`.
    pub fn annex(code: &str) -> Result<(), String> {
        let ok = code.len() == 5
            && (code.starts_with("A1.") || code.starts_with("A2."))
            && code[3..].bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(()) } else { Err("expected A1.nn or A2.nn".into()) }
    }
}
