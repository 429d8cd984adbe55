//! Recommendation rounds (`recommendation_rounds`), their ranked items
//! (`recommendations`) and the enterprise's answers to them (`recommendation_feedback`).

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::domain::Caller;
use crate::entities::{enterprises, recommendation_feedback as feedback, recommendation_rounds, recommendations};
use crate::error::ApiError;
use crate::store::enterprises::Enterprise;
use crate::store::scope;

pub type Round = recommendation_rounds::Model;
pub type Recommendation = recommendations::Model;
pub type Feedback = feedback::Model;

/// The rounds of an enterprise in the caller's scope, newest first.
pub async fn list(db: &impl ConnectionTrait, caller: &Caller, enterprise: Option<i64>) -> Result<Vec<Round>, ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    Ok(recommendation_rounds::Entity::find()
        .filter(recommendation_rounds::Column::EnterpriseId.eq(e.id))
        .order_by_desc(recommendation_rounds::Column::Id)
        .all(db)
        .await?)
}

/// Round `id` of an enterprise in the caller's scope, with the enterprise.
pub async fn in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
) -> Result<(Enterprise, Round), ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    let round = recommendation_rounds::Entity::find_by_id(id)
        .filter(recommendation_rounds::Column::EnterpriseId.eq(e.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("recommendation round"))?;
    Ok((e, round))
}

/// Round `id` if its enterprise is in the caller's scope (and is `enterprise`, given
/// one): one query, for reads that need the round and not the enterprise.
pub async fn round_in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
) -> Result<Round, ApiError> {
    recommendation_rounds::Entity::find_by_id(id)
        .filter(recommendation_rounds::Column::EnterpriseId.in_subquery(scope::enterprise_ids(caller, enterprise)?))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("recommendation round"))
}

