//! MSHA mine accidents (`--profile msha`): enterprises are mines (`MINE_ID`), accident
//! type, nature and body part are MSHA codes mapped to GB 6441 (the classification
//! overrides the type for roof falls, inundations, explosives and ignitions).
//!
//! The export has no unique record key (DOCUMENT_NO is mangled into scientific
//! notation), so a record's key is the SHA-256 of all its fields: the same row always
//! gets the same key. Severity: DEGREE_INJURY 01 fatality → death; 02 permanent
//! disability → disability (grade unknown); otherwise serious from 105 lost days.
//! Industry: coal (C) → GB/T 4754 division 06; metal/non-metal (M) → 10 (non-metallic
//! minerals), the bulk of MSHA's M/NM mines being stone, sand and gravel.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use zhicha_engine::{Catalog, CodeSystem, Severity};

use super::record::{Coded, EnterpriseRef, Record, text};
use super::rows::Row;

pub const SOURCE: &str = "msha";
pub const REQUIRED: &[&str] =
    &["MINE_ID", "ACCIDENT_DT", "DEGREE_INJURY_CD", "ACCIDENT_TYPE_CD", "NATURE_INJURY_CD", "INJ_BODY_PART_CD"];
pub const OPTIONAL: &[&str] =
    &["OPERATOR_NAME", "CLASSIFICATION_CD", "OCCUPATION", "DAYS_LOST", "NO_INJURIES", "NARRATIVE", "COAL_METAL_IND"];

pub fn convert(row: &Row<'_>, catalog: &Catalog) -> Result<Record, String> {
    let mine = text(row.get("MINE_ID")).ok_or("MINE_ID is empty")?;
    let date = row.get("ACCIDENT_DT");
    let occurred_on =
        NaiveDate::parse_from_str(date, "%d/%m/%Y").map_err(|_| format!("ACCIDENT_DT {date:?} is not D/MM/YYYY"))?;
    let mut hash = Sha256::new();
    for f in row.fields() {
        hash.update(f.as_bytes());
        hash.update([0x1f]);
    }
    let key: String = hash.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
    let lost_days = row.get("DAYS_LOST").parse::<f64>().ok().map(|d| d.round() as i32).filter(|d| *d >= 0);
    let severity = match row.get("DEGREE_INJURY_CD") {
        "1" | "01" => Severity::Death,
        "2" | "02" => Severity::Disability,
        _ => Severity::from_lost_days(lost_days.map_or(0, i64::from)),
    };
    let division = if row.get("COAL_METAL_IND") == "C" { "06" } else { "10" };
    let mut accident_type = Coded::mapped(CodeSystem::Msha, row.get("ACCIDENT_TYPE_CD"), &catalog.msha_accident_type);
    accident_type.remap(catalog.msha_accident_type_of(row.get("ACCIDENT_TYPE_CD"), row.get("CLASSIFICATION_CD")));
    let operator = text(row.get("OPERATOR_NAME")).unwrap_or_else(|| format!("Mine {mine}"));
    Ok(Record {
        line: row.line,
        source_key: key,
        enterprise: EnterpriseRef {
            key: format!("msha-mine:{mine}"),
            credit_code: None,
            name: format!("{operator} (mine {mine})"),
            industry_code: Some(format!("B{division}")),
            region_code: None,
            address: None,
            latitude: None,
            longitude: None,
        },
        occurred_on,
        accident_type,
        body_part: Coded::mapped(CodeSystem::Msha, row.get("INJ_BODY_PART_CD"), &catalog.msha_body_part),
        injury_nature: Coded::mapped(CodeSystem::Msha, row.get("NATURE_INJURY_CD"), &catalog.msha_nature),
        job: text(row.get("OCCUPATION")).filter(|o| o != "?"),
        severity,
        disability_grade: None,
        lost_days,
        fund_payout_fen: None,
        injured_count: row.get("NO_INJURIES").parse().ok().filter(|n| *n >= 1).unwrap_or(1),
        hospitalized: None,
        amputation: None,
        narrative: text(row.get("NARRATIVE")),
    })
}
