//! Experts (`experts`) and their competences (`expert_competences`): the pool tasks
//! are dispatched to.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use crate::entities::{expert_competences, expert_conflicts, expert_reports, experts};

pub type Expert = experts::Model;
pub type Competence = expert_competences::Model;
/// A visit report (`expert_reports`), with the 一企一策 plan.
pub type Report = expert_reports::Model;

/// An expert as created: what is not given takes the table's defaults.
#[derive(Debug, Clone, Default)]
pub struct NewExpert {
    pub name: String,
    pub organisation_id: Option<i64>,
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub title: Option<String>,
}

pub async fn insert(db: &impl ConnectionTrait, x: NewExpert) -> Result<Expert, DbErr> {
    experts::ActiveModel {
        name: Set(x.name),
        organisation_id: Set(x.organisation_id),
        region_code: Set(x.region_code),
        latitude: Set(x.latitude),
        longitude: Set(x.longitude),
        title: Set(x.title),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// One competence: `kind` (`industry`, `accident_type`) and a code of `code_system`.
#[derive(Debug, Clone)]
pub struct NewCompetence {
    pub kind: String,
    pub code_system: String,
    pub code: String,
}

/// Stores an expert's competences in one statement.
pub async fn insert_competences(
    db: &impl ConnectionTrait,
    expert_id: i64,
    competences: Vec<NewCompetence>,
) -> Result<(), DbErr> {
    let models = competences.into_iter().map(|c| expert_competences::ActiveModel {
        expert_id: Set(expert_id),
        kind: Set(c.kind),
        code_system: Set(c.code_system),
        code: Set(c.code),
        ..Default::default()
    });
    expert_competences::Entity::insert_many(models).exec_without_returning(db).await?;
    Ok(())
}

/// The experts taking tasks.
pub async fn active(db: &impl ConnectionTrait) -> Result<Vec<Expert>, DbErr> {
    experts::Entity::find().filter(experts::Column::Active.eq(true)).all(db).await
}

/// Experts who declared a conflict of interest with the enterprise (`expert_conflicts`).
pub async fn conflicted_with(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<i64>, DbErr> {
    expert_conflicts::Entity::find()
        .select_only()
        .column(expert_conflicts::Column::ExpertId)
        .filter(expert_conflicts::Column::EnterpriseId.eq(enterprise_id))
        .into_tuple()
        .all(db)
        .await
}

/// The competences of `expert_ids`.
pub async fn competences_of(db: &impl ConnectionTrait, expert_ids: Vec<i64>) -> Result<Vec<Competence>, DbErr> {
    expert_competences::Entity::find().filter(expert_competences::Column::ExpertId.is_in(expert_ids)).all(db).await
}

/// A visit report to insert.
pub struct NewReport {
    pub task_id: i64,
    pub expert_id: i64,
    pub user_id: i64,
    pub summary: String,
    pub plan: String,
    pub follow_up_task_id: Option<i64>,
    pub follow_up_due: DateTime<Utc>,
}

/// Inserts a visit report written at `now`; returns its id.
pub async fn insert_report(db: &impl ConnectionTrait, r: NewReport, now: DateTime<Utc>) -> Result<i64, DbErr> {
    let row = expert_reports::ActiveModel {
        created_at: Set(now.fixed_offset()),
        task_id: Set(r.task_id),
        expert_id: Set(r.expert_id),
        user_id: Set(r.user_id),
        summary: Set(r.summary),
        plan: Set(r.plan),
        follow_up_task_id: Set(r.follow_up_task_id),
        follow_up_due: Set(r.follow_up_due.fixed_offset()),
        ..Default::default()
    };
    Ok(expert_reports::Entity::insert(row).exec(db).await?.last_insert_id)
}

/// The report of visit task `task_id`.
pub async fn report_of(db: &impl ConnectionTrait, task_id: i64) -> Result<Option<Report>, DbErr> {
    expert_reports::Entity::find().filter(expert_reports::Column::TaskId.eq(task_id)).one(db).await
}

/// The report that scheduled follow-up task `task_id`.
pub async fn report_scheduling(db: &impl ConnectionTrait, task_id: i64) -> Result<Option<Report>, DbErr> {
    expert_reports::Entity::find().filter(expert_reports::Column::FollowUpTaskId.eq(task_id)).one(db).await
}