/// Round `id` if it is the enterprise's.
pub async fn of_enterprise(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<Option<Round>, DbErr> {
    recommendation_rounds::Entity::find_by_id(id)
        .filter(recommendation_rounds::Column::EnterpriseId.eq(enterprise_id))
        .one(db)
        .await
}

/// The enterprise's latest round.
pub async fn latest_of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Option<Round>, DbErr> {
    recommendation_rounds::Entity::find()
        .filter(recommendation_rounds::Column::EnterpriseId.eq(enterprise_id))
        .order_by_desc(recommendation_rounds::Column::Id)
        .one(db)
        .await
}

/// A new round's row.
pub async fn insert(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    model_version: &str,
    library_version: &str,
    item_count: i32,
    areas: String,
) -> Result<Round, DbErr> {
    recommendation_rounds::ActiveModel {
        enterprise_id: Set(enterprise_id),
        model_version: Set(model_version.to_string()),
        library_version: Set(library_version.to_string()),
        item_count: Set(item_count),
        areas: Set(Some(areas)),
        // The use case's clock (simulated in the demo's activity), not the database's.
        created_at: Set(crate::domain::clock::now().fixed_offset()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// One ranked item of a new round, with the text of its library item version rendered
/// once: a round never changes, so a page reads these columns and nothing else.
#[derive(Debug)]
pub struct NewRecommendation {
    pub hazard_item_id: i64,
    pub rank: i32,
    pub score: f64,
    /// Why it is on the list.
    pub reasons: serde_json::Value,
    pub item_code: String,
    pub item_version: i32,
    pub title: String,
    pub area: String,
    pub grade: String,
    pub check_point: String,
    pub check_method: String,
    pub pass_criteria: String,
}

/// An item of a page: the round's rendered columns and its answer, nothing else (the
/// `reasons` JSON is left in the database; `explanation` holds it as text).
#[derive(Debug, FromQueryResult)]
pub struct PageRow {
    pub id: i64,
    pub rank: i32,
    pub score: f64,
    pub item_code: String,
    pub item_version: i32,
    pub title: String,
    pub area: String,
    pub grade: String,
    pub check_point: String,
    pub check_method: String,
    pub pass_criteria: String,
    pub explanation: String,
    pub feedback: Option<String>,
    pub feedback_reason: Option<String>,
}

pub async fn add_recommendations(
    db: &impl ConnectionTrait,
    round_id: i64,
    enterprise_id: i64,
    recs: Vec<NewRecommendation>,
) -> Result<(), DbErr> {
    let rows: Vec<_> = recs
        .into_iter()
        .map(|r| recommendations::ActiveModel {
            explanation: Set(r.reasons.to_string()),
            round_id: Set(round_id),
            enterprise_id: Set(enterprise_id),
            hazard_item_id: Set(r.hazard_item_id),
            rank: Set(r.rank),
            score: Set(r.score),
            reasons: Set(r.reasons),
            item_code: Set(r.item_code),
            item_version: Set(r.item_version),
            title: Set(r.title),
            area: Set(r.area),
            grade: Set(r.grade),
            check_point: Set(r.check_point),
            check_method: Set(r.check_method),
            pass_criteria: Set(r.pass_criteria),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        recommendations::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The round's items in rank order.
pub async fn recommendations_of(db: &impl ConnectionTrait, round_id: i64) -> Result<Vec<Recommendation>, DbErr> {
    recommendations::Entity::find()
        .filter(recommendations::Column::RoundId.eq(round_id))
        .order_by_asc(recommendations::Column::Rank)
        .all(db)
        .await
}

/// One page of the round's items in rank order, optionally of one area, each with its
/// answer: one query over `(round_id, rank)` or `(round_id, area, rank)`.
pub async fn page(
    db: &impl ConnectionTrait,
    round_id: i64,
    area: Option<&str>,
    (page, per_page): (u64, u64),
) -> Result<Vec<PageRow>, DbErr> {
    use recommendations::Column as C;
    let mut q = recommendations::Entity::find().filter(C::RoundId.eq(round_id));
    if let Some(area) = area {
        q = q.filter(C::Area.eq(area));
    }
    q.select_only()
        .columns([C::Id, C::Rank, C::Score, C::ItemCode, C::ItemVersion, C::Title, C::Area, C::Grade])
        .columns([C::CheckPoint, C::CheckMethod, C::PassCriteria, C::Explanation])
        .column_as(feedback::Column::Result, "feedback")
        .column_as(feedback::Column::Reason, "feedback_reason")
        .join(JoinType::LeftJoin, feedback::Relation::Recommendations.def().rev())
        .order_by_asc(C::Rank)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .into_model::<PageRow>()
        .all(db)
        .await
}

/// The round's areas with their item counts, in the order of their best (lowest) rank.
pub async fn area_counts(db: &impl ConnectionTrait, round_id: i64) -> Result<Vec<(String, i64)>, DbErr> {
    recommendations::Entity::find()
        .select_only()
        .column(recommendations::Column::Area)
        .column_as(recommendations::Column::Id.count(), "n")
        .filter(recommendations::Column::RoundId.eq(round_id))
        .group_by(recommendations::Column::Area)
        .order_by_asc(recommendations::Column::Rank.min())
        .order_by_asc(recommendations::Column::Area)
        .into_tuple()
        .all(db)
        .await
}

/// The round's recommendation ids by library item code, for the codes given.
pub async fn ids_by_code(
    db: &impl ConnectionTrait,
    round_id: i64,
    codes: Vec<String>,
) -> Result<Vec<(String, i64)>, DbErr> {
    recommendations::Entity::find()
        .select_only()
        .column(recommendations::Column::ItemCode)
        .column(recommendations::Column::Id)
        .filter(recommendations::Column::RoundId.eq(round_id))
        .filter(recommendations::Column::ItemCode.is_in(codes))
        .into_tuple()
        .all(db)
        .await
}

/// How many items of the round have an answer.
pub async fn answered(db: &impl ConnectionTrait, round_id: i64) -> Result<u64, DbErr> {
    feedback::Entity::find().filter(feedback::Column::RoundId.eq(round_id)).count(db).await
}

/// Every answer of the enterprise, oldest first.
pub async fn answers_of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<Feedback>, DbErr> {
    feedback::Entity::find()
        .filter(feedback::Column::EnterpriseId.eq(enterprise_id))
        .order_by_asc(feedback::Column::UpdatedAt)
        .order_by_asc(feedback::Column::Id)
        .all(db)
        .await
}

/// (item code, result, count) of the answers of other enterprises of the GB/T 4754
/// division.
pub async fn peer_counts(
    db: &impl ConnectionTrait,
    division: &str,
    except_enterprise: i64,
) -> Result<Vec<(String, String, i64)>, DbErr> {
    feedback::Entity::find()
        .select_only()
        .column(feedback::Column::ItemCode)
        .column(feedback::Column::Result)
        .column_as(feedback::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, feedback::Relation::Enterprises.def())
        .filter(enterprises::Column::IndustryDivision.eq(division))
        .filter(feedback::Column::EnterpriseId.ne(except_enterprise))
        .group_by(feedback::Column::ItemCode)
        .group_by(feedback::Column::Result)
        .into_tuple()
        .all(db)
        .await
}

/// One answer for one recommended item.
#[derive(Debug, Clone)]
pub struct NewAnswer {
    pub recommendation_id: i64,
    pub round_id: i64,
    pub enterprise_id: i64,
    pub item_code: String,
    pub result: String,
    pub reason: Option<String>,
    pub marked_by: i64,
    pub at: DateTime<FixedOffset>,
}

/// Stores answers, a later answer for a recommendation replacing the earlier; for the
/// round's feedback and an inspection's marks alike. Bumps each answered round's
/// `feedback_revision` in the same transaction.
pub async fn store_answers(db: &impl ConnectionTrait, answers: Vec<NewAnswer>) -> Result<(), DbErr> {
    let rounds: std::collections::BTreeSet<i64> = answers.iter().map(|a| a.round_id).collect();
    let rows: Vec<_> = answers
        .into_iter()
        .map(|a| feedback::ActiveModel {
            recommendation_id: Set(a.recommendation_id),
            round_id: Set(a.round_id),
            enterprise_id: Set(a.enterprise_id),
            item_code: Set(a.item_code),
            result: Set(a.result),
            reason: Set(a.reason),
            marked_by: Set(a.marked_by),
            updated_at: Set(a.at),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        feedback::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(feedback::Column::RecommendationId)
                    .update_columns([
                        feedback::Column::Result,
                        feedback::Column::Reason,
                        feedback::Column::MarkedBy,
                        feedback::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    // Pages of these rounds are tagged with the revision: a cached copy is now stale.
    if !rounds.is_empty() {
        recommendation_rounds::Entity::update_many()
            .col_expr(
                recommendation_rounds::Column::FeedbackRevision,
                Expr::col(recommendation_rounds::Column::FeedbackRevision).add(1),
            )
            .filter(recommendation_rounds::Column::Id.is_in(rounds))
            .exec(db)
            .await?;
    }
    Ok(())
}
