//! Idempotency keys (`idempotency_keys`): a mini-program write's key, the digest of
//! the request it was first sent with, and the (sealed) answer once there is one.

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TryInsertResult};

use crate::entities::idempotency_keys as keys;

pub type IdempotencyKey = keys::Model;

type Time = DateTime<FixedOffset>;

pub struct NewKey {
    pub created_at: Time,
    pub user_id: i64,
    pub key: String,
    pub method: String,
    pub path: String,
    pub request_sha256: String,
    pub expires_at: Time,
}

/// Claims a key unless the user holds it already: the new row's id, or `None` when the
/// key is taken. One statement (`ON CONFLICT DO NOTHING RETURNING id`).
pub async fn insert_if_free(db: &impl ConnectionTrait, k: NewKey) -> Result<Option<i64>, DbErr> {
    let row = keys::ActiveModel {
        created_at: Set(k.created_at),
        user_id: Set(k.user_id),
        key: Set(k.key),
        method: Set(k.method),
        path: Set(k.path),
        request_sha256: Set(k.request_sha256),
        expires_at: Set(k.expires_at),
        ..Default::default()
    };
    match keys::Entity::insert(row)
        .on_conflict_do_nothing_on([keys::Column::UserId, keys::Column::Key])
        .exec(db)
        .await?
    {
        TryInsertResult::Inserted(r) => Ok(Some(r.last_insert_id)),
        TryInsertResult::Conflicted | TryInsertResult::Empty => Ok(None),
    }
}

/// Restarts an expired key for a new request (`sha`) at `now`, until `expires_at`; 1
/// when taken, 0 when another retry took it first.
pub async fn renew_expired(
    db: &impl ConnectionTrait,
    id: i64,
    now: Time,
    expires_at: Time,
    sha: &str,
) -> Result<u64, DbErr> {
    Ok(keys::Entity::update_many()
        .col_expr(keys::Column::CreatedAt, Expr::value(now))
        .col_expr(keys::Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(keys::Column::RequestSha256, Expr::value(sha))
        .col_expr(keys::Column::ResponseStatus, Expr::value(Option::<i16>::None))
        .col_expr(keys::Column::ResponseBody, Expr::value(Option::<String>::None))
        .filter(keys::Column::Id.eq(id))
        .filter(keys::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn find(db: &impl ConnectionTrait, user_id: i64, key: &str) -> Result<Option<IdempotencyKey>, DbErr> {
    keys::Entity::find().filter(keys::Column::UserId.eq(user_id)).filter(keys::Column::Key.eq(key)).one(db).await
}

/// Takes over a key whose request has had no answer since before `stale`, restarting
/// it at `now`; 1 when taken, 0 when it is still running (or answered meanwhile).
pub async fn take_over_stale(db: &impl ConnectionTrait, id: i64, now: Time, stale: Time) -> Result<u64, DbErr> {
    Ok(keys::Entity::update_many()
        .col_expr(keys::Column::CreatedAt, Expr::value(now))
        .filter(keys::Column::Id.eq(id))
        .filter(keys::Column::ResponseStatus.is_null())
        .filter(keys::Column::CreatedAt.lt(stale))
        .exec(db)
        .await?
        .rows_affected)
}

/// Frees a key, so the request may run again.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    keys::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Stores the answer (already sealed) to replay for a key.
pub async fn store_answer(db: &impl ConnectionTrait, id: i64, status: i16, sealed_body: String) -> Result<(), DbErr> {
    keys::Entity::update_many()
        .col_expr(keys::Column::ResponseStatus, Expr::value(status))
        .col_expr(keys::Column::ResponseBody, Expr::value(sealed_body))
        .filter(keys::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
