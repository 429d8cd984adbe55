//! Accident records (`accidents`): imported histories, one row per (source, source
//! key), read by the risk model, the trigger rules and the analysis.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::accidents;
use crate::store::enterprises;

pub type Accident = accidents::Model;

/// An accident as imported; `source`, `source_key` and the import run are given apart.
#[derive(Debug, Clone)]
pub struct NewAccident {
    pub enterprise_id: i64,
    pub occurred_on: NaiveDate,
    pub accident_type_system: Option<String>,
    pub accident_type_code: Option<String>,
    pub accident_type_gb86: Option<String>,
    pub accident_type_gb2025: Option<String>,
    pub body_part_system: Option<String>,
    pub body_part_code: Option<String>,
    pub body_part_gb86: Option<String>,
    pub injury_nature_system: Option<String>,
    pub injury_nature_code: Option<String>,
    pub injury_nature_gb86: Option<String>,
    pub job: Option<String>,
    pub severity: String,
    pub disability_grade: Option<i16>,
    pub lost_days: Option<i32>,
    pub fund_payout_fen: Option<i64>,
    pub injured_count: i32,
    pub hospitalized: Option<bool>,
    pub amputation: Option<bool>,
    pub narrative: Option<String>,
    pub source_key: String,
}

/// Inserts the accidents of `source` not stored yet, in one statement (callers bound
/// the batch); how many were new.
pub async fn insert_new(
    db: &impl ConnectionTrait,
    source: &str,
    import_run_id: i64,
    rows: Vec<NewAccident>,
) -> Result<usize, DbErr> {
    let models = rows.into_iter().map(|r| accidents::ActiveModel {
        enterprise_id: Set(r.enterprise_id),
        occurred_on: Set(r.occurred_on),
        accident_type_system: Set(r.accident_type_system),
        accident_type_code: Set(r.accident_type_code),
        accident_type_gb86: Set(r.accident_type_gb86),
        accident_type_gb2025: Set(r.accident_type_gb2025),
        body_part_system: Set(r.body_part_system),
        body_part_code: Set(r.body_part_code),
        body_part_gb86: Set(r.body_part_gb86),
        injury_nature_system: Set(r.injury_nature_system),
        injury_nature_code: Set(r.injury_nature_code),
        injury_nature_gb86: Set(r.injury_nature_gb86),
        job: Set(r.job),
        severity: Set(r.severity),
        disability_grade: Set(r.disability_grade),
        lost_days: Set(r.lost_days),
        fund_payout_fen: Set(r.fund_payout_fen),
        injured_count: Set(r.injured_count),
        hospitalized: Set(r.hospitalized),
        amputation: Set(r.amputation),
        narrative: Set(r.narrative),
        source: Set(source.to_string()),
        source_key: Set(r.source_key),
        import_run_id: Set(Some(import_run_id)),
        ..Default::default()
    });
    let inserted = accidents::Entity::insert_many(models)
        .on_conflict_do_nothing_on([accidents::Column::Source, accidents::Column::SourceKey])
        .exec_without_returning(db)
        .await?;
    Ok(match inserted {
        sea_orm::TryInsertResult::Inserted(k) => k as usize,
        _ => 0,
    })
}

