//! Every row of a roster checked before anything is written: the credit code and its
//! check character, the name, a GB/T 4754 class whose division is in the code table, a
//! GB/T 2260 region in the code table and inside the importer's reach, counts, and a
//! credit code that no earlier row of the file used.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;
use zhicha_engine::{Catalog, CreditCode, IndustryCode, RegionCode};

use super::mapping::Mapping;
use super::read::Table;
use crate::reference::import::scan::FileError;
use crate::store::register::Fields;

/// A row refused, and why: what the run reports.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowError {
    /// The file line (sheet row) of the row.
    pub line: usize,
    /// The field at fault (`credit_code`, `industry`, ...), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
}

/// Whose enterprises an import may write.
#[derive(Debug, Clone, Copy)]
pub enum Reach {
    /// The operator's CLI: every region.
    All,
    /// A bureau: regions inside its own.
    Region(RegionCode),
    /// The service organisation: enterprises it serves (new ones become its clients).
    Org(i64),
}

impl Reach {
    pub fn holds_region(&self, code: &str) -> bool {
        match self {
            Reach::Region(r) => RegionCode::parse(code).is_ok_and(|c| r.contains(c)),
            Reach::All | Reach::Org(_) => true,
        }
    }
}

/// A row that passed: its line, credit code and the fields it gives.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub credit_code: String,
    pub fields: Fields,
}

fn err(line: usize, field: &str, reason: impl Into<String>) -> RowError {
    RowError { line, field: Some(field.to_string()), reason: reason.into() }
}

fn count(line: usize, field: &str, v: &str) -> Result<Option<i32>, RowError> {
    if v.is_empty() {
        return Ok(None);
    }
    // Spreadsheets write whole numbers as `120` or `120.0`.
    let whole = v.strip_suffix(".0").unwrap_or(v);
    whole
        .parse::<i32>()
        .ok()
        .filter(|n| (0..=10_000_000).contains(n))
        .map(Some)
        .ok_or_else(|| err(line, field, format!("{field} {v:?} is not a whole number of people")))
}

fn degrees(line: usize, field: &str, v: &str, max: f64) -> Result<Option<f64>, RowError> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<f64>()
        .ok()
        .filter(|d| d.is_finite() && d.abs() <= max)
        .map(Some)
        .ok_or_else(|| err(line, field, format!("{field} {v:?} is not a number of degrees within ±{max}")))
}

/// The header positions of the mapping's columns; a missing one is a file error.
pub fn columns(table: &Table, mapping: &Mapping) -> Result<HashMap<String, usize>, FileError> {
    let mut index = HashMap::new();
    for c in mapping.required() {
        let p = table.header.iter().position(|h| h == c).ok_or_else(|| FileError {
            line: 1,
            column: table.header.len() + 1,
            reason: format!("missing column {c:?} (mapping {})", mapping.name),
        })?;
        index.insert(c.to_string(), p);
    }
    Ok(index)
}

fn row(
    line: usize,
    cells: &[String],
    index: &HashMap<String, usize>,
    m: &Mapping,
    catalog: &Catalog,
    reach: Reach,
) -> Result<Row, RowError> {
    let get = |c: &Option<String>| -> &str {
        c.as_ref().and_then(|c| index.get(c)).and_then(|&i| cells.get(i)).map_or("", String::as_str)
    };
    let c = &m.columns;
    let code = get(&Some(c.credit_code.clone()));
    let credit_code = CreditCode::parse(code)
        .map_err(|e| err(line, "credit_code", format!("credit code {code:?}: {e}")))?
        .to_string();
    let name = get(&Some(c.name.clone()));
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(err(line, "name", "the name is empty, longer than 200 characters or holds control characters"));
    }
    let industry = get(&Some(c.industry.clone()));
    let industry = IndustryCode::parse(industry).map_err(|e| err(line, "industry", format!("industry: {e}")))?;
    if !catalog.industry.contains(industry.division()) {
        return Err(err(line, "industry", format!("division {} is not in the GB/T 4754 table", industry.division())));
    }
    let region = get(&Some(c.region.clone()));
    let region_code = RegionCode::parse(region).map_err(|e| err(line, "region", format!("region {region:?}: {e}")))?;
    if !catalog.region.contains(&region_code.to_string()) {
        return Err(err(line, "region", format!("region {region_code} is not in the GB/T 2260 table")));
    }
    if !reach.holds_region(&region_code.to_string()) {
        return Err(err(line, "region", format!("region {region_code} is not within your jurisdiction")));
    }
    let address = get(&c.address);
    if address.chars().count() > 300 || address.chars().any(char::is_control) {
        return Err(err(line, "address", "the address is longer than 300 characters or holds control characters"));
    }
    let latitude = degrees(line, "latitude", get(&c.latitude), 90.0)?;
    let longitude = degrees(line, "longitude", get(&c.longitude), 180.0)?;
    if latitude.is_some() != longitude.is_some() {
        return Err(err(line, "latitude", "give latitude and longitude together"));
    }
    Ok(Row {
        line,
        credit_code: credit_code.clone(),
        fields: Fields {
            credit_code: Some(credit_code),
            name: Some(name.to_string()),
            industry_code: Some(industry.to_string()),
            region_code: Some(region_code.to_string()),
            address: (!address.is_empty()).then(|| address.to_string()),
            latitude,
            longitude,
            workforce: count(line, "workforce", get(&c.workforce))?,
            insured_workers: count(line, "insured_workers", get(&c.insured_workers))?,
            ..Fields::default()
        },
    })
}

/// The rows that pass and the errors of the others, in file order.
pub fn rows(
    table: &Table,
    m: &Mapping,
    catalog: &Catalog,
    reach: Reach,
    mut tick: impl FnMut(usize),
) -> Result<(Vec<Row>, Vec<RowError>), FileError> {
    let index = columns(table, m)?;
    let mut ok = Vec::with_capacity(table.rows.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, (line, cells)) in table.rows.iter().enumerate() {
        match row(*line, cells, &index, m, catalog, reach) {
            Ok(r) => match seen.get(&r.credit_code) {
                Some(first) => errors.push(err(*line, "credit_code", format!("credit code repeats line {first}"))),
                None => {
                    seen.insert(r.credit_code.clone(), *line);
                    ok.push(r);
                }
            },
            Err(e) => errors.push(e),
        }
        tick(n + 1);
    }
    Ok((ok, errors))
}
