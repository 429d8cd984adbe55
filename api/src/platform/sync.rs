//! The change feed a phone syncs from (`GET /mp/sync?cursor=N`).
//!
//! Every write to an enterprise's loop data calls [`record`] inside its transaction.
//! The sequence number comes from an upsert on the enterprise's `sync_heads` row, whose
//! lock is held until commit, so one enterprise's changes commit in sequence order: a
//! reader that has seen `seq = n` will never later find a change numbered below `n`.

use sea_orm::sea_query::Condition;
use sea_orm::{ConnectionTrait, DbErr};

use crate::store::sync as feed;

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
    feed::append(db, enterprise_id, kind.as_str(), object_id).await
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

/// Changes after `cursor` that meet `only` (the caller's part of the feed), oldest
/// first, reading at most `limit`; a resource changed several times in the window
/// appears once, at its latest sequence number.
pub async fn since(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    only: Condition,
    cursor: i64,
    limit: u64,
) -> Result<Page, DbErr> {
    let rows = feed::after(db, enterprise_id, only, cursor, limit + 1).await?;
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