/// The stored job of the records of `source` among `keys`, by source key, in one
/// statement (callers bound the keys).
pub async fn jobs_of(
    db: &impl ConnectionTrait,
    source: &str,
    keys: &[&str],
) -> Result<HashMap<String, Option<String>>, DbErr> {
    let rows: Vec<(String, Option<String>)> = accidents::Entity::find()
        .select_only()
        .columns([accidents::Column::SourceKey, accidents::Column::Job])
        .filter(accidents::Column::Source.eq(source))
        .filter(accidents::Column::SourceKey.is_in(keys.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Sets the job of the records of `source` among `keys`; how many rows changed.
pub async fn set_job(db: &impl ConnectionTrait, source: &str, keys: &[&str], job: Option<&str>) -> Result<u64, DbErr> {
    Ok(accidents::Entity::update_many()
        .col_expr(accidents::Column::Job, Expr::value(job.map(str::to_string)))
        .filter(accidents::Column::Source.eq(source))
        .filter(accidents::Column::SourceKey.is_in(keys.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}

/// The date of the newest accident on record.
pub async fn newest_date(db: &impl ConnectionTrait) -> Result<Option<NaiveDate>, DbErr> {
    let newest: Option<Option<NaiveDate>> = accidents::Entity::find()
        .select_only()
        .column_as(accidents::Column::OccurredOn.max(), "newest")
        .into_tuple()
        .one(db)
        .await?;
    Ok(newest.flatten())
}

/// What the risk model reads of an accident: enterprise, date, accident type and body
/// part (GB 6441-86), job, severity.
pub type RiskRow = (i64, NaiveDate, Option<String>, Option<String>, Option<String>, String);

/// Every accident before `cutoff`, as the risk model reads it.
pub async fn risk_rows_before(db: &impl ConnectionTrait, cutoff: NaiveDate) -> Result<Vec<RiskRow>, DbErr> {
    accidents::Entity::find()
        .select_only()
        .columns([
            accidents::Column::EnterpriseId,
            accidents::Column::OccurredOn,
            accidents::Column::AccidentTypeGb86,
            accidents::Column::BodyPartGb86,
            accidents::Column::Job,
            accidents::Column::Severity,
        ])
        .filter(accidents::Column::OccurredOn.lt(cutoff))
        .into_tuple()
        .all(db)
        .await
}

/// Accident `id`.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Accident>, DbErr> {
    accidents::Entity::find_by_id(id).one(db).await
}

/// The GB 6441-86 accident types of accidents `ids` (`None` where not coded).
pub async fn types_gb86_of(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Option<String>>, DbErr> {
    accidents::Entity::find()
        .select_only()
        .column(accidents::Column::AccidentTypeGb86)
        .filter(accidents::Column::Id.is_in(ids.to_vec()))
        .into_tuple()
        .all(db)
        .await
}

/// What the trigger rules read of an accident: id, date, accident type and body part
/// (GB 6441-86), severity, disability grade.
pub type FactRow = (i64, NaiveDate, Option<String>, Option<String>, String, Option<i16>);

/// The enterprise's accidents as the trigger rules read them, by id.
pub async fn facts_of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<FactRow>, DbErr> {
    accidents::Entity::find()
        .select_only()
        .columns([
            accidents::Column::Id,
            accidents::Column::OccurredOn,
            accidents::Column::AccidentTypeGb86,
            accidents::Column::BodyPartGb86,
            accidents::Column::Severity,
            accidents::Column::DisabilityGrade,
        ])
        .filter(accidents::Column::EnterpriseId.eq(enterprise_id))
        .order_by_asc(accidents::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Enterprises with accidents stored by import run `run_id`, by id.
pub async fn enterprises_of_run(db: &impl ConnectionTrait, run_id: i64) -> Result<Vec<i64>, DbErr> {
    accidents::Entity::find()
        .select_only()
        .column(accidents::Column::EnterpriseId)
        .filter(accidents::Column::ImportRunId.eq(run_id))
        .distinct()
        .order_by_asc(accidents::Column::EnterpriseId)
        .into_tuple()
        .all(db)
        .await
}

/// Every accident as the trigger rules read it, with its enterprise and job (for the
/// risk model), in one statement.
pub async fn all_facts(db: &impl ConnectionTrait) -> Result<Vec<(i64, FactRow, Option<String>)>, DbErr> {
    type Row = (i64, i64, NaiveDate, Option<String>, Option<String>, String, Option<i16>, Option<String>);
    let rows: Vec<Row> = accidents::Entity::find()
        .select_only()
        .columns([
            accidents::Column::Id,
            accidents::Column::EnterpriseId,
            accidents::Column::OccurredOn,
            accidents::Column::AccidentTypeGb86,
            accidents::Column::BodyPartGb86,
            accidents::Column::Severity,
            accidents::Column::DisabilityGrade,
            accidents::Column::Job,
        ])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, enterprise, date, kind, part, severity, grade, job)| {
            (enterprise, (id, date, kind, part, severity, grade), job)
        })
        .collect())
}

/// What the analysis reads of an accident: enterprise, date, accident type, body part
/// and injury nature (GB 6441-86), job, severity, fund payout (fen).
pub type AnalysisRow =
    (i64, NaiveDate, Option<String>, Option<String>, Option<String>, Option<String>, String, Option<i64>);

/// The accidents between `from` and `to` (inclusive) of the enterprises whose region
/// starts with `prefix` (every enterprise without one), as the analysis reads them. The
/// enterprises are a subquery, so one query reads a province's accidents and nothing
/// outside it is ever loaded.
pub async fn analysis_rows(
    db: &impl ConnectionTrait,
    prefix: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AnalysisRow>, DbErr> {
    accidents::Entity::find()
        .filter(accidents::Column::EnterpriseId.in_subquery(enterprises::ids_in_region(prefix)))
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
        .into_tuple()
        .all(db)
        .await
}
