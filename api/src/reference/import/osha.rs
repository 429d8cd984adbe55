//! OSHA Severe Injury Reports (`--profile osha-sir`): one row per report, keyed by UPA;
//! employers resolved by name (rules/names/employer.toml); OIICS codes kept and mapped
//! to GB 6441; NAICS mapped to GB/T 4754. The file has no job column: the job is the
//! one the narrative names (rules/mappings/osha_narrative_jobs.toml), the narrative is
//! kept as written.
//!
//! Severity: a severe-injury report means in-patient hospitalisation, an amputation or
//! the loss of an eye. An amputation is a serious injury (重伤) under GB 6441-86;
//! hospitalisation alone does not establish 105 lost days and is stored as minor,
//! with `hospitalized` kept so nothing is lost.

use chrono::NaiveDate;
use zhicha_engine::{Catalog, CodeSystem, Severity};

use super::record::{Coded, EnterpriseRef, Record, text};
use super::rows::Row;

pub const SOURCE: &str = "osha-sir";
pub const REQUIRED: &[&str] = &["UPA", "EventDate", "Employer", "Primary NAICS", "Nature", "Part of Body", "Event"];
pub const OPTIONAL: &[&str] = &[
    "Address1",
    "Address2",
    "City",
    "State",
    "Zip",
    "Latitude",
    "Longitude",
    "Hospitalized",
    "Amputation",
    "Final Narrative",
    "Source",
    "Secondary Source",
];

fn flag(s: &str) -> Option<bool> {
    s.parse::<f64>().ok().map(|v| v > 0.0)
}

pub fn convert(row: &Row<'_>, catalog: &Catalog) -> Result<Record, String> {
    let upa = text(row.get("UPA")).ok_or("UPA is empty")?;
    let date = row.get("EventDate");
    let occurred_on =
        NaiveDate::parse_from_str(date, "%m/%d/%Y").map_err(|_| format!("EventDate {date:?} is not M/D/YYYY"))?;
    let employer = text(row.get("Employer")).ok_or("Employer is empty")?;
    let resolved = catalog.employer_names.normalise(&employer);
    let naics = row.get("Primary NAICS");
    let industry_code = catalog.naics.lookup(naics).and_then(|r| {
        let section = zhicha_engine::industry_code::section_of(r.target.parse().ok()?)?;
        Some(format!("{section}{}", r.target))
    });
    let address = [row.get("Address1"), row.get("Address2"), row.get("City"), row.get("State"), row.get("Zip")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let event = row.get("Event");
    let sources = [row.get("Source"), row.get("Secondary Source")];
    let mut accident_type = Coded::mapped(CodeSystem::Oiics, event, &catalog.oiics_event);
    accident_type.remap(catalog.oiics_accident_type(event, &sources));
    let narrative = text(row.get("Final Narrative"));
    let job = narrative.as_deref().and_then(|n| catalog.osha_narrative_jobs.job_of(n)).map(|m| m.job.label.clone());
    let amputation = flag(row.get("Amputation"));
    let severity = if amputation == Some(true) { Severity::Serious } else { Severity::Minor };
    Ok(Record {
        line: row.line,
        source_key: upa,
        enterprise: EnterpriseRef {
            key: format!("us-employer:{resolved}"),
            credit_code: None,
            name: employer,
            industry_code,
            region_code: None,
            address: text(&address),
            latitude: row.get("Latitude").parse().ok(),
            longitude: row.get("Longitude").parse().ok(),
        },
        occurred_on,
        accident_type,
        body_part: Coded::mapped(CodeSystem::Oiics, row.get("Part of Body"), &catalog.oiics_body_part),
        injury_nature: Coded::mapped(CodeSystem::Oiics, row.get("Nature"), &catalog.oiics_nature),
        job,
        severity,
        disability_grade: None,
        lost_days: None,
        fund_payout_fen: None,
        injured_count: 1,
        hospitalized: flag(row.get("Hospitalized")),
        amputation,
        narrative,
    })
}
