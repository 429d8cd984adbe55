//! Mini-program sign-in: a `wx.login` code becomes an openid through WeChat, and the
//! openid an account. A new openid becomes an account bound to nothing: it sees
//! nothing until it binds to an enterprise with a binding code.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::caller::Role;
use super::service::{Origin, TokenPair, issue, login_entry};
use crate::entities::users;
use crate::error::{ApiError, ErrorCode};
use crate::platform::audit::{self, Outcome};
use crate::state::AppState;

/// Roles that may sign in through WeChat. Bureau and administrator accounts need a
/// password and (bureaus) a second factor, which a WeChat code would bypass.
pub fn wechat_role(role: Role) -> bool {
    matches!(role, Role::EnterpriseOfficer | Role::ResponsiblePerson | Role::Expert)
}

/// The display name of an account before its holder gives one.
pub const NEW_USER_NAME: &str = "微信用户";

async fn find_or_create(state: &AppState, openid: &str, unionid: Option<&str>) -> Result<users::Model, ApiError> {
    let by_openid = || users::Entity::find().filter(users::Column::WxOpenid.eq(openid));
    if let Some(u) = by_openid().one(&state.db).await? {
        return Ok(u);
    }
    let created = users::ActiveModel {
        display_name: Set(NEW_USER_NAME.to_string()),
        role: Set(Role::EnterpriseOfficer.as_str().to_string()),
        wx_openid: Set(Some(openid.to_string())),
        wx_unionid: Set(unionid.map(str::to_string)),
        ..Default::default()
    }
    .insert(&state.db)
    .await;
    match created {
        Ok(u) => Ok(u),
        // Two first sign-ins at once: the other one created it.
        Err(e) => by_openid().one(&state.db).await?.ok_or_else(|| ApiError::from(e)),
    }
}

pub async fn login(state: &AppState, code: &str, origin: &Origin) -> Result<TokenPair, ApiError> {
    let identity = match state.wechat.identify(code).await {
        Ok(i) => i,
        Err(e) => {
            let detail = e.to_string();
            let err = ApiError::from(e);
            let outcome = if err.code.status().is_server_error() { Outcome::Failed } else { Outcome::Denied };
            audit::append(&state.db, login_entry(None, "auth.wechat_login", outcome, origin, Some(detail))).await?;
            return Err(err);
        }
    };
    let user = find_or_create(state, &identity.openid, identity.unionid.as_deref()).await?;
    let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal(anyhow::anyhow!("role {}", user.role)))?;
    if !wechat_role(role) || user.status != "active" {
        audit::append(
            &state.db,
            login_entry(Some(&user), "auth.wechat_login", Outcome::Denied, origin, Some("not a WeChat account".into())),
        )
        .await?;
        return Err(ApiError::new(ErrorCode::Forbidden, "this account signs in with a username and password"));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(Utc::now().fixed_offset()))
        .filter(users::Column::Id.eq(user.id));
    if identity.unionid.is_some() && user.wx_unionid != identity.unionid {
        update = update.col_expr(users::Column::WxUnionid, Expr::value(identity.unionid.clone()));
    }
    update.exec(&txn).await?;
    let pair = issue(&txn, state, &user, None, origin).await?;
    audit::append(&txn, login_entry(Some(&user), "auth.wechat_login", Outcome::Ok, origin, None)).await?;
    txn.commit().await?;
    Ok(pair)
}
