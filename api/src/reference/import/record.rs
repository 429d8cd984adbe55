//! An accident as parsed from any source, ready to store.

use chrono::NaiveDate;
use zhicha_engine::mapping::{MappingRow, MappingTable};
use zhicha_engine::{CodeSystem, Severity};

/// Who the accident happened at. Registry-coded enterprises are matched by credit code,
/// name-keyed ones by `key` (`<namespace>:<resolved name or id>`).
#[derive(Debug, Clone)]
pub struct EnterpriseRef {
    pub key: String,
    pub credit_code: Option<String>,
    pub name: String,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl EnterpriseRef {
    /// The import key of an enterprise identified by its credit code.
    pub fn credit_key(code: &str) -> String {
        format!("uscc:{code}")
    }
}

/// One dimension as recorded and as mapped to GB 6441.
#[derive(Debug, Clone, Default)]
pub struct Coded {
    pub system: Option<CodeSystem>,
    pub code: Option<String>,
    pub gb86: Option<String>,
    /// GB 6441-2025 category name (accident types only).
    pub gb2025: Option<String>,
}

impl Coded {
    /// A source code (absent when empty or `?`) and what `table` maps it to.
    pub fn mapped(system: CodeSystem, code: &str, table: &MappingTable) -> Self {
        let row = table.lookup(code);
        Coded {
            system: Some(system),
            code: text(code).filter(|c| c != "?"),
            gb86: row.map(|r| r.target.clone()),
            gb2025: row.and_then(|r| r.target_2025.clone()),
        }
    }

    /// Replaces the mapping with a more specific row (an override table's).
    pub fn remap(&mut self, row: Option<&MappingRow>) {
        if let Some(r) = row {
            self.gb86 = Some(r.target.clone());
            self.gb2025 = r.target_2025.clone();
        }
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    /// The file line the record starts on.
    pub line: usize,
    pub source_key: String,
    pub enterprise: EnterpriseRef,
    pub occurred_on: NaiveDate,
    pub accident_type: Coded,
    pub body_part: Coded,
    pub injury_nature: Coded,
    pub job: Option<String>,
    pub severity: Severity,
    pub disability_grade: Option<i16>,
    pub lost_days: Option<i32>,
    pub fund_payout_fen: Option<i64>,
    pub injured_count: i32,
    pub hospitalized: Option<bool>,
    pub amputation: Option<bool>,
    pub narrative: Option<String>,
}

/// A row left out, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skip {
    pub line: usize,
    pub reason: String,
}

/// Non-empty trimmed text, or None.
pub fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}
