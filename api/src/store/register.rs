//! Register writes on `enterprises`: an enterprise created, edited, deactivated or
//! reactivated by API, and the rows of a roster upserted by credit code. Callers check
//! scope and values first; these functions only write.

use chrono::{DateTime, FixedOffset};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::{enterprises, organisations};
use crate::store::enterprises::Enterprise;

/// Rows per statement: well under both databases' bound-parameter limits.
const CHUNK: usize = 500;

/// What the register holds of an enterprise, as written by API or roster. `None` in an
/// edit leaves the column as it is (see [`update`]).
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub workforce: Option<i32>,
    pub insured_workers: Option<i32>,
    pub service_org_id: Option<i64>,
    pub process_conditions: Option<Vec<String>>,
    pub equipment: Option<Vec<String>>,
}

fn division_of(code: &str) -> Option<String> {
    code.get(1..3).map(str::to_string)
}

fn terms(v: &[String]) -> serde_json::Value {
    serde_json::Value::Array(v.iter().cloned().map(serde_json::Value::String).collect())
}

/// Sets every field given on `m`.
fn apply(m: &mut enterprises::ActiveModel, f: &Fields) {
    if let Some(v) = &f.credit_code {
        m.credit_code = Set(Some(v.clone()));
    }
    if let Some(v) = &f.name {
        m.name = Set(v.clone());
    }
    if let Some(v) = &f.industry_code {
        m.industry_code = Set(Some(v.clone()));
        m.industry_division = Set(division_of(v));
    }
    if let Some(v) = &f.region_code {
        m.region_code = Set(Some(v.clone()));
    }
    if let Some(v) = &f.address {
        m.address = Set(Some(v.clone()));
    }
    if let Some(v) = f.latitude {
        m.latitude = Set(Some(v));
    }
    if let Some(v) = f.longitude {
        m.longitude = Set(Some(v));
    }
    if let Some(v) = f.workforce {
        m.workforce = Set(Some(v));
    }
    if let Some(v) = f.insured_workers {
        m.insured_workers = Set(Some(v));
    }
    if let Some(v) = f.service_org_id {
        m.service_org_id = Set(Some(v));
    }
    if let Some(v) = &f.process_conditions {
        m.process_conditions = Set(Some(terms(v)));
    }
    if let Some(v) = &f.equipment {
        m.equipment = Set(Some(terms(v)));
    }
}

fn new_model(f: &Fields, origin: &'static str, now: DateTime<FixedOffset>) -> enterprises::ActiveModel {
    let mut m = enterprises::ActiveModel {
        id: NotSet,
        name: Set(String::new()),
        is_key: Set(false),
        time_zone: Set("Asia/Shanghai".to_string()),
        active: Set(true),
        first_seen_at: Set(Some(now)),
        origin: Set(Some(origin.to_string())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply(&mut m, f);
    m
}

/// A new enterprise with `f`.
pub async fn insert(
    db: &impl ConnectionTrait,
    f: &Fields,
    origin: &'static str,
    now: DateTime<FixedOffset>,
) -> Result<Enterprise, DbErr> {
    new_model(f, origin, now).insert(db).await
}

/// New enterprises in as few statements as the chunk size allows, as stored.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    rows: &[Fields],
    origin: &'static str,
    now: DateTime<FixedOffset>,
) -> Result<Vec<Enterprise>, DbErr> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        out.extend(
            enterprises::Entity::insert_many(chunk.iter().map(|f| new_model(f, origin, now)))
                .exec_with_returning(db)
                .await?,
        );
    }
    Ok(out)
}

/// Sets the fields given on enterprise `id` (which the caller read in scope).
pub async fn update(
    db: &impl ConnectionTrait,
    current: Enterprise,
    f: &Fields,
    now: DateTime<FixedOffset>,
) -> Result<Enterprise, DbErr> {
    let mut m: enterprises::ActiveModel = current.into();
    apply(&mut m, f);
    m.updated_at = Set(now);
    m.update(db).await
}

