//! Risk fits (`risk_fits`) and the per-enterprise scores of each (`risk_scores`). One
//! fit is `current`; a refit supersedes it in the transaction that stores the new one.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::{risk_fits, risk_scores};

pub type RiskFit = risk_fits::Model;
pub type RiskScore = risk_scores::Model;

/// The current fit, if any.
pub async fn current_fit(db: &impl ConnectionTrait) -> Result<Option<RiskFit>, DbErr> {
    risk_fits::Entity::find().filter(risk_fits::Column::State.eq("current")).one(db).await
}

/// An enterprise's score in a fit (callers filter the enterprise by scope first).
pub async fn score_of(db: &impl ConnectionTrait, fit_id: i64, enterprise_id: i64) -> Result<Option<RiskScore>, DbErr> {
    risk_scores::Entity::find()
        .filter(risk_scores::Column::FitId.eq(fit_id))
        .filter(risk_scores::Column::EnterpriseId.eq(enterprise_id))
        .one(db)
        .await
}

/// Marks the current fit superseded.
pub async fn supersede_current(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    risk_fits::Entity::update_many()
        .col_expr(risk_fits::Column::State, Expr::value("superseded"))
        .filter(risk_fits::Column::State.eq("current"))
        .exec(db)
        .await?;
    Ok(())
}

pub struct NewFit {
    pub model_version: String,
    pub cutoff: NaiveDate,
    pub horizon_months: i32,
    pub trigger: String,
    pub accidents_used: i32,
    pub enterprises_scored: i32,
    /// The fitted model, as JSON.
    pub model: String,
}

/// Stores a fit as the current one (its duration set once known); its id.
pub async fn insert_current_fit(db: &impl ConnectionTrait, fit: NewFit) -> Result<i64, DbErr> {
    Ok(risk_fits::Entity::insert(risk_fits::ActiveModel {
        model_version: Set(fit.model_version),
        cutoff: Set(fit.cutoff),
        horizon_months: Set(fit.horizon_months),
        trigger: Set(fit.trigger),
        state: Set("current".to_string()),
        accidents_used: Set(fit.accidents_used),
        enterprises_scored: Set(fit.enterprises_scored),
        duration_ms: Set(0),
        model: Set(fit.model),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id)
}

pub async fn set_fit_duration(db: &impl ConnectionTrait, fit_id: i64, duration_ms: i32) -> Result<(), DbErr> {
    risk_fits::Entity::update_many()
        .col_expr(risk_fits::Column::DurationMs, Expr::value(duration_ms))
        .filter(risk_fits::Column::Id.eq(fit_id))
        .exec(db)
        .await?;
    Ok(())
}

pub struct NewScore {
    pub enterprise_id: i64,
    pub history_accidents: i32,
    pub history_serious: i32,
    pub expected_accidents: f64,
    pub p_any: f64,
    pub p_serious: f64,
    pub industry_percentile: Option<f64>,
    pub region_percentile: Option<f64>,
    /// JSON text.
    pub mix: String,
    /// JSON text.
    pub factors: String,
}

/// Stores scores of a fit in one statement (callers bound the batch).
pub async fn insert_scores(db: &impl ConnectionTrait, fit_id: i64, scores: Vec<NewScore>) -> Result<(), DbErr> {
    let models = scores.into_iter().map(|s| risk_scores::ActiveModel {
        fit_id: Set(fit_id),
        enterprise_id: Set(s.enterprise_id),
        history_accidents: Set(s.history_accidents),
        history_serious: Set(s.history_serious),
        expected_accidents: Set(s.expected_accidents),
        p_any: Set(s.p_any),
        p_serious: Set(s.p_serious),
        industry_percentile: Set(s.industry_percentile),
        region_percentile: Set(s.region_percentile),
        mix: Set(s.mix),
        factors: Set(s.factors),
        ..Default::default()
    });
    risk_scores::Entity::insert_many(models).exec_without_returning(db).await?;
    Ok(())
}
