//! Analysis for the bureaus from the accident records of their region: the key-industry
//! table and the training-coverage plan (`engine::analysis`), over rows read in SQL
//! within the caller's region.

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use zhicha_engine::analysis::{
    AccidentRow, AnalysisError, CoveragePlan, EnterpriseRow, KeyIndustryTable, coverage_plan, key_industry_table,
};
use zhicha_engine::severity::Severity;

use crate::auth::Caller;
use crate::entities::{accidents, enterprises};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The region's enterprises and their accidents between `from` and `to` (inclusive).
async fn rows(
    state: &AppState,
    caller: &Caller,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<EnterpriseRow>, Vec<AccidentRow>), ApiError> {
    let list = crate::scope::enterprises(caller)?.all(&state.db).await?;
    let ids: Vec<i64> = list.iter().map(|e| e.id).collect();
    let firms = list
        .into_iter()
        .map(|e: enterprises::Model| EnterpriseRow {
            key: e.id.to_string(),
            name: e.name,
            industry: e.industry_code.unwrap_or_default(),
            workforce: e.workforce.and_then(|w| u64::try_from(w).ok()),
            insured_workers: e.insured_workers.and_then(|w| u64::try_from(w).ok()),
        })
        .collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        let rows = accidents::Entity::find()
            .filter(accidents::Column::EnterpriseId.is_in(chunk.to_vec()))
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
            .all(&state.db)
            .await?;
        for (e, date, t, b, n, job, severity, fund) in rows {
            out.push(AccidentRow {
                enterprise: e.to_string(),
                date,
                accident_type: t,
                body_part: b,
                injury_nature: n,
                job,
                severity: Severity::parse(&severity).unwrap_or(Severity::Minor),
                fund_payout_fen: fund,
            });
        }
    }
    Ok((firms, out))
}

fn year_of(year: Option<i32>) -> Result<i32, ApiError> {
    let y = year.unwrap_or_else(|| chrono::Utc::now().year());
    if !(2000..=2100).contains(&y) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "year", "2000-2100"));
    }
    Ok(y)
}

fn first_of(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn last_of(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Per key industry: enterprises, insurance, accidents and rate in `year` against the
/// year before (aim −20%). Headcounts are today's (no snapshot history is kept yet).
pub async fn key_industries(
    state: &AppState,
    caller: &Caller,
    year: Option<i32>,
) -> Result<KeyIndustryTable, ApiError> {
    let year = year_of(year)?;
    let (firms, accidents) = rows(state, caller, first_of(year - 1), last_of(year)).await?;
    Ok(key_industry_table(&state.analysis, &firms, None, &accidents, year))
}

/// The fewest job × accident-type pairs covering `share` of the region's accidents in `year`.
pub async fn coverage(
    state: &AppState,
    caller: &Caller,
    year: Option<i32>,
    share: Option<f64>,
) -> Result<CoveragePlan, ApiError> {
    let year = year_of(year)?;
    let (_, accidents) = rows(state, caller, first_of(year), last_of(year)).await?;
    coverage_plan(&accidents, share.unwrap_or(zhicha_engine::analysis::coverage::DEFAULT_SHARE)).map_err(|e| match e {
        AnalysisError::Share(_) => ApiError::field(ErrorCode::InvalidQuery, "share", "a share in (0, 1]"),
        other => ApiError::new(ErrorCode::InvalidQuery, other.to_string()),
    })
}
