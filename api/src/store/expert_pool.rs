//! The expert pool as the service organisation keeps it: experts (`experts`) with
//! their competences, the regions they serve (`expert_regions`), declared conflicts
//! (`expert_conflicts`) and their workload, within the caller's scope in SQL: a service
//! organisation sees its own experts, a bureau those living in or serving its region.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use crate::domain::{Caller, Scope};
use crate::entities::{expert_competences, expert_conflicts, expert_regions, experts, tasks};
use crate::error::{ApiError, ErrorCode};
use crate::store::experts::{Competence, Expert};

pub type Conflict = expert_conflicts::Model;

/// The experts the caller sees.
fn in_scope(caller: &Caller) -> Result<Select<experts::Entity>, ApiError> {
    let q = experts::Entity::find();
    Ok(match caller.scope {
        Scope::ServiceOrg(org) => q.filter(experts::Column::OrganisationId.eq(org)),
        Scope::Region(r) => {
            let prefix = r.scope_prefix();
            let serving = expert_regions::Entity::find()
                .select_only()
                .column(expert_regions::Column::ExpertId)
                .filter(expert_regions::Column::RegionCode.starts_with(&prefix))
                .into_query();
            q.filter(
                Condition::any()
                    .add(experts::Column::RegionCode.starts_with(&prefix))
                    .add(experts::Column::Id.in_subquery(serving)),
            )
        }
        _ => return Err(ApiError::new(ErrorCode::Forbidden, "this account keeps no expert pool")),
    })
}

/// One page (1-based) of the caller's experts by id, and how many there are.
pub async fn page_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    active: Option<bool>,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<Expert>), ApiError> {
    let mut q = in_scope(caller)?;
    if let Some(a) = active {
        q = q.filter(experts::Column::Active.eq(a));
    }
    let pages = q.order_by_asc(experts::Column::Id).paginate(db, per_page);
    let total = pages.num_items().await?;
    Ok((total, pages.fetch_page(page - 1).await?))
}

