//! When enterprises joined the programme: their row's creation time, from which the
//! trigger rules count checkpoints and reports due (`governance::state`).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::enterprises;

/// Sets the joining time of `ids` to `at`: the demo's activity starts its enterprises
/// in the programme at the start of the half year it simulates.
pub async fn set(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
    at: chrono::DateTime<chrono::FixedOffset>,
) -> Result<u64, DbErr> {
    let r = enterprises::Entity::update_many()
        .col_expr(enterprises::Column::CreatedAt, Expr::value(at))
        .filter(enterprises::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}
