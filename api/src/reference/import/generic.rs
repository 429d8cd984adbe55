//! Generic CSV (`--profile generic --mapping FILE`): a TOML mapping file names the
//! column for each field, the code system of each coded column and the date format.
//! This is the path for Chinese work-injury records, whose enterprises carry a unified
//! social credit code (verified by its check digit) and whose codes are GB 6441.
//! See `seeds/import/generic-example.toml`.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use zhicha_engine::codes::CodeTable;
use zhicha_engine::mapping::MappingTable;
use zhicha_engine::{Catalog, CodeSystem, CreditCode, IndustryCode, RegionCode, Severity};

use super::record::{Coded, EnterpriseRef, Record, text};
use super::rows::Row;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Name of the source; with the key column it identifies a record across imports.
    pub source: String,
    /// chrono format of the date column, e.g. `%Y-%m-%d`.
    pub date_format: String,
    pub columns: Columns,
    #[serde(default)]
    pub systems: Systems,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub source_key: String,
    pub occurred_on: String,
    /// Either a credit-code column, or a name column (then names are resolved).
    pub credit_code: Option<String>,
    pub enterprise_name: String,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub accident_type: Option<String>,
    pub body_part: Option<String>,
    pub injury_nature: Option<String>,
    pub job: Option<String>,
    /// minor / serious / disability / death, or 轻伤 / 重伤 / 伤残 / 死亡.
    pub severity: Option<String>,
    pub disability_grade: Option<String>,
    pub lost_days: Option<String>,
    /// Yuan with up to two decimals; stored as fen.
    pub fund_payout_yuan: Option<String>,
    pub narrative: Option<String>,
}

/// Code system of each coded column; GB 6441-86 unless stated.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Systems {
    pub accident_type: CodeSystem,
    pub body_part: CodeSystem,
    pub injury_nature: CodeSystem,
}

impl Default for Systems {
    fn default() -> Self {
        Self {
            accident_type: CodeSystem::Gb6441_86,
            body_part: CodeSystem::Gb6441_86,
            injury_nature: CodeSystem::Gb6441_86,
        }
    }
}

impl Mapping {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Self::parse(path, &text)
    }

    /// A mapping file's text; errors name `path` and the line.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<Self> {
        let m: Mapping = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| zhicha_engine::rule_error::line_of(text, s.start));
            anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
        })?;
        if m.source.trim().is_empty() || m.source.contains(':') {
            anyhow::bail!("{}: source must be a non-empty name without ':'", path.display());
        }
        Ok(m)
    }

    /// Every column the mapping names; all must be in the file's header.
    pub fn required(&self) -> Vec<&str> {
        let c = &self.columns;
        [
            Some(&c.source_key),
            Some(&c.occurred_on),
            c.credit_code.as_ref(),
            Some(&c.enterprise_name),
            c.industry.as_ref(),
            c.region.as_ref(),
            c.address.as_ref(),
            c.accident_type.as_ref(),
            c.body_part.as_ref(),
            c.injury_nature.as_ref(),
            c.job.as_ref(),
            c.severity.as_ref(),
            c.disability_grade.as_ref(),
            c.lost_days.as_ref(),
            c.fund_payout_yuan.as_ref(),
            c.narrative.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
    }
}

fn col<'a>(row: &'a Row<'_>, column: &Option<String>) -> &'a str {
    column.as_deref().map_or("", |c| row.get(c))
}

/// A GB 6441 value given as code or as Chinese name.
fn gb(value: &str, table: &CodeTable) -> Option<String> {
    table.get(value).or_else(|| table.entries.iter().find(|e| e.name_zh == value)).map(|e| e.code.clone())
}

fn coded(value: &str, system: CodeSystem, gb86: &CodeTable, cross: &MappingTable, what: &str) -> Result<Coded, String> {
    let Some(v) = text(value) else { return Ok(Coded::default()) };
    let mut c = Coded { system: Some(system), code: Some(v.clone()), ..Default::default() };
    match system {
        CodeSystem::Gb6441_86 => {
            c.gb86 = Some(gb(&v, gb86).ok_or_else(|| format!("{what} {v:?} is not a GB 6441-86 code or name"))?);
            c.code = c.gb86.clone();
        }
        CodeSystem::Gb6441_2025 => c.gb2025 = Some(v),
        CodeSystem::Oiics | CodeSystem::Msha => c = Coded::mapped(system, &v, cross),
    }
    Ok(c)
}

fn severity(s: &str) -> Result<Option<Severity>, String> {
    Ok(Some(match s {
        "" => return Ok(None),
        "轻伤" => Severity::Minor,
        "重伤" => Severity::Serious,
        "伤残" => Severity::Disability,
        "死亡" => Severity::Death,
        other => {
            Severity::parse(other).ok_or_else(|| format!("severity {other:?} is not minor/serious/disability/death"))?
        }
    }))
}

