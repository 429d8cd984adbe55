//! The rows the analysis reads, loaded in SQL within a set of enterprises (the caller's
//! region for the API, every enterprise for the operator's CLI).

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};
use zhicha_engine::analysis::{AccidentRow, EnterpriseRow};
use zhicha_engine::severity::Severity;

use crate::entities::{accidents, enterprises};

/// The enterprises `within` selects and their accidents between `from` and `to`
/// (inclusive). The accidents are filtered by the same selection as a subquery, so one
/// query reads a province's accidents and nothing outside it is ever loaded.
pub async fn load(
    db: &impl ConnectionTrait,
    within: Select<enterprises::Entity>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<EnterpriseRow>, Vec<AccidentRow>), DbErr> {
    let ids = within.clone().select_only().column(enterprises::Column::Id).into_query();
    // Only the columns the analysis reads: a province has tens of thousands of rows.
    let firms = within
        .select_only()
        .columns([
            enterprises::Column::Id,
            enterprises::Column::Name,
            enterprises::Column::IndustryCode,
            enterprises::Column::Workforce,
            enterprises::Column::InsuredWorkers,
        ])
        .into_tuple::<(i64, String, Option<String>, Option<i32>, Option<i32>)>()
        .all(db)
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
    let rows = accidents::Entity::find()
        .filter(accidents::Column::EnterpriseId.in_subquery(ids))
        .filter(accidents::Column::OccurredOn.between(from, to))
        .select_only()
        .columns([
            accidents::Column::EnterpriseId,
            accidents::Column::OccurredOn,
            accidents::Column::AccidentTypeGb86,
            accidents::Column::BodyPartGb86,
            accidents::Column::InjuryNatureGb86,
            accidents::Column::Job,
            accidents::Column::Severity,
            accidents::Column::FundPayoutFen,
        ])
        .into_tuple::<(
            i64,
            NaiveDate,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            Option<i64>,
        )>()
        .all(db)
        .await?;
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
