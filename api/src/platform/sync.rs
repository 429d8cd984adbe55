//! The change feed a phone syncs from (`GET /mp/sync?cursor=N`).
//!
//! Every write to an enterprise's loop data calls [`record`] inside its transaction.
//! The sequence number comes from an upsert on the enterprise's `sync_heads` row, whose
//! lock is held until commit, so one enterprise's changes commit in sequence order: a
//! reader that has seen `seq = n` will never later find a change numbered below `n`.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::{sync_heads, sync_log};

/// What changed: the resource a client re-reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Inspection,
    Finding,
    Evidence,
    Report,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Inspection => "inspection",
            Kind::Finding => "finding",
            Kind::Evidence => "evidence",
            Kind::Report => "report",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Kind::Inspection, Kind::Finding, Kind::Evidence, Kind::Report].into_iter().find(|k| k.as_str() == s)
    }
}

/// Appends a change for `enterprise_id`; returns its sequence number. Call it inside
/// the transaction that makes the change.
pub async fn record(db: &impl ConnectionTrait, enterprise_id: i64, kind: Kind, object_id: i64) -> Result<i64, DbErr> {
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
        .values_panic([enterprise_id.into(), seq.into(), kind.as_str().into(), object_id.into()])
        .to_owned();
    db.execute(&log).await?;
    Ok(seq)
}

/// One change as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Change {
    pub seq: i64,
    pub kind: Kind,
    pub id: i64,
}

/// A page of the feed: `next_cursor` is where the next call starts (the last
/// sequence number read, even when that change was folded into a later one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Page {
    pub changes: Vec<Change>,
    pub next_cursor: i64,
    /// More changes wait after `next_cursor`.
    pub more: bool,
}

/// Changes after `cursor`, oldest first, reading at most `limit`; a resource changed
/// several times in the window appears once, at its latest sequence number.
pub async fn since(db: &impl ConnectionTrait, enterprise_id: i64, cursor: i64, limit: u64) -> Result<Page, DbErr> {
    let rows = sync_log::Entity::find()
        .filter(sync_log::Column::EnterpriseId.eq(enterprise_id))
        .filter(sync_log::Column::Seq.gt(cursor))
        .order_by_asc(sync_log::Column::Seq)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    let mut next_cursor = cursor;
    let mut changes: Vec<Change> = Vec::with_capacity(rows.len());
    for r in rows.into_iter().take(usize::try_from(limit).unwrap_or(usize::MAX)) {
        next_cursor = r.seq;
        let Some(kind) = Kind::parse(&r.kind) else { continue };
        changes.retain(|c| !(c.kind == kind && c.id == r.object_id));
        changes.push(Change { seq: r.seq, kind, id: r.object_id });
    }
    Ok(Page { changes, next_cursor, more })
}