fn yuan_to_fen(s: &str) -> Result<Option<i64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("fund payout {s:?} is not an amount in yuan");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 2 || whole.is_empty() || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    w.checked_mul(100).and_then(|v| v.checked_add(f)).map(Some).ok_or_else(bad)
}

pub fn convert(row: &Row<'_>, m: &Mapping, catalog: &Catalog) -> Result<Record, String> {
    let c = &m.columns;
    let key = text(row.get(&c.source_key)).ok_or_else(|| format!("{} is empty", c.source_key))?;
    let date = row.get(&c.occurred_on);
    let occurred_on = NaiveDate::parse_from_str(date, &m.date_format)
        .map_err(|_| format!("{} {date:?} does not match {}", c.occurred_on, m.date_format))?;
    let name = text(row.get(&c.enterprise_name)).ok_or_else(|| format!("{} is empty", c.enterprise_name))?;
    let credit_code = match &c.credit_code {
        Some(col) => Some(CreditCode::parse(row.get(col)).map_err(|e| format!("{col}: credit code {e}"))?.to_string()),
        None => None,
    };
    let enterprise_key = match &credit_code {
        Some(cc) => EnterpriseRef::credit_key(cc),
        None => format!("{}:{}", m.source, catalog.employer_names.normalise(&name)),
    };
    let industry_code = text(col(row, &c.industry))
        .map(|v| IndustryCode::parse(&v).map(|i| i.to_string()).map_err(|e| format!("industry: {e}")))
        .transpose()?;
    let region_code = text(col(row, &c.region))
        .map(|v| RegionCode::parse(&v).map(|r| r.to_string()).map_err(|e| format!("region: {e}")))
        .transpose()?;
    if let Some(r) = &region_code
        && !catalog.region.contains(r)
    {
        return Err(format!("region {r} is not in rules/codes/gbt2260_region.csv"));
    }
    let lost_days = text(col(row, &c.lost_days))
        .map(|v| {
            v.parse::<i32>().ok().filter(|d| *d >= 0).ok_or_else(|| format!("lost days {v:?} is not a whole number"))
        })
        .transpose()?;
    let disability_grade = text(col(row, &c.disability_grade))
        .map(|v| {
            v.parse::<i16>()
                .ok()
                .filter(|g| zhicha_engine::severity::valid_disability_grade(*g))
                .ok_or_else(|| format!("disability grade {v:?} is not 1-10"))
        })
        .transpose()?;
    let mut sev =
        severity(col(row, &c.severity))?.unwrap_or_else(|| Severity::from_lost_days(lost_days.map_or(0, i64::from)));
    if disability_grade.is_some() && sev != Severity::Death {
        sev = Severity::Disability;
    }
    let accident_type = coded(
        col(row, &c.accident_type),
        m.systems.accident_type,
        &catalog.accident_type_86,
        &catalog.oiics_event,
        "accident type",
    )?;
    let body_part =
        coded(col(row, &c.body_part), m.systems.body_part, &catalog.body_part, &catalog.oiics_body_part, "body part")?;
    let injury_nature = coded(
        col(row, &c.injury_nature),
        m.systems.injury_nature,
        &catalog.injury_nature,
        &catalog.oiics_nature,
        "injury nature",
    )?;
    let mut accident_type = accident_type;
    if accident_type.system == Some(CodeSystem::Gb6441_86) {
        // Only where the editions correspond one to one; otherwise left empty.
        accident_type.gb2025 =
            accident_type.gb86.as_deref().and_then(|c| catalog.gb86_to_2025.lookup(c)).map(|r| r.target.clone());
    }
    Ok(Record {
        line: row.line,
        source_key: key,
        enterprise: EnterpriseRef {
            key: enterprise_key,
            credit_code,
            name,
            industry_code,
            region_code,
            address: text(col(row, &c.address)),
            latitude: None,
            longitude: None,
        },
        occurred_on,
        accident_type,
        body_part,
        injury_nature,
        job: text(col(row, &c.job)),
        severity: sev,
        disability_grade,
        lost_days,
        fund_payout_fen: yuan_to_fen(col(row, &c.fund_payout_yuan))?,
        injured_count: 1,
        hospitalized: None,
        amputation: None,
        narrative: text(col(row, &c.narrative)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_becomes_fen_exactly() {
        assert_eq!(yuan_to_fen("1234.5"), Ok(Some(123_450)));
        assert_eq!(yuan_to_fen("0.07"), Ok(Some(7)));
        assert_eq!(yuan_to_fen(""), Ok(None));
        assert!(yuan_to_fen("1.234").is_err());
        assert!(yuan_to_fen("-5").is_err());
    }

    #[test]
    fn chinese_severity_words_are_understood() {
        assert_eq!(severity("重伤"), Ok(Some(Severity::Serious)));
        assert_eq!(severity("death"), Ok(Some(Severity::Death)));
        assert!(severity("bad").is_err());
    }
}
