//! Idempotency keys (`idempotency_keys`): a mini-program write's key, the digest of
//! the request it was first sent with, and the (sealed) answer once there is one.

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::idempotency_keys as keys;

pub type IdempotencyKey = keys::Model;

type Time = DateTime<FixedOffset>;

/// Frees a user's key if it expired before `now`.
pub async fn delete_expired(db: &impl ConnectionTrait, user_id: i64, key: &str, now: Time) -> Result<(), DbErr> {
    keys::Entity::delete_many()
        .filter(keys::Column::UserId.eq(user_id))
        .filter(keys::Column::Key.eq(key))
        .filter(keys::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(())
}

pub struct NewKey {
    pub created_at: Time,
    pub user_id: i64,
    pub key: String,
    pub method: String,
    pub path: String,
    pub request_sha256: String,
    pub expires_at: Time,
}

/// Claims a key unless the user holds it already; 1 when this claimed it, else 0.
pub async fn insert_if_free(db: &impl ConnectionTrait, k: NewKey) -> Result<u64, DbErr> {
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
    keys::Entity::insert(row)
        .on_conflict(OnConflict::columns([keys::Column::UserId, keys::Column::Key]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await
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
