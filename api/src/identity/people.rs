//! People as personal data: names and phone numbers. Phones arrive only through
//! WeChat's phone-number exchange, are sealed at rest, masked in lists, and every
//! read of them (and of lists of people) is on the audit trail.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::identity::service::Origin;
use crate::identity::{Caller, Role, Scope};
use crate::platform::audit::{self, Entry};
use crate::platform::pii::{mask_phone, normalise_phone};
use crate::state::AppState;
use crate::store::users::{self, User};

#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub display_name: String,
    pub role: Role,
    /// Masked (`138****1234`); absent until the person shares it.
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub display_name: String,
    pub role: Role,
    pub username: Option<String>,
    /// `active`, `locked` or `disabled`.
    pub status: String,
    pub locked_until: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub enterprise_id: Option<i64>,
    pub region_code: Option<String>,
    pub organisation_id: Option<i64>,
    /// Masked.
    pub phone: Option<String>,
    pub wechat: bool,
    /// A second factor is active (confirmed).
    pub second_factor: bool,
    /// A second factor is enrolled but not yet confirmed by its first code.
    pub second_factor_pending: bool,
    pub expert_id: Option<i64>,
    /// The password is a one-time password (new account, reset) not yet changed.
    pub must_change_password: bool,
    /// When the password expires; `null` for accounts without one.
    pub password_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn masked(state: &AppState, u: &User) -> Result<Option<String>, ApiError> {
    match (&u.phone_cipher, &u.phone_key_id) {
        (Some(c), Some(k)) => Ok(Some(mask_phone(&state.vault.open_sealed(c, k).map_err(ApiError::internal)?))),
        _ => Ok(None),
    }
}

fn own_enterprise(caller: &Caller) -> Result<i64, ApiError> {
    match caller.scope {
        Scope::Enterprise(id) => Ok(id),
        _ => Err(ApiError::new(ErrorCode::Forbidden, "bind this account to an enterprise first")),
    }
}

/// Stores the caller's phone number from a WeChat phone-number code.
pub async fn set_phone(state: &AppState, caller: &Caller, code: &str, origin: &Origin) -> Result<String, ApiError> {
    let raw = state.wechat.phone_number(code).await?;
    let phone = normalise_phone(&raw).ok_or_else(|| {
        ApiError::field(ErrorCode::InvalidField, "code", "WeChat gave a number that is not a mainland mobile")
    })?;
    let hash = state.vault.lookup_hash(&phone);
    if users::phone_taken(&state.db, &hash, caller.user_id).await? {
        return Err(ApiError::field(ErrorCode::Conflict, "code", "this number belongs to another account"));
    }
    let (sealed, key_id) = state.vault.seal(&phone).map_err(ApiError::internal)?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    users::set_phone(&txn, caller.user_id, sealed, key_id, hash, chrono::Utc::now().fixed_offset()).await?;
    audit::append(&txn, Entry::by(caller, origin, "user.phone.set", "user").object(caller.user_id)).await?;
    txn.commit().await?;
    Ok(mask_phone(&phone))
}

/// The people of the caller's enterprise, phones masked.
pub async fn of_enterprise(state: &AppState, caller: &Caller, origin: &Origin) -> Result<Vec<Person>, ApiError> {
    let enterprise = own_enterprise(caller)?;
    let rows = users::of_enterprise(&state.db, enterprise).await?;
    let mut out = Vec::with_capacity(rows.len());
    for u in &rows {
        let role = Role::parse(&u.role).ok_or_else(|| ApiError::internal(anyhow::anyhow!("role {}", u.role)))?;
        out.push(Person { id: u.id, display_name: u.display_name.clone(), role, phone: masked(state, u)? });
    }
    audit::append(
        &state.db,
        Entry::by(caller, origin, "pii.list", "user").enterprise(enterprise).detail(format!("{} people", out.len())),
    )
    .await?;
    Ok(out)
}

/// One person's full phone number, for a colleague in the same enterprise.
pub async fn phone_of(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<String, ApiError> {
    let enterprise = own_enterprise(caller)?;
    let u = users::in_enterprise(&state.db, enterprise, id).await?.ok_or_else(|| ApiError::not_found("person"))?;
    let (Some(c), Some(k)) = (&u.phone_cipher, &u.phone_key_id) else {
        return Err(ApiError::not_found("phone number"));
    };
    let phone = state.vault.open_sealed(c, k).map_err(ApiError::internal)?;
    audit::append(&state.db, Entry::by(caller, origin, "pii.read", "user.phone").object(u.id).enterprise(enterprise))
        .await?;
    Ok(phone)
}

/// Every account, for the security administrator; phones masked.
pub async fn accounts(
    state: &AppState,
    caller: &Caller,
    page: u64,
    per_page: u64,
    origin: &Origin,
) -> Result<(u64, Vec<Account>), ApiError> {
    let (total, rows) = users::page(&state.db, page, per_page).await?;
    let mut out = Vec::with_capacity(rows.len());
    for u in &rows {
        let role = Role::parse(&u.role).ok_or_else(|| ApiError::internal(anyhow::anyhow!("role {}", u.role)))?;
        out.push(Account {
            id: u.id,
            display_name: u.display_name.clone(),
            role,
            username: u.username.clone(),
            status: u.status.clone(),
            locked_until: u.locked_until,
            enterprise_id: u.enterprise_id,
            region_code: u.region_code.clone(),
            organisation_id: u.organisation_id,
            phone: masked(state, u)?,
            wechat: u.wx_openid.is_some(),
            second_factor: u.totp_secret.is_some(),
            second_factor_pending: u.totp_secret.is_none() && u.totp_pending_secret.is_some(),
            expert_id: u.expert_id,
            must_change_password: u.must_change_password,
            password_expires_at: super::gate::password_expires_at(&state.settings.auth, u),
        });
    }
    audit::append(
        &state.db,
        Entry::by(caller, origin, "pii.list", "user").detail(format!("page {page}, {} accounts", out.len())),
    )
    .await?;
    Ok((total, out))
}

/// Lifts a lockout and resets the failure count.
pub async fn unlock(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<(), ApiError> {
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let n = users::unlock(&txn, id).await?;
    if n == 0 {
        return Err(ApiError::not_found("account"));
    }
    audit::append(&txn, Entry::by(caller, origin, "user.unlock", "user").object(id)).await?;
    txn.commit().await?;
    Ok(())
}
