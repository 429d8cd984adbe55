//! Recommendation rounds (`recommendation_rounds`), their ranked items
//! (`recommendations`) and the enterprise's answers to them (`recommendation_feedback`).

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::domain::Caller;
use crate::entities::{
    enterprises, hazard_items, recommendation_feedback as feedback, recommendation_rounds, recommendations,
};
use crate::error::ApiError;
use crate::store::enterprises::Enterprise;
use crate::store::hazard_items::HazardItem;
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
) -> Result<Round, DbErr> {
    recommendation_rounds::ActiveModel {
        enterprise_id: Set(enterprise_id),
        model_version: Set(model_version.to_string()),
        library_version: Set(library_version.to_string()),
        item_count: Set(item_count),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// One ranked item of a new round.
#[derive(Debug)]
pub struct NewRecommendation {
    pub hazard_item_id: i64,
    pub rank: i32,
    pub score: f64,
    /// Why it is on the list.
    pub reasons: serde_json::Value,
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
            round_id: Set(round_id),
            enterprise_id: Set(enterprise_id),
            hazard_item_id: Set(r.hazard_item_id),
            rank: Set(r.rank),
            score: Set(r.score),
            reasons: Set(r.reasons),
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

/// The round's items with their library items, in rank order.
pub async fn with_items(
    db: &impl ConnectionTrait,
    round_id: i64,
) -> Result<Vec<(Recommendation, Option<HazardItem>)>, DbErr> {
    recommendations::Entity::find()
        .filter(recommendations::Column::RoundId.eq(round_id))
        .find_also_related(hazard_items::Entity)
        .order_by_asc(recommendations::Column::Rank)
        .all(db)
        .await
}

/// The answers given in the round.
pub async fn feedback_of(db: &impl ConnectionTrait, round_id: i64) -> Result<Vec<Feedback>, DbErr> {
    feedback::Entity::find().filter(feedback::Column::RoundId.eq(round_id)).all(db).await
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
/// round's feedback and an inspection's marks alike.
pub async fn store_answers(db: &impl ConnectionTrait, answers: Vec<NewAnswer>) -> Result<(), DbErr> {
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
    Ok(())
}
