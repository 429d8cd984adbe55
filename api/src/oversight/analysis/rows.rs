//! The rows the analysis reads, loaded in SQL within a region (the caller's for the
//! API, every enterprise for the operator's CLI).

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr};
use zhicha_engine::analysis::{AccidentRow, EnterpriseRow};
use zhicha_engine::severity::Severity;

use crate::store::{accidents, enterprises};

/// The enterprises whose region code starts with `region_prefix` (every one without it)
/// and their accidents between `from` and `to` (inclusive).
pub async fn load(
    db: &impl ConnectionTrait,
    region_prefix: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<EnterpriseRow>, Vec<AccidentRow>), DbErr> {
    let firms = enterprises::analysis_rows(db, region_prefix)
        .await?
        .into_iter()
        .map(|(id, name, industry, workforce, insured)| EnterpriseRow {
            key: id.to_string(),
            name,
            industry: industry.unwrap_or_default(),
            workforce: workforce.and_then(|w| u64::try_from(w).ok()),
            insured_workers: insured.and_then(|w| u64::try_from(w).ok()),
        })
        .collect();
    let rows = accidents::analysis_rows(db, region_prefix, from, to).await?;
    let accidents = rows
        .into_iter()
        .map(|(e, date, t, b, n, job, severity, fund)| AccidentRow {
            enterprise: e.to_string(),
            date,
            accident_type: t,
            body_part: b,
            injury_nature: n,
            job,
            // The column is checked on import; an unknown grade counts as the mildest.
            severity: Severity::parse(&severity).unwrap_or(Severity::Minor),
            fund_payout_fen: fund,
        })
        .collect();
    Ok((firms, accidents))
}
