//! The change feed (`sync_log`) and each enterprise's last sequence number
//! (`sync_heads`).

use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::entities::{sync_heads, sync_log};

pub type SyncEntry = sync_log::Model;

/// Appends a change of `kind` to `object_id` for the enterprise; returns its sequence
/// number. The upsert on the enterprise's head row takes its lock until commit, so
/// one enterprise's changes commit in sequence order.
/// On PostgreSQL both rows are written by one statement (the head's upsert in a
/// data-modifying `WITH`); SQLite has no such `WITH`, so it takes two.
pub async fn append(db: &impl ConnectionTrait, enterprise_id: i64, kind: &str, object_id: i64) -> Result<i64, DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        let both = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH head AS (INSERT INTO sync_heads (enterprise_id, seq) VALUES ($1, 1) \
             ON CONFLICT (enterprise_id) DO UPDATE SET seq = sync_heads.seq + 1 RETURNING seq) \
             INSERT INTO sync_log (enterprise_id, seq, kind, object_id) SELECT $1, seq, $2, $3 FROM head RETURNING seq",
            [enterprise_id.into(), kind.into(), object_id.into()],
        );
        let row = db
            .query_one_raw(both)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("sync_log insert returned no row".into()))?;
        return row.try_get("", "seq");
    }
    let upsert = Query::insert()
        .into_table(sync_heads::Entity)
        .columns([sync_heads::Column::EnterpriseId, sync_heads::Column::Seq])
        .values_panic([enterprise_id.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(sync_heads::Column::EnterpriseId)
                .value(sync_heads::Column::Seq, Expr::col((sync_heads::Entity, sync_heads::Column::Seq)).add(1))
                .to_owned(),
        )
        .returning_col(sync_heads::Column::Seq)
        .to_owned();
    let row = db
        .query_one(&upsert)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("sync_heads upsert returned no row".into()))?;
    let seq: i64 = row.try_get("", "seq")?;
    let log = Query::insert()
        .into_table(sync_log::Entity)
        .columns([
            sync_log::Column::EnterpriseId,
            sync_log::Column::Seq,
            sync_log::Column::Kind,
            sync_log::Column::ObjectId,
        ])
        .values_panic([enterprise_id.into(), seq.into(), kind.into(), object_id.into()])
        .to_owned();
    db.execute(&log).await?;
    Ok(seq)
}

/// At most `limit` of the enterprise's changes after `cursor` that meet `only` (the
/// caller's part of the feed, `store::scope::feed`), oldest first.
pub async fn after(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    only: Condition,
    cursor: i64,
    limit: u64,
) -> Result<Vec<SyncEntry>, DbErr> {
    sync_log::Entity::find()
        .filter(sync_log::Column::EnterpriseId.eq(enterprise_id))
        .filter(only)
        .filter(sync_log::Column::Seq.gt(cursor))
        .order_by_asc(sync_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}
