//! Accounts and what hangs off them: sign-in sessions (token families) and the
//! single-use binding codes that tie a WeChat account to an enterprise.

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entities::{auth_sessions, binding_codes, experts, password_history, users};

pub type User = users::Model;
pub type AuthSession = auth_sessions::Model;
pub type BindingCode = binding_codes::Model;

type Time = DateTime<FixedOffset>;

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

pub async fn by_username(db: &impl ConnectionTrait, username: &str) -> Result<Option<User>, DbErr> {
    users::Entity::find().filter(users::Column::Username.eq(username)).one(db).await
}

pub async fn by_openid(db: &impl ConnectionTrait, openid: &str) -> Result<Option<User>, DbErr> {
    users::Entity::find().filter(users::Column::WxOpenid.eq(openid)).one(db).await
}

/// An account as created: what is not given takes the table's defaults.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub display_name: String,
    pub role: String,
    pub organisation_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub expert_id: Option<i64>,
    pub region_code: Option<String>,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub wx_openid: Option<String>,
    pub wx_unionid: Option<String>,
    pub phone_cipher: Option<String>,
    pub phone_key_id: Option<String>,
    pub phone_hash: Option<String>,
    /// The first sign-in may only change the password (a one-time password).
    pub must_change_password: bool,
}

impl NewUser {
    fn model(self) -> users::ActiveModel {
        // A password's age counts from now (the demo's known passwords are fresh).
        let changed = self.password_hash.as_ref().map(|_| chrono::Utc::now().fixed_offset());
        users::ActiveModel {
            must_change_password: Set(self.must_change_password),
            password_changed_at: Set(changed),
            display_name: Set(self.display_name),
            role: Set(self.role),
            organisation_id: Set(self.organisation_id),
            enterprise_id: Set(self.enterprise_id),
            expert_id: Set(self.expert_id),
            region_code: Set(self.region_code),
            username: Set(self.username),
            password_hash: Set(self.password_hash),
            totp_secret: Set(self.totp_secret),
            wx_openid: Set(self.wx_openid),
            wx_unionid: Set(self.wx_unionid),
            phone_cipher: Set(self.phone_cipher),
            phone_key_id: Set(self.phone_key_id),
            phone_hash: Set(self.phone_hash),
            ..Default::default()
        }
    }
}

pub async fn insert(db: &impl ConnectionTrait, user: NewUser) -> Result<User, DbErr> {
    user.model().insert(db).await
}

/// Inserts accounts in one statement.
pub async fn insert_many(db: &impl ConnectionTrait, users: Vec<NewUser>) -> Result<(), DbErr> {
    users::Entity::insert_many(users.into_iter().map(NewUser::model)).exec_without_returning(db).await?;
    Ok(())
}

/// A failed sign-in: the failure count (and the lockout, when it locks).
pub async fn record_failed_login(
    db: &impl ConnectionTrait,
    id: i64,
    failed_logins: i32,
    locked_until: Option<Time>,
) -> Result<(), DbErr> {
    let mut m = users::ActiveModel { id: sea_orm::ActiveValue::Unchanged(id), ..Default::default() };
    m.failed_logins = Set(failed_logins);
    if let Some(t) = locked_until {
        m.locked_until = Set(Some(t));
    }
    m.update(db).await?;
    Ok(())
}

/// A successful password sign-in: failures reset, the second factor's step kept.
pub async fn record_login(
    db: &impl ConnectionTrait,
    id: i64,
    at: Time,
    totp_last_step: Option<i64>,
) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::FailedLogins, Expr::value(0))
        .col_expr(users::Column::LastLoginAt, Expr::value(at))
        .col_expr(users::Column::TotpLastStep, Expr::value(totp_last_step))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A WeChat sign-in, with the unionid when WeChat gives a new one.
pub async fn record_wechat_login(
    db: &impl ConnectionTrait,
    id: i64,
    at: Time,
    new_unionid: Option<Option<String>>,
) -> Result<(), DbErr> {
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(at))
        .filter(users::Column::Id.eq(id));
    if let Some(unionid) = new_unionid {
        update = update.col_expr(users::Column::WxUnionid, Expr::value(unionid));
    }
    update.exec(db).await?;
    Ok(())
}

