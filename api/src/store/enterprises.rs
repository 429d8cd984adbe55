//! Enterprises (`enterprises`): the companies whose hazards are checked. One enterprise
//! in the caller's scope is `store::scope::enterprise`.

use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use crate::domain::Caller;
use crate::entities::enterprises;
use crate::error::ApiError;
use crate::store::scope;

pub type Enterprise = enterprises::Model;

/// Every enterprise's id (for jobs over all of them).
pub async fn all_ids(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    enterprises::Entity::find().select_only().column(enterprises::Column::Id).into_tuple().all(db).await
}

/// Enterprise `id`, outside any caller's scope: for a record already read in scope.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Enterprise>, DbErr> {
    enterprises::Entity::find_by_id(id).one(db).await
}

/// What a list of enterprises may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// GB/T 4754 division (2 digits).
    pub division: Option<String>,
    pub key_only: bool,
    /// Deactivated enterprises too (by default lists hold only active ones).
    pub include_inactive: bool,
}

/// One page (1-based) of the enterprises in the caller's scope, by id, and how many
/// there are in all.
pub async fn page_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    filter: &ListFilter,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<Enterprise>), ApiError> {
    let mut q = scope::enterprises(caller)?;
    if let Some(d) = &filter.division {
        q = q.filter(enterprises::Column::IndustryDivision.eq(d.as_str()));
    }
    if filter.key_only {
        q = q.filter(enterprises::Column::IsKey.eq(true));
    }
    if !filter.include_inactive {
        q = q.filter(enterprises::Column::Active.eq(true));
    }
    let pages = q.order_by_asc(enterprises::Column::Id).paginate(db, per_page);
    let total = pages.num_items().await?;
    let items = pages.fetch_page(page - 1).await?;
    Ok((total, items))
}

/// How many enterprises there are.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    enterprises::Entity::find().count(db).await
}

/// Id, industry, region and insured workers of every enterprise: what the risk model
/// reads of them.
pub async fn risk_profiles(
    db: &impl ConnectionTrait,
) -> Result<Vec<(i64, Option<String>, Option<String>, Option<i32>, Option<String>)>, DbErr> {
    enterprises::Entity::find()
        .select_only()
        .columns([
            enterprises::Column::Id,
            enterprises::Column::IndustryCode,
            enterprises::Column::RegionCode,
            enterprises::Column::InsuredWorkers,
            enterprises::Column::SourceKey,
        ])
        .into_tuple()
        .all(db)
        .await
}

/// Id, industry and region of every enterprise.
pub async fn industries_and_regions(
    db: &impl ConnectionTrait,
) -> Result<Vec<(i64, Option<String>, Option<String>)>, DbErr> {
    enterprises::Entity::find()
        .select_only()
        .columns([enterprises::Column::Id, enterprises::Column::IndustryCode, enterprises::Column::RegionCode])
        .into_tuple()
        .all(db)
        .await
}

/// How an imported enterprise is known: by its credit code, or (without one) by the
/// import's key for it.
#[derive(Debug, Clone, Copy)]
pub enum ImportKey {
    CreditCode,
    SourceKey,
}

/// (id, value) of the enterprises whose `key` is one of `values`, in one statement
/// (callers bound the number of values).
pub async fn ids_by(
    db: &impl ConnectionTrait,
    key: ImportKey,
    values: &[&str],
) -> Result<Vec<(i64, Option<String>)>, DbErr> {
    let column = match key {
        ImportKey::CreditCode => enterprises::Column::CreditCode,
        ImportKey::SourceKey => enterprises::Column::SourceKey,
    };
    enterprises::Entity::find()
        .select_only()
        .columns([enterprises::Column::Id, column])
        .filter(column.is_in(values.iter().copied()))
        .into_tuple()
        .all(db)
        .await
}

/// An enterprise as created: what is not given takes the table's defaults.
#[derive(Debug, Clone, Default)]
pub struct NewEnterprise {
    pub credit_code: Option<String>,
    pub source_key: Option<String>,
    pub name: String,
    pub industry_code: Option<String>,
    pub industry_division: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub workforce: Option<i32>,
    pub insured_workers: Option<i32>,
    pub risk_class: Option<i16>,
    pub standardisation_grade: Option<String>,
    pub is_key: bool,
    pub service_org_id: Option<i64>,
    /// How it came into the register (`seed`, `api`, `roster`, `accidents`).
    pub origin: Option<&'static str>,
}

impl NewEnterprise {
    fn model(self) -> enterprises::ActiveModel {
        enterprises::ActiveModel {
            credit_code: Set(self.credit_code),
            source_key: Set(self.source_key),
            name: Set(self.name),
            industry_code: Set(self.industry_code),
            industry_division: Set(self.industry_division),
            region_code: Set(self.region_code),
            address: Set(self.address),
            latitude: Set(self.latitude),
            longitude: Set(self.longitude),
            workforce: Set(self.workforce),
            insured_workers: Set(self.insured_workers),
            risk_class: Set(self.risk_class),
            standardisation_grade: Set(self.standardisation_grade),
            is_key: Set(self.is_key),
            service_org_id: Set(self.service_org_id),
            origin: Set(self.origin.map(str::to_string)),
            active: Set(true),
            first_seen_at: Set(Some(chrono::Utc::now().fixed_offset())),
            ..Default::default()
        }
    }
}

pub async fn insert(db: &impl ConnectionTrait, e: NewEnterprise) -> Result<Enterprise, DbErr> {
    e.model().insert(db).await
}

/// Inserts enterprises in one statement and returns them as stored (with their ids).
pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<NewEnterprise>) -> Result<Vec<Enterprise>, DbErr> {
    enterprises::Entity::insert_many(rows.into_iter().map(NewEnterprise::model)).exec_with_returning(db).await
}

/// The enterprises whose region code starts with `prefix` (a bureau's region, already
/// checked against the caller's); every enterprise without one (the operator's CLI).
fn in_region(prefix: Option<&str>) -> Select<enterprises::Entity> {
    let q = enterprises::Entity::find();
    match prefix {
        Some(p) => q.filter(enterprises::Column::RegionCode.starts_with(p)),
        None => q,
    }
}

/// The ids of the enterprises [`in_region`], as a subquery.
pub fn ids_in_region(prefix: Option<&str>) -> SelectStatement {
    in_region(prefix).select_only().column(enterprises::Column::Id).into_query()
}

/// What the analysis reads of an enterprise: id, name, industry code (GB/T 4754),
/// workforce, insured workers.
pub type AnalysisRow = (i64, String, Option<String>, Option<i32>, Option<i32>);

/// The enterprises [`in_region`] as the analysis reads them: only those columns, since
/// a province has tens of thousands of rows.
pub async fn analysis_rows(db: &impl ConnectionTrait, prefix: Option<&str>) -> Result<Vec<AnalysisRow>, DbErr> {
    in_region(prefix)
        .select_only()
        .columns([
            enterprises::Column::Id,
            enterprises::Column::Name,
            enterprises::Column::IndustryCode,
            enterprises::Column::Workforce,
            enterprises::Column::InsuredWorkers,
        ])
        .into_tuple()
        .all(db)
        .await
}