/// Marks enterprise `current` active or not; deactivation keeps every row hanging off it.
pub async fn set_active(
    db: &impl ConnectionTrait,
    current: Enterprise,
    active: bool,
    now: DateTime<FixedOffset>,
) -> Result<Enterprise, DbErr> {
    let mut m: enterprises::ActiveModel = current.into();
    m.active = Set(active);
    m.deactivated_at = Set(if active { None } else { Some(now) });
    m.updated_at = Set(now);
    m.update(db).await
}

/// The enterprises with one of these credit codes (any number of codes).
pub async fn by_credit_codes(db: &impl ConnectionTrait, codes: &[String]) -> Result<Vec<Enterprise>, DbErr> {
    let mut out = Vec::new();
    for chunk in codes.chunks(CHUNK) {
        out.extend(
            enterprises::Entity::find()
                .filter(enterprises::Column::CreditCode.is_in(chunk.iter().map(String::as_str)))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Whether organisation `id` exists and is a service organisation.
pub async fn is_service_org(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let kind: Option<String> = organisations::Entity::find_by_id(id)
        .select_only()
        .column(organisations::Column::Kind)
        .into_tuple()
        .one(db)
        .await?;
    Ok(kind.as_deref() == Some("service_org"))
}

/// A new unit and how far it is covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub enterprise_id: i64,
    pub industry_code: Option<String>,
    /// It has a score in the current fit.
    pub scored: bool,
    /// It has a recommendation round (a checklist).
    pub has_checklist: bool,
}

/// SQL: whether enterprise `e` has a score in the current fit (1/0 on both databases).
pub const SCORED_SQL: &str = "CASE WHEN EXISTS (SELECT 1 FROM risk_scores s JOIN risk_fits f ON f.id = s.fit_id \
     WHERE f.state = 'current' AND s.enterprise_id = e.id) THEN 1 ELSE 0 END";
/// SQL: whether enterprise `e` has a recommendation round (1/0).
pub const CHECKLIST_SQL: &str =
    "CASE WHEN EXISTS (SELECT 1 FROM recommendation_rounds r WHERE r.enterprise_id = e.id) THEN 1 ELSE 0 END";

/// The active enterprises that entered the register by API or import (not the seeds)
/// at or after `since`, with their coverage.
pub async fn new_units(db: &impl ConnectionTrait, since: DateTime<FixedOffset>) -> Result<Vec<Coverage>, DbErr> {
    let backend = db.get_database_backend();
    let p = match backend {
        sea_orm::DbBackend::Postgres => "$1",
        _ => "?",
    };
    let sql = format!(
        "SELECT e.id, e.industry_code, {SCORED_SQL}, {CHECKLIST_SQL} FROM enterprises e \
         WHERE e.active = TRUE AND e.origin IN ('api', 'roster', 'accidents') AND e.first_seen_at >= {p} ORDER BY e.id"
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, &sql, [since.into()])).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Coverage {
                enterprise_id: r.try_get_by_index(0)?,
                industry_code: r.try_get_by_index(1)?,
                scored: r.try_get_by_index::<i32>(2)? == 1,
                has_checklist: r.try_get_by_index::<i32>(3)? == 1,
            })
        })
        .collect()
}

/// Makes service organisation `org` the server of the enterprises accident run `run_id`
/// created (first seen since `since`, the upload, and served by nobody).
pub async fn claim_new_of_run(
    db: &impl ConnectionTrait,
    run_id: i64,
    org: i64,
    since: DateTime<FixedOffset>,
) -> Result<u64, DbErr> {
    use sea_orm::QueryTrait;
    let of_run = crate::entities::accidents::Entity::find()
        .select_only()
        .column(crate::entities::accidents::Column::EnterpriseId)
        .filter(crate::entities::accidents::Column::ImportRunId.eq(run_id))
        .into_query();
    let done = enterprises::Entity::update_many()
        .col_expr(enterprises::Column::ServiceOrgId, sea_orm::sea_query::Expr::value(org))
        .filter(enterprises::Column::Id.in_subquery(of_run))
        .filter(enterprises::Column::ServiceOrgId.is_null())
        .filter(enterprises::Column::Origin.eq("accidents"))
        .filter(enterprises::Column::FirstSeenAt.gte(since))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