/// Expert `id` if the caller sees it.
pub async fn one_in_scope(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Option<Expert>, ApiError> {
    Ok(in_scope(caller)?.filter(experts::Column::Id.eq(id)).one(db).await?)
}

/// An expert's own fields as written.
#[derive(Debug, Clone)]
pub struct ExpertFields {
    pub name: String,
    pub title: Option<String>,
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub max_open_tasks: i32,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: Option<i64>,
    f: ExpertFields,
    now: DateTime<Utc>,
) -> Result<Expert, DbErr> {
    experts::ActiveModel {
        created_at: Set(now.fixed_offset()),
        name: Set(f.name),
        organisation_id: Set(organisation_id),
        region_code: Set(f.region_code),
        latitude: Set(f.latitude),
        longitude: Set(f.longitude),
        title: Set(f.title),
        max_open_tasks: Set(f.max_open_tasks),
        active: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn update(db: &impl ConnectionTrait, id: i64, f: ExpertFields) -> Result<(), DbErr> {
    experts::Entity::update_many()
        .col_expr(experts::Column::Name, Expr::value(f.name))
        .col_expr(experts::Column::Title, Expr::value(f.title))
        .col_expr(experts::Column::RegionCode, Expr::value(f.region_code))
        .col_expr(experts::Column::Latitude, Expr::value(f.latitude))
        .col_expr(experts::Column::Longitude, Expr::value(f.longitude))
        .col_expr(experts::Column::MaxOpenTasks, Expr::value(f.max_open_tasks))
        .filter(experts::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the expert's competences of `kind` (`industry`, `accident_type`) by `codes`
/// of `code_system`.
pub async fn replace_competences(
    db: &impl ConnectionTrait,
    expert_id: i64,
    kind: &str,
    code_system: &str,
    codes: &[String],
) -> Result<(), DbErr> {
    expert_competences::Entity::delete_many()
        .filter(expert_competences::Column::ExpertId.eq(expert_id))
        .filter(expert_competences::Column::Kind.eq(kind))
        .exec(db)
        .await?;
    if codes.is_empty() {
        return Ok(());
    }
    let rows = codes.iter().map(|c| expert_competences::ActiveModel {
        expert_id: Set(expert_id),
        kind: Set(kind.to_string()),
        code_system: Set(code_system.to_string()),
        code: Set(c.clone()),
        ..Default::default()
    });
    expert_competences::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// Replaces the regions the expert serves.
pub async fn replace_regions(db: &impl ConnectionTrait, expert_id: i64, codes: &[String]) -> Result<(), DbErr> {
    expert_regions::Entity::delete_many().filter(expert_regions::Column::ExpertId.eq(expert_id)).exec(db).await?;
    if codes.is_empty() {
        return Ok(());
    }
    let rows = codes.iter().map(|c| expert_regions::ActiveModel {
        expert_id: Set(expert_id),
        region_code: Set(c.clone()),
        ..Default::default()
    });
    expert_regions::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// (expert id, region code) of the regions `expert_ids` serve.
pub async fn regions_of(db: &impl ConnectionTrait, expert_ids: Vec<i64>) -> Result<Vec<(i64, String)>, DbErr> {
    expert_regions::Entity::find()
        .select_only()
        .columns([expert_regions::Column::ExpertId, expert_regions::Column::RegionCode])
        .filter(expert_regions::Column::ExpertId.is_in(expert_ids))
        .order_by_asc(expert_regions::Column::RegionCode)
        .into_tuple()
        .all(db)
        .await
}

pub async fn competences_of(db: &impl ConnectionTrait, expert_ids: Vec<i64>) -> Result<Vec<Competence>, DbErr> {
    expert_competences::Entity::find()
        .filter(expert_competences::Column::ExpertId.is_in(expert_ids))
        .order_by_asc(expert_competences::Column::Code)
        .all(db)
        .await
}

pub async fn conflicts_of(db: &impl ConnectionTrait, expert_ids: Vec<i64>) -> Result<Vec<Conflict>, DbErr> {
    expert_conflicts::Entity::find()
        .filter(expert_conflicts::Column::ExpertId.is_in(expert_ids))
        .order_by_asc(expert_conflicts::Column::Id)
        .all(db)
        .await
}

/// Declares a conflict; false when one with the enterprise is declared already.
pub async fn insert_conflict(
    db: &impl ConnectionTrait,
    expert_id: i64,
    enterprise_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = expert_conflicts::ActiveModel {
        created_at: Set(now.fixed_offset()),
        expert_id: Set(expert_id),
        enterprise_id: Set(enterprise_id),
        reason: Set(reason.to_string()),
        ..Default::default()
    };
    let n = expert_conflicts::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([expert_conflicts::Column::ExpertId, expert_conflicts::Column::EnterpriseId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n == 1)
}

/// Deactivates expert `id` unless it is inactive; whether this call did.
pub async fn deactivate(db: &impl ConnectionTrait, id: i64, reason: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let r = experts::Entity::update_many()
        .col_expr(experts::Column::Active, Expr::value(false))
        .col_expr(experts::Column::DeactivatedAt, Expr::value(now.fixed_offset()))
        .col_expr(experts::Column::DeactivationReason, Expr::value(reason))
        .filter(experts::Column::Id.eq(id))
        .filter(experts::Column::Active.eq(true))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Per expert: (tasks accepted and not done, offers awaiting an answer). An offered
/// task is `open` with its expert set; an accepted one is `accepted`.
pub async fn workload(db: &impl ConnectionTrait, expert_ids: Vec<i64>) -> Result<HashMap<i64, (i64, i64)>, DbErr> {
    let rows: Vec<(i64, String, i64)> = tasks::Entity::find()
        .select_only()
        .column(tasks::Column::ExpertId)
        .column(tasks::Column::Status)
        .column_as(Expr::col(tasks::Column::Id).count(), "n")
        .filter(tasks::Column::ExpertId.is_in(expert_ids))
        .filter(tasks::Column::Status.is_in(["open", "accepted"]))
        .group_by(tasks::Column::ExpertId)
        .group_by(tasks::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
    for (expert, status, n) in rows {
        let w = out.entry(expert).or_default();
        if status == "accepted" {
            w.0 += n;
        } else {
            w.1 += n;
        }
    }
    Ok(out)
}

/// Ids of the tasks offered to `expert_id` and not yet answered.
pub async fn offered_task_ids(db: &impl ConnectionTrait, expert_id: i64) -> Result<Vec<i64>, DbErr> {
    tasks::Entity::find()
        .select_only()
        .column(tasks::Column::Id)
        .filter(tasks::Column::ExpertId.eq(expert_id))
        .filter(tasks::Column::Status.eq("open"))
        .into_tuple()
        .all(db)
        .await
}
