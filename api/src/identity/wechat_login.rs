//! Mini-program sign-in: a `wx.login` code becomes an openid through WeChat, and the
//! openid an account. A new openid becomes an account bound to nothing: it sees
//! nothing until it binds to an enterprise with a binding code.

use chrono::Utc;

use super::caller::Role;
use super::service::{Origin, TokenPair, issue, login_entry};
use crate::error::{ApiError, ErrorCode};
use crate::platform::audit::{self, Outcome};
use crate::state::AppState;
use crate::store::users::{self, NewUser, User};

/// Roles that may sign in through WeChat. Bureau and administrator accounts need a
/// password and (bureaus) a second factor, which a WeChat code would bypass.
pub fn wechat_role(role: Role) -> bool {
    matches!(role, Role::EnterpriseOfficer | Role::ResponsiblePerson | Role::Expert)
}

/// The display name of an account before its holder gives one.
pub const NEW_USER_NAME: &str = "微信用户";

async fn find_or_create(state: &AppState, openid: &str, unionid: Option<&str>) -> Result<User, ApiError> {
    if let Some(u) = users::by_openid(&state.db, openid).await? {
        return Ok(u);
    }
    let created = users::insert(
        &state.db,
        NewUser {
            display_name: NEW_USER_NAME.to_string(),
            role: Role::EnterpriseOfficer.as_str().to_string(),
            wx_openid: Some(openid.to_string()),
            wx_unionid: unionid.map(str::to_string),
            ..NewUser::default()
        },
    )
    .await;
    match created {
        Ok(u) => Ok(u),
        // Two first sign-ins at once: the other one created it.
        Err(e) => users::by_openid(&state.db, openid).await?.ok_or_else(|| ApiError::from(e)),
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
    let new_unionid =
        (identity.unionid.is_some() && user.wx_unionid != identity.unionid).then(|| identity.unionid.clone());
    users::record_wechat_login(&txn, user.id, Utc::now().fixed_offset(), new_unionid).await?;
    let pair = issue(&txn, state, &user, None, origin).await?;
    audit::append(&txn, login_entry(Some(&user), "auth.wechat_login", Outcome::Ok, origin, None)).await?;
    txn.commit().await?;
    Ok(pair)
}
