//! The audit trail (`audit_log`) and the head of its hash chain (`audit_head`, one row).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::{audit_head, audit_log};

pub type AuditRecord = audit_log::Model;
pub type AuditHead = audit_head::Model;

/// Advances the head's sequence number and reads it back. The update comes first, so
/// concurrent appends wait for each other (row lock on PostgreSQL, the write lock on
/// SQLite) instead of forking the chain.
pub async fn advance_head(db: &impl ConnectionTrait) -> Result<AuditHead, DbErr> {
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq).add(1))
        .filter(audit_head::Column::Id.eq(1))
        .exec(db)
        .await?;
    head(db).await?.ok_or_else(|| DbErr::Custom("audit_head row is missing".into()))
}

/// The head row, if it is there.
pub async fn head(db: &impl ConnectionTrait) -> Result<Option<AuditHead>, DbErr> {
    audit_head::Entity::find_by_id(1).one(db).await
}

/// Inserts `record` (its `id` is assigned) and moves the head to its sequence number
/// and hash.
pub async fn insert(db: &impl ConnectionTrait, record: AuditRecord) -> Result<AuditRecord, DbErr> {
    let (seq, hash) = (record.seq, record.hash.clone());
    let mut active: audit_log::ActiveModel = record.into();
    active.id = NotSet;
    let stored = active.insert(db).await?;
    audit_head::ActiveModel { id: Set(1), seq: Set(seq), hash: Set(hash) }.update(db).await?;
    Ok(stored)
}

/// Page `page` (0-based) of the chain in sequence order.
pub async fn page_by_seq(db: &impl ConnectionTrait, page: u64, per_page: u64) -> Result<Vec<AuditRecord>, DbErr> {
    audit_log::Entity::find().order_by_asc(audit_log::Column::Seq).offset(page * per_page).limit(per_page).all(db).await
}

/// What a reading of the trail may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub actor_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

/// Page `page` (1-based) of the records `filter` keeps, newest first, and how many it
/// keeps in all.
pub async fn page_newest_first(
    db: &impl ConnectionTrait,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<AuditRecord>), DbErr> {
    let mut q = audit_log::Entity::find();
    if let Some(a) = &filter.action {
        q = q.filter(audit_log::Column::Action.eq(a.as_str()));
    }
    if let Some(a) = filter.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(a));
    }
    if let Some(e) = filter.enterprise_id {
        q = q.filter(audit_log::Column::EnterpriseId.eq(e));
    }
    let pages = q.order_by_desc(audit_log::Column::Seq).paginate(db, per_page);
    let total = pages.num_items().await?;
    let rows = pages.fetch_page(page - 1).await?;
    Ok((total, rows))
}