/// Binds an account that is bound to nothing yet; 0 rows when it already is.
pub async fn bind(
    db: &impl ConnectionTrait,
    id: i64,
    enterprise_id: i64,
    role: &str,
    display_name: Option<&str>,
    at: Time,
) -> Result<u64, DbErr> {
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::EnterpriseId, Expr::value(enterprise_id))
        .col_expr(users::Column::Role, Expr::value(role))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::EnterpriseId.is_null());
    if let Some(name) = display_name {
        update = update.col_expr(users::Column::DisplayName, Expr::value(name));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Whether another account than `except` holds the phone number with this lookup hash.
pub async fn phone_taken(db: &impl ConnectionTrait, phone_hash: &str, except: i64) -> Result<bool, DbErr> {
    let n = users::Entity::find()
        .filter(users::Column::PhoneHash.eq(phone_hash))
        .filter(users::Column::Id.ne(except))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// Stores a sealed phone number and its lookup hash.
pub async fn set_phone(
    db: &impl ConnectionTrait,
    id: i64,
    sealed: String,
    key_id: String,
    phone_hash: String,
    at: Time,
) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::PhoneCipher, Expr::value(sealed))
        .col_expr(users::Column::PhoneKeyId, Expr::value(key_id))
        .col_expr(users::Column::PhoneHash, Expr::value(phone_hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The people of an enterprise (the caller's own, checked by the caller), by id.
pub async fn of_enterprise(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<User>, DbErr> {
    users::Entity::find()
        .filter(users::Column::EnterpriseId.eq(enterprise_id))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await
}

/// One person of an enterprise; anyone else reads as absent.
pub async fn in_enterprise(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<Option<User>, DbErr> {
    users::Entity::find_by_id(id).filter(users::Column::EnterpriseId.eq(enterprise_id)).one(db).await
}

/// The accounts of `ids` that exist.
pub async fn by_ids(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<User>, DbErr> {
    users::Entity::find().filter(users::Column::Id.is_in(ids)).all(db).await
}

/// Whether `id` is an active officer or responsible person of the enterprise: who a
/// finding's rectification can be assigned to.
pub async fn is_active_staff(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<bool, DbErr> {
    let n = users::Entity::find_by_id(id)
        .filter(users::Column::EnterpriseId.eq(enterprise_id))
        .filter(users::Column::Role.is_in(["responsible_person", "enterprise_officer"]))
        .filter(users::Column::Status.eq("active"))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// One page (1-based) of every account by id, and the number of accounts.
pub async fn page(db: &impl ConnectionTrait, page: u64, per_page: u64) -> Result<(u64, Vec<User>), DbErr> {
    let pages = users::Entity::find().order_by_asc(users::Column::Id).paginate(db, per_page);
    let total = pages.num_items().await?;
    let rows = pages.fetch_page(page.saturating_sub(1)).await?;
    Ok((total, rows))
}

/// Lifts a lockout and resets the failure count; 0 rows when there is no such account.
pub async fn unlock(db: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(users::Entity::update_many()
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<Time>::None))
        .col_expr(users::Column::FailedLogins, Expr::value(0))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Accounts that sign in with a username, by id.
pub async fn with_username(db: &impl ConnectionTrait) -> Result<Vec<User>, DbErr> {
    users::Entity::find().filter(users::Column::Username.is_not_null()).order_by_asc(users::Column::Id).all(db).await
}

/// Accounts of `role` whose openid starts with `openid_prefix`, by id.
pub async fn with_openid_prefix(
    db: &impl ConnectionTrait,
    role: &str,
    openid_prefix: &str,
) -> Result<Vec<User>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Role.eq(role))
        .filter(users::Column::WxOpenid.starts_with(openid_prefix))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await
}

// Sessions.

/// A session and its account, by the digest of its access token.
pub async fn session_by_access(
    db: &impl ConnectionTrait,
    access_hash: &str,
) -> Result<Option<(AuthSession, Option<User>)>, DbErr> {
    auth_sessions::Entity::find()
        .filter(auth_sessions::Column::AccessHash.eq(access_hash))
        .find_also_related(users::Entity)
        .one(db)
        .await
}

/// A session and its account, by the digest of its refresh token.
pub async fn session_by_refresh(
    db: &impl ConnectionTrait,
    refresh_hash: &str,
) -> Result<Option<(AuthSession, Option<User>)>, DbErr> {
    auth_sessions::Entity::find()
        .filter(auth_sessions::Column::RefreshHash.eq(refresh_hash))
        .find_also_related(users::Entity)
        .one(db)
        .await
}

pub async fn touch_session(db: &impl ConnectionTrait, id: i64, at: Time) -> Result<(), DbErr> {
    let touch = auth_sessions::ActiveModel { id: Set(id), last_seen_at: Set(at), ..Default::default() };
    auth_sessions::Entity::update(touch).exec(db).await?;
    Ok(())
}

pub struct NewSession {
    pub user_id: i64,
    pub family_id: String,
    pub access_hash: String,
    pub refresh_hash: String,
    pub access_expires_at: Time,
    pub refresh_expires_at: Time,
    pub last_seen_at: Time,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn insert_session(db: &impl ConnectionTrait, s: NewSession) -> Result<AuthSession, DbErr> {
    auth_sessions::ActiveModel {
        user_id: Set(s.user_id),
        family_id: Set(s.family_id),
        access_hash: Set(s.access_hash),
        refresh_hash: Set(s.refresh_hash),
        access_expires_at: Set(s.access_expires_at),
        refresh_expires_at: Set(s.refresh_expires_at),
        last_seen_at: Set(s.last_seen_at),
        ip: Set(s.ip),
        user_agent: Set(s.user_agent),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Marks a session's refresh token spent, unless it already is; 0 rows when it was.
pub async fn spend_session(db: &impl ConnectionTrait, id: i64, at: Time) -> Result<u64, DbErr> {
    Ok(auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::SpentAt, Expr::value(at))
        .filter(auth_sessions::Column::Id.eq(id))
        .filter(auth_sessions::Column::SpentAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Revokes every live session of a token family; the number revoked.
pub async fn revoke_family(db: &impl ConnectionTrait, family: &str, reason: &str, at: Time) -> Result<u64, DbErr> {
    Ok(auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(at))
        .col_expr(auth_sessions::Column::RevokeReason, Expr::value(reason))
        .filter(auth_sessions::Column::FamilyId.eq(family))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

// Binding codes.

pub struct NewBindingCode {
    pub enterprise_id: i64,
    pub role: String,
    pub code_hash: String,
    pub issued_by: Option<i64>,
    pub expires_at: Time,
}

pub async fn insert_binding_code(db: &impl ConnectionTrait, c: NewBindingCode) -> Result<BindingCode, DbErr> {
    binding_codes::ActiveModel {
        enterprise_id: Set(c.enterprise_id),
        role: Set(c.role),
        code_hash: Set(c.code_hash),
        issued_by: Set(c.issued_by),
        expires_at: Set(c.expires_at),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn binding_code_by_hash(db: &impl ConnectionTrait, code_hash: &str) -> Result<Option<BindingCode>, DbErr> {
    binding_codes::Entity::find().filter(binding_codes::Column::CodeHash.eq(code_hash)).one(db).await
}

/// Spends a binding code, unless someone has; 0 rows when someone had.
pub async fn spend_binding_code(db: &impl ConnectionTrait, id: i64, by: i64, at: Time) -> Result<u64, DbErr> {
    Ok(binding_codes::Entity::update_many()
        .col_expr(binding_codes::Column::UsedAt, Expr::value(at))
        .col_expr(binding_codes::Column::UsedBy, Expr::value(by))
        .filter(binding_codes::Column::Id.eq(id))
        .filter(binding_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

// Staff accounts: passwords, status and the second factor.

/// Sets an account's password; `must_change` when it is a one-time password. Failures
/// and lockout are cleared with it.
pub async fn set_password(
    db: &impl ConnectionTrait,
    id: i64,
    hash: &str,
    must_change: bool,
    at: Time,
) -> Result<u64, DbErr> {
    Ok(users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::MustChangePassword, Expr::value(must_change))
        .col_expr(users::Column::PasswordChangedAt, Expr::value(at))
        .col_expr(users::Column::FailedLogins, Expr::value(0))
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<Time>::None))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Keeps `hash` in the account's password history, and only the newest `keep` entries.
pub async fn remember_password(db: &impl ConnectionTrait, user_id: i64, hash: &str, keep: u64) -> Result<(), DbErr> {
    password_history::ActiveModel { user_id: Set(user_id), password_hash: Set(hash.to_string()), ..Default::default() }
        .insert(db)
        .await?;
    // A handful of rows per account (SQLite takes no OFFSET without LIMIT).
    let ids: Vec<i64> = password_history::Entity::find()
        .select_only()
        .column(password_history::Column::Id)
        .filter(password_history::Column::UserId.eq(user_id))
        .order_by_desc(password_history::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let old: Vec<i64> = ids.into_iter().skip(usize::try_from(keep).unwrap_or(usize::MAX)).collect();
    if !old.is_empty() {
        password_history::Entity::delete_many().filter(password_history::Column::Id.is_in(old)).exec(db).await?;
    }
    Ok(())
}

/// The hashes of the account's newest `n` passwords, newest first.
pub async fn recent_passwords(db: &impl ConnectionTrait, user_id: i64, n: u64) -> Result<Vec<String>, DbErr> {
    password_history::Entity::find()
        .select_only()
        .column(password_history::Column::PasswordHash)
        .filter(password_history::Column::UserId.eq(user_id))
        .order_by_desc(password_history::Column::Id)
        .limit(n)
        .into_tuple()
        .all(db)
        .await
}

/// Sets an account's status (`active`, `disabled`); enabling also clears the lockout.
/// 0 rows when there is no such account.
pub async fn set_status(db: &impl ConnectionTrait, id: i64, status: &str, at: Time) -> Result<u64, DbErr> {
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::Status, Expr::value(status))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(id));
    if status == "active" {
        update = update
            .col_expr(users::Column::FailedLogins, Expr::value(0))
            .col_expr(users::Column::LockedUntil, Expr::value(Option::<Time>::None));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Forgets the account's second factor, active and pending, so it is enrolled again.
pub async fn clear_totp(db: &impl ConnectionTrait, id: i64, at: Time) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::TotpSecret, Expr::value(Option::<String>::None))
        .col_expr(users::Column::TotpPendingSecret, Expr::value(Option::<String>::None))
        .col_expr(users::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores a sealed TOTP secret awaiting its first code (replacing any pending one).
pub async fn set_totp_pending(db: &impl ConnectionTrait, id: i64, sealed: &str, at: Time) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::TotpPendingSecret, Expr::value(sealed))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes the pending secret `sealed` the active one, with the step of the code that
/// confirmed it; 0 rows when the pending secret changed meanwhile or one is active.
pub async fn confirm_totp(db: &impl ConnectionTrait, id: i64, sealed: &str, step: i64, at: Time) -> Result<u64, DbErr> {
    Ok(users::Entity::update_many()
        .col_expr(users::Column::TotpSecret, Expr::value(sealed))
        .col_expr(users::Column::TotpPendingSecret, Expr::value(Option::<String>::None))
        .col_expr(users::Column::TotpLastStep, Expr::value(step))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::TotpPendingSecret.eq(sealed))
        .filter(users::Column::TotpSecret.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// How many active accounts hold `role`.
pub async fn count_active(db: &impl ConnectionTrait, role: &str) -> Result<u64, DbErr> {
    users::Entity::find()
        .filter(users::Column::Role.eq(role))
        .filter(users::Column::Status.eq("active"))
        .count(db)
        .await
}

/// Revokes every live session of an account; the number revoked.
pub async fn revoke_sessions_of(db: &impl ConnectionTrait, user_id: i64, reason: &str, at: Time) -> Result<u64, DbErr> {
    Ok(auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(at))
        .col_expr(auth_sessions::Column::RevokeReason, Expr::value(reason))
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The organisation of expert `id` (`Some(None)` when it has none), `None` when there
/// is no such expert.
pub async fn expert_organisation(db: &impl ConnectionTrait, id: i64) -> Result<Option<Option<i64>>, DbErr> {
    experts::Entity::find_by_id(id)
        .select_only()
        .column(experts::Column::OrganisationId)
        .into_tuple::<Option<i64>>()
        .one(db)
        .await
}

/// The account that signs in as expert `expert_id`, if any.
pub async fn of_expert(db: &impl ConnectionTrait, expert_id: i64) -> Result<Option<User>, DbErr> {
    users::Entity::find().filter(users::Column::ExpertId.eq(expert_id)).one(db).await
}
