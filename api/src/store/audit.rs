//! The audit trail: its records (`audit_log`), the queue of records not yet sealed
//! (`audit_unsealed`, filled by a trigger), the chain of seals (`audit_seal`) and the
//! chain's head (`audit_head`, one row, touched only by the sealer).

use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::entities::{audit_head, audit_log, audit_seal, audit_unsealed};

pub type AuditRecord = audit_log::Model;
pub type AuditHead = audit_head::Model;
pub type Seal = audit_seal::Model;

/// Appends `record` (its `id` is assigned); the database queues it for sealing in the
/// same statement. One insert, no lock beyond the row's own.
pub async fn insert(db: &impl ConnectionTrait, record: AuditRecord) -> Result<AuditRecord, DbErr> {
    let mut active: audit_log::ActiveModel = record.into();
    active.id = NotSet;
    active.insert(db).await
}

/// The head row, locked for the sealer's transaction; `None` while another sealer holds
/// it (PostgreSQL skips a locked row instead of waiting; SQLite's writer already holds
/// the whole database).
pub async fn lock_head(db: &impl ConnectionTrait) -> Result<Option<AuditHead>, DbErr> {
    audit_head::Entity::find_by_id(1).lock_with_behavior(LockType::Update, LockBehavior::SkipLocked).one(db).await
}

/// The head row, if it is there.
pub async fn head(db: &impl ConnectionTrait) -> Result<Option<AuditHead>, DbErr> {
    audit_head::Entity::find_by_id(1).one(db).await
}

/// Up to `limit` records waiting to be sealed, oldest id first.
pub async fn unsealed(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<AuditRecord>, DbErr> {
    let ids: Vec<i64> = audit_unsealed::Entity::find()
        .select_only()
        .column(audit_unsealed::Column::AuditId)
        .order_by_asc(audit_unsealed::Column::AuditId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    audit_log::Entity::find().filter(audit_log::Column::Id.is_in(ids)).order_by_asc(audit_log::Column::Id).all(db).await
}

/// Writes `seals` (consecutive, after the head), takes their records off the queue and
/// moves the head to the last one.
pub async fn seal(db: &impl ConnectionTrait, seals: Vec<Seal>) -> Result<(), DbErr> {
    let Some(last) = seals.last().cloned() else { return Ok(()) };
    let ids: Vec<i64> = seals.iter().map(|s| s.audit_id).collect();
    audit_seal::Entity::insert_many(seals.into_iter().map(audit_seal::ActiveModel::from)).exec(db).await?;
    audit_unsealed::Entity::delete_many().filter(audit_unsealed::Column::AuditId.is_in(ids)).exec(db).await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, last.seq.into())
        .col_expr(audit_head::Column::Hash, last.hash.into())
        .filter(audit_head::Column::Id.eq(1))
        .exec(db)
        .await?;
    Ok(())
}

/// Up to `limit` seals after sequence number `after`, in order, each with its record
/// (`None` when the record is gone).
pub async fn seals_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<(Seal, Option<AuditRecord>)>, DbErr> {
    let seals = audit_seal::Entity::find()
        .filter(audit_seal::Column::Seq.gt(after))
        .order_by_asc(audit_seal::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = seals.iter().map(|s| s.audit_id).collect();
    let mut records: std::collections::HashMap<i64, AuditRecord> = audit_log::Entity::find()
        .filter(audit_log::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(seals
        .into_iter()
        .map(|s| {
            let r = records.remove(&s.audit_id);
            (s, r)
        })
        .collect())
}

/// What waits for the sealer: how many records, and the oldest one's time.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Backlog {
    pub waiting: i64,
    pub oldest: Option<chrono::DateTime<chrono::FixedOffset>>,
}

pub async fn backlog(db: &impl ConnectionTrait) -> Result<Backlog, DbErr> {
    let sql = "SELECT COUNT(*) AS waiting, MIN(a.created_at) AS oldest \
               FROM audit_unsealed u JOIN audit_log a ON a.id = u.audit_id";
    let row = Backlog::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).one(db).await?;
    Ok(row.unwrap_or(Backlog { waiting: 0, oldest: None }))
}

/// A record that is neither sealed nor waiting for the sealer: it entered the table
/// some way other than the trail's insert, or its place in the queue was removed.
pub async fn first_stray(db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
    let sql = "SELECT a.id AS id FROM audit_log a \
               WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.audit_id = a.id) \
               AND NOT EXISTS (SELECT 1 FROM audit_unsealed u WHERE u.audit_id = a.id) \
               ORDER BY a.id LIMIT 1";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    row.map(|r| r.try_get::<i64>("", "id")).transpose()
}

/// A record that is sealed and queued again: the sealer would chain it a second time.
pub async fn sealed_and_waiting(db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
    let sql = "SELECT u.audit_id AS id FROM audit_unsealed u JOIN audit_seal s ON s.audit_id = u.audit_id \
               ORDER BY u.audit_id LIMIT 1";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    row.map(|r| r.try_get::<i64>("", "id")).transpose()
}

/// What a reading of the trail may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub actor_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

/// Page `page` (1-based) of the records `filter` keeps, newest first, each with its
/// seal (`None` while it waits for the sealer), and how many it keeps in all. Records
/// are listed as soon as their write commits.
pub async fn page_newest_first(
    db: &impl ConnectionTrait,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<(AuditRecord, Option<Seal>)>), DbErr> {
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
    let pages = q.order_by_desc(audit_log::Column::Id).paginate(db, per_page);
    let total = pages.num_items().await?;
    let rows = pages.fetch_page(page - 1).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut seals: std::collections::HashMap<i64, Seal> = audit_seal::Entity::find()
        .filter(audit_seal::Column::AuditId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.audit_id, s))
        .collect();
    Ok((
        total,
        rows.into_iter()
            .map(|r| {
                let s = seals.remove(&r.id);
                (r, s)
            })
            .collect(),
    ))
}
