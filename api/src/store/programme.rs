//! Key-enterprise proposals (`programme_proposals`) and enrolments
//! (`programme_enrolments`): who is in the programme, since when, and who left it.
//! Reads of enrolments are filtered by the caller's enterprises in SQL; a proposal by
//! the caller's region.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::domain::Caller;
use crate::entities::{enterprises, programme_enrolments, programme_proposals, risk_scores};
use crate::error::ApiError;
use crate::store::{enterprises as firms, scope};

pub type Proposal = programme_proposals::Model;
pub type Enrolment = programme_enrolments::Model;

/// What a proposal reads of an enterprise: id, name, industry code, region code, how it
/// came into the register (`seed`, `api`, `roster`, `accidents`) and when it was first seen.
pub type CandidateRow = (i64, String, Option<String>, Option<String>, Option<String>, Option<DateTime<FixedOffset>>);

/// The active enterprises whose region code starts with `prefix` (a region already
/// checked against the caller's).
pub async fn active_in_region(db: &impl ConnectionTrait, prefix: &str) -> Result<Vec<CandidateRow>, DbErr> {
    enterprises::Entity::find()
        .select_only()
        .columns([
            enterprises::Column::Id,
            enterprises::Column::Name,
            enterprises::Column::IndustryCode,
            enterprises::Column::RegionCode,
            enterprises::Column::Origin,
            enterprises::Column::FirstSeenAt,
        ])
        .filter(enterprises::Column::RegionCode.starts_with(prefix))
        .filter(enterprises::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await
}

/// (enterprise id, expected accidents, probability of a serious one) of fit `fit_id`
/// for the enterprises whose region code starts with `prefix`.
pub async fn scores_in_region(
    db: &impl ConnectionTrait,
    fit_id: i64,
    prefix: &str,
) -> Result<Vec<(i64, f64, f64)>, DbErr> {
    risk_scores::Entity::find()
        .select_only()
        .columns([
            risk_scores::Column::EnterpriseId,
            risk_scores::Column::ExpectedAccidents,
            risk_scores::Column::PSerious,
        ])
        .filter(risk_scores::Column::FitId.eq(fit_id))
        .filter(risk_scores::Column::EnterpriseId.in_subquery(firms::ids_in_region(Some(prefix))))
        .into_tuple()
        .all(db)
        .await
}

/// A proposal as stored.
pub struct NewProposal {
    pub region_code: String,
    pub count: i32,
    pub year: i32,
    pub rules_version: String,
    pub fit_id: Option<i64>,
    pub created_by: i64,
    pub items: Value,
}

pub async fn insert_proposal(db: &impl ConnectionTrait, p: NewProposal, now: DateTime<Utc>) -> Result<Proposal, DbErr> {
    programme_proposals::ActiveModel {
        created_at: Set(now.fixed_offset()),
        region_code: Set(p.region_code),
        count: Set(p.count),
        year: Set(p.year),
        rules_version: Set(p.rules_version),
        fit_id: Set(p.fit_id),
        created_by: Set(p.created_by),
        items: Set(p.items),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Proposal `id` if its region lies within `prefix` (the caller's region).
pub async fn proposal_in_region(db: &impl ConnectionTrait, id: i64, prefix: &str) -> Result<Option<Proposal>, DbErr> {
    programme_proposals::Entity::find_by_id(id)
        .filter(programme_proposals::Column::RegionCode.starts_with(prefix))
        .one(db)
        .await
}

/// Marks proposal `id` confirmed unless it already is; whether this call did.
pub async fn confirm_proposal(
    db: &impl ConnectionTrait,
    id: i64,
    by: i64,
    confirmation: Value,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = programme_proposals::Entity::update_many()
        .col_expr(programme_proposals::Column::ConfirmedAt, Expr::value(now.fixed_offset()))
        .col_expr(programme_proposals::Column::ConfirmedBy, Expr::value(by))
        .col_expr(programme_proposals::Column::Confirmation, Expr::value(confirmation))
        .filter(programme_proposals::Column::Id.eq(id))
        .filter(programme_proposals::Column::ConfirmedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// The current (not ended) enrolments of `enterprise_ids`.
pub async fn current_of(db: &impl ConnectionTrait, enterprise_ids: Vec<i64>) -> Result<Vec<Enrolment>, DbErr> {
    programme_enrolments::Entity::find()
        .filter(programme_enrolments::Column::EnterpriseId.is_in(enterprise_ids))
        .filter(programme_enrolments::Column::EndedAt.is_null())
        .all(db)
        .await
}

/// An enrolment to insert.
pub struct NewEnrolment {
    pub enterprise_id: i64,
    pub proposal_id: i64,
    pub basis: &'static str,
    pub reason: Option<String>,
    pub enrolled_by: i64,
    pub programme_start: NaiveDate,
    pub checkpoint_1: NaiveDate,
    pub checkpoint_2: NaiveDate,
}

pub async fn insert_enrolment(
    db: &impl ConnectionTrait,
    e: NewEnrolment,
    now: DateTime<Utc>,
) -> Result<Enrolment, DbErr> {
    programme_enrolments::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(e.enterprise_id),
        proposal_id: Set(e.proposal_id),
        basis: Set(e.basis.to_string()),
        reason: Set(e.reason),
        enrolled_by: Set(e.enrolled_by),
        enrolled_at: Set(now.fixed_offset()),
        programme_start: Set(e.programme_start),
        checkpoint_1: Set(e.checkpoint_1),
        checkpoint_2: Set(e.checkpoint_2),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn set_first_task(db: &impl ConnectionTrait, id: i64, task_id: i64) -> Result<(), DbErr> {
    programme_enrolments::Entity::update_many()
        .col_expr(programme_enrolments::Column::FirstTaskId, Expr::value(task_id))
        .filter(programme_enrolments::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets `enterprises.is_key` (the programme's key enterprise) of `enterprise_id`.
pub async fn set_key(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    key: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    enterprises::Entity::update_many()
        .col_expr(enterprises::Column::IsKey, Expr::value(key))
        .col_expr(enterprises::Column::UpdatedAt, Expr::value(now.fixed_offset()))
        .filter(enterprises::Column::Id.eq(enterprise_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The current enrolment of `enterprise_id` if the enterprise is in the caller's scope.
pub async fn current_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise_id: i64,
) -> Result<Option<Enrolment>, ApiError> {
    Ok(programme_enrolments::Entity::find()
        .filter(
            programme_enrolments::Column::EnterpriseId.in_subquery(scope::enterprise_ids(caller, Some(enterprise_id))?),
        )
        .filter(programme_enrolments::Column::EndedAt.is_null())
        .one(db)
        .await?)
}

/// Ends enrolment `id` unless it has ended; whether this call did.
pub async fn end(db: &impl ConnectionTrait, id: i64, by: i64, reason: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let r = programme_enrolments::Entity::update_many()
        .col_expr(programme_enrolments::Column::EndedAt, Expr::value(now.fixed_offset()))
        .col_expr(programme_enrolments::Column::EndedBy, Expr::value(by))
        .col_expr(programme_enrolments::Column::EndReason, Expr::value(reason))
        .filter(programme_enrolments::Column::Id.eq(id))
        .filter(programme_enrolments::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Enrolment>, DbErr> {
    programme_enrolments::Entity::find_by_id(id).one(db).await
}

/// What a list of enrolments may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only current (`true`) or only ended (`false`) ones.
    pub current: Option<bool>,
    pub enterprise_id: Option<i64>,
    pub proposal_id: Option<i64>,
}

/// One page (1-based) of the enrolments of the caller's enterprises, newest first,
/// each with its enterprise's name and region; and how many there are in all.
pub async fn page_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    f: &Filter,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<(Enrolment, String, Option<String>)>), ApiError> {
    let mut q = programme_enrolments::Entity::find().filter(
        programme_enrolments::Column::EnterpriseId.in_subquery(scope::enterprise_ids(caller, f.enterprise_id)?),
    );
    q = match f.current {
        Some(true) => q.filter(programme_enrolments::Column::EndedAt.is_null()),
        Some(false) => q.filter(programme_enrolments::Column::EndedAt.is_not_null()),
        None => q,
    };
    if let Some(p) = f.proposal_id {
        q = q.filter(programme_enrolments::Column::ProposalId.eq(p));
    }
    let pages = q.order_by_desc(programme_enrolments::Column::Id).paginate(db, per_page);
    let total = pages.num_items().await?;
    let rows = pages.fetch_page(page - 1).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.enterprise_id).collect();
    let names: std::collections::HashMap<i64, (String, Option<String>)> = enterprises::Entity::find()
        .select_only()
        .columns([enterprises::Column::Id, enterprises::Column::Name, enterprises::Column::RegionCode])
        .filter(enterprises::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n, r)| (id, (n, r)))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| {
            let (n, region) = names.get(&r.enterprise_id).cloned().unwrap_or_default();
            (r, n, region)
        })
        .collect();
    Ok((total, items))
}

/// An enterprise as enrolment reads it.
pub type Firm = enterprises::Model;

/// The enterprises among `ids` in the caller's scope (others are left out).
pub async fn firms_in_scope(db: &impl ConnectionTrait, caller: &Caller, ids: Vec<i64>) -> Result<Vec<Firm>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(scope::enterprises(caller)?.filter(enterprises::Column::Id.is_in(ids)).all(db).await?)
}

/// The enterprises among `ids` (already checked in scope).
pub async fn firms_by_id(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<Firm>, DbErr> {
    enterprises::Entity::find().filter(enterprises::Column::Id.is_in(ids)).all(db).await
}
