//! Staff accounts, kept by the security administrator: organisations for accounts to
//! belong to, accounts for the bureaus (city or province), the service organisation,
//! experts and the three administrators, each with a one-time password that must be
//! changed at first sign-in; disabling, re-enabling and resetting them. Every act is
//! audited. `bootstrap` makes the first security administrator from the command line.
//!
//! Role separation (MLPS level 3, GB/T 22239-2019 8.1.4.2 c-d: the system, audit and
//! security administrators are separate accounts with separate powers):
//! - an account holds exactly one role, fixed at creation (there is no role change: an
//!   administrator never becomes another administrator; a new account is made instead);
//! - only the security administrator keeps accounts (`Function::AdminAccounts`), and no
//!   administrator acts on its own account here (disable, enable, reset): its own
//!   password is changed through `POST /auth/password`, with the current one;
//! - the last active security administrator cannot be disabled, so accounts can always
//!   be kept; the bootstrap command works only while there is no active one.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;
use zhicha_engine::RegionCode;
use zhicha_engine::region_code::RegionLevel;

use super::credentials::hash;
use super::password_policy as policy;
use super::{Caller, Role};
use crate::domain::input;
use crate::error::{ApiError, ErrorCode};
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::organisations::{self, Organisation};
use crate::store::regions;
use crate::store::users::{self, NewUser, User};

/// `^[a-z0-9][a-z0-9._-]{2,63}$`: what a username may be.
pub fn valid_username(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=64).contains(&b.len())
        && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
}

fn username_rule(s: &str) -> Result<(), validator::ValidationError> {
    if valid_username(s) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("username").with_message(
            "3-64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit".into(),
        ))
    }
}

fn region_rule(s: &str) -> Result<(), validator::ValidationError> {
    RegionCode::parse(s)
        .map(|_| ())
        .map_err(|_| validator::ValidationError::new("region_code").with_message("a six-digit GB/T 2260 code".into()))
}

/// What an organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// 人社局: a human resources and social security bureau.
    HrssBureau,
    /// 应急局: an emergency management bureau.
    EmergencyBureau,
    /// The service organisation that runs the programme for the bureaus.
    ServiceOrg,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HrssBureau => "hrss_bureau",
            Self::EmergencyBureau => "emergency_bureau",
            Self::ServiceOrg => "service_org",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub kind: OrganisationKind,
    /// 1-200 characters, not blank.
    #[validate(length(min = 1, max = 200), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// GB/T 2260 code of the region it serves; a bureau's is a province (`640000`) or a
    /// city (`640200`).
    #[validate(custom(function = "region_rule"))]
    #[schema(pattern = "^[0-9]{6}$")]
    pub region_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: i64,
    /// `hrss_bureau`, `emergency_bureau` or `service_org`.
    pub kind: String,
    pub name: String,
    pub region_code: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<Organisation> for OrganisationView {
    fn from(o: Organisation) -> Self {
        Self { id: o.id, kind: o.kind, name: o.name, region_code: o.region_code, created_at: o.created_at }
    }
}

/// The roles a staff account can be created with (officers and responsible persons
/// bind themselves through WeChat with a binding code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    HrssBureau,
    EmergencyBureau,
    ServiceOrg,
    Expert,
    SystemAdmin,
    AuditAdmin,
    SecurityAdmin,
}

impl StaffRole {
    pub fn role(self) -> Role {
        match self {
            Self::HrssBureau => Role::HrssBureau,
            Self::EmergencyBureau => Role::EmergencyBureau,
            Self::ServiceOrg => Role::ServiceOrg,
            Self::Expert => Role::Expert,
            Self::SystemAdmin => Role::SystemAdmin,
            Self::AuditAdmin => Role::AuditAdmin,
            Self::SecurityAdmin => Role::SecurityAdmin,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewStaffAccount {
    /// 3-64 characters: lower-case letters, digits, `.`, `_`, `-`.
    #[validate(custom(function = "username_rule"))]
    #[schema(min_length = 3, max_length = 64, pattern = "^[a-z0-9][a-z0-9._-]{2,63}$")]
    pub username: String,
    /// 1-100 characters, not blank.
    #[validate(length(min = 1, max = 100), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub display_name: String,
    /// Exactly one role. A bureau account belongs to a bureau organisation of the same
    /// kind (its region is the organisation's, a province or a city); a service
    /// organisation account to a `service_org` organisation; an expert account to an
    /// expert of the pool (`expert_id`); administrators to nothing.
    pub role: StaffRole,
    /// Required for bureaus and the service organisation; refused otherwise.
    #[schema(minimum = 1)]
    pub organisation_id: Option<i64>,
    /// Bureaus: optional, and then it must be their organisation's region. Refused for
    /// every other role.
    #[validate(custom(function = "region_rule"))]
    #[schema(pattern = "^[0-9]{6}$")]
    pub region_code: Option<String>,
    /// Required for experts (an existing expert without an account); refused otherwise.
    #[schema(minimum = 1)]
    pub expert_id: Option<i64>,
}

/// A new account, or a reset one: the one-time password is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffCredentials {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// Give it to the person over a separate channel; it must be changed at the first
    /// sign-in (`password_change_required`), and is never shown again.
    pub one_time_password: String,
    pub must_change_password: bool,
}

fn refused(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::InvalidField, field, format!("{field}: {}", why.into()))
}

fn forbidden(rule: &str, why: &str) -> ApiError {
    ApiError::new(ErrorCode::Forbidden, why).with_details(json!({ "rule": rule }))
}

pub async fn organisations(state: &AppState) -> Result<Vec<OrganisationView>, ApiError> {
    Ok(organisations::all(&state.db).await?.into_iter().map(Into::into).collect())
}

pub async fn create_organisation(
    state: &AppState,
    caller: &Caller,
    o: NewOrganisation,
    origin: &Origin,
) -> Result<OrganisationView, ApiError> {
    let code = RegionCode::parse(&o.region_code).map_err(|e| refused("region_code", e.to_string()))?;
    if o.kind != OrganisationKind::ServiceOrg && code.level() == RegionLevel::County {
        return Err(refused("region_code", "a bureau account serves a province or a city, not a county"));
    }
    if regions::by_code(&state.db, &o.region_code).await?.is_none() {
        return Err(refused("region_code", "not a region of the GB/T 2260 table in force"));
    }
    let name = o.name.trim();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let same = organisations::all(&txn).await?.into_iter().any(|x| x.kind == o.kind.as_str() && x.name.trim() == name);
    if same {
        return Err(ApiError::field(ErrorCode::Conflict, "name", "an organisation of this kind has this name already"));
    }
    let row = organisations::insert(&txn, o.kind.as_str(), name, Some(&o.region_code)).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "organisation.create", "organisation").object(row.id).detail(
            json!({ "after": { "kind": row.kind, "name": row.name, "region_code": row.region_code } }).to_string(),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Where an account of `role` belongs: its organisation, region and expert, checked
/// against what exists.
async fn placement(
    db: &impl ConnectionTrait,
    a: &NewStaffAccount,
) -> Result<(Option<i64>, Option<String>, Option<i64>), ApiError> {
    let role = a.role.role();
    let not_for = |field: &str| refused(field, format!("not given for a {} account", role.as_str()));
    match a.role {
        StaffRole::HrssBureau | StaffRole::EmergencyBureau | StaffRole::ServiceOrg => {
            if a.expert_id.is_some() {
                return Err(not_for("expert_id"));
            }
            let id = a.organisation_id.ok_or_else(|| refused("organisation_id", "required for this role"))?;
            let org = organisations::by_id(db, id)
                .await?
                .ok_or_else(|| refused("organisation_id", "no such organisation (GET /admin/organisations)"))?;
            if org.kind != role.as_str() {
                return Err(refused(
                    "organisation_id",
                    format!(
                        "a {} account belongs to a {} organisation, not a {}",
                        role.as_str(),
                        role.as_str(),
                        org.kind
                    ),
                ));
            }
            if let Some(r) = &a.region_code
                && org.region_code.as_deref() != Some(r.as_str())
            {
                return Err(refused("region_code", "must be the organisation's region"));
            }
            if a.role != StaffRole::ServiceOrg {
                // A bureau's jurisdiction is its organisation's province or city.
                let level = org.region_code.as_deref().and_then(|r| RegionCode::parse(r).ok()).map(|c| c.level());
                if !matches!(level, Some(RegionLevel::Province | RegionLevel::City)) {
                    return Err(refused("organisation_id", "the bureau has no province or city region"));
                }
            }
            Ok((Some(org.id), org.region_code, None))
        }
        StaffRole::Expert => {
            if a.organisation_id.is_some() {
                return Err(refused("organisation_id", "an expert account takes its expert's organisation"));
            }
            if a.region_code.is_some() {
                return Err(not_for("region_code"));
            }
            let id = a.expert_id.ok_or_else(|| refused("expert_id", "required for an expert account"))?;
            let org = users::expert_organisation(db, id)
                .await?
                .ok_or_else(|| refused("expert_id", "no such expert in the pool"))?;
            if users::of_expert(db, id).await?.is_some() {
                return Err(ApiError::field(ErrorCode::Conflict, "expert_id", "this expert has an account already"));
            }
            Ok((org, None, Some(id)))
        }
        StaffRole::SystemAdmin | StaffRole::AuditAdmin | StaffRole::SecurityAdmin => {
            for (field, given) in [
                ("organisation_id", a.organisation_id.is_some()),
                ("region_code", a.region_code.is_some()),
                ("expert_id", a.expert_id.is_some()),
            ] {
                if given {
                    return Err(not_for(field));
                }
            }
            Ok((None, None, None))
        }
    }
}

/// A one-time password that meets the policy for this username, and its hash.
async fn one_time(state: &AppState, username: &str) -> Result<(String, String), ApiError> {
    let pass = loop {
        let p = policy::one_time().map_err(ApiError::internal)?;
        if policy::check(Some(username), &p).is_ok() {
            break p;
        }
    };
    let hashed = hash(state, &pass).await?;
    Ok((pass, hashed))
}

pub async fn create_account(
    state: &AppState,
    caller: &Caller,
    a: NewStaffAccount,
    origin: &Origin,
) -> Result<StaffCredentials, ApiError> {
    let (pass, hashed) = one_time(state, &a.username).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if users::by_username(&txn, &a.username).await?.is_some() {
        return Err(ApiError::field(ErrorCode::Conflict, "username", "this username is taken"));
    }
    let (organisation_id, region_code, expert_id) = placement(&txn, &a).await?;
    let role = a.role.role();
    let u = users::insert(
        &txn,
        NewUser {
            display_name: a.display_name.trim().to_string(),
            role: role.as_str().to_string(),
            organisation_id,
            expert_id,
            region_code: region_code.clone(),
            username: Some(a.username.clone()),
            password_hash: Some(hashed.clone()),
            must_change_password: true,
            ..NewUser::default()
        },
    )
    .await?;
    users::remember_password(&txn, u.id, &hashed, policy::HISTORY).await?;
    let after = json!({ "after": {
        "username": a.username, "role": role.as_str(), "organisation_id": organisation_id,
        "region_code": region_code, "expert_id": expert_id, "status": "active", "must_change_password": true,
    }});
    audit::append(&txn, Entry::by(caller, origin, "user.create", "user").object(u.id).detail(after.to_string()))
        .await?;
    txn.commit().await?;
    Ok(StaffCredentials { id: u.id, username: a.username, role, one_time_password: pass, must_change_password: true })
}

/// The account `id`, refused when it is the caller's own: no administrator disables,
/// enables or resets itself.
async fn other_account(db: &impl ConnectionTrait, caller: &Caller, id: i64, act: &str) -> Result<User, ApiError> {
    if id == caller.user_id {
        return Err(forbidden(
            "own_account",
            &format!(
                "an administrator does not {act} its own account (a password is changed with POST /auth/password)"
            ),
        ));
    }
    users::by_id(db, id).await?.ok_or_else(|| ApiError::not_found("account"))
}

/// Disables an account and ends its sessions.
pub async fn disable(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<(), ApiError> {
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let u = other_account(&txn, caller, id, "disable").await?;
    if u.role == Role::SecurityAdmin.as_str()
        && u.status == "active"
        && users::count_active(&txn, Role::SecurityAdmin.as_str()).await? <= 1
    {
        return Err(ApiError::new(ErrorCode::InvalidState, "the last active security administrator stays enabled")
            .with_details(json!({ "state": "last_security_admin" })));
    }
    let now = Utc::now().fixed_offset();
    users::set_status(&txn, id, "disabled", now).await?;
    let ended = users::revoke_sessions_of(&txn, id, "account disabled", now).await?;
    let detail =
        json!({ "before": { "status": u.status }, "after": { "status": "disabled" }, "sessions_ended": ended });
    audit::append(&txn, Entry::by(caller, origin, "user.disable", "user").object(id).detail(detail.to_string()))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Enables a disabled account again (a lockout is lifted with it).
pub async fn enable(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<(), ApiError> {
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let u = other_account(&txn, caller, id, "enable").await?;
    users::set_status(&txn, id, "active", Utc::now().fixed_offset()).await?;
    let detail = json!({ "before": { "status": u.status }, "after": { "status": "active" } });
    audit::append(&txn, Entry::by(caller, origin, "user.enable", "user").object(id).detail(detail.to_string())).await?;
    txn.commit().await?;
    Ok(())
}

/// A new one-time password for an account that signs in with one; its second factor is
/// cleared (enrolled again after the change) and its sessions end.
pub async fn reset_password(
    state: &AppState,
    caller: &Caller,
    id: i64,
    origin: &Origin,
) -> Result<StaffCredentials, ApiError> {
    let u = other_account(&state.db, caller, id, "reset").await?;
    let Some(username) = u.username.clone() else {
        return Err(ApiError::new(ErrorCode::InvalidState, "this account signs in through WeChat and has no password")
            .with_details(json!({ "state": "wechat" })));
    };
    let role = Role::parse(&u.role).ok_or_else(|| ApiError::internal(anyhow::anyhow!("role {}", u.role)))?;
    let (pass, hashed) = one_time(state, &username).await?;
    let now = Utc::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    users::set_password(&txn, id, &hashed, true, now).await?;
    users::remember_password(&txn, id, &hashed, policy::HISTORY).await?;
    users::clear_totp(&txn, id, now).await?;
    let ended = users::revoke_sessions_of(&txn, id, "password reset", now).await?;
    let detail = json!({
        "before": { "second_factor": u.totp_secret.is_some() },
        "after": { "must_change_password": true, "second_factor": false },
        "sessions_ended": ended,
    });
    audit::append(&txn, Entry::by(caller, origin, "user.password.reset", "user").object(id).detail(detail.to_string()))
        .await?;
    txn.commit().await?;
    Ok(StaffCredentials { id, username, role, one_time_password: pass, must_change_password: true })
}

/// The first security administrator, from the command line on a migrated database with
/// no active one; its one-time password is returned to be printed once.
pub async fn bootstrap(
    db: &impl ConnectionTrait,
    auth: &crate::config::AuthSettings,
    username: &str,
    display_name: &str,
) -> anyhow::Result<(User, String)> {
    if !valid_username(username) {
        anyhow::bail!(
            "--username: 3-64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
        );
    }
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        anyhow::bail!("--name: 1-100 characters, not blank");
    }
    if users::count_active(db, Role::SecurityAdmin.as_str()).await? > 0 {
        anyhow::bail!(
            "an active security administrator exists already: accounts are kept through the API by that administrator \
             (POST /admin/users); nothing was changed"
        );
    }
    if users::by_username(db, username).await?.is_some() {
        anyhow::bail!("--username: {username} is taken; choose another");
    }
    let pass = loop {
        let p = policy::one_time()?;
        if policy::check(Some(username), &p).is_ok() {
            break p;
        }
    };
    let hashed = super::password::hash(auth, &pass)?;
    let u = users::insert(
        db,
        NewUser {
            display_name: display_name.to_string(),
            role: Role::SecurityAdmin.as_str().to_string(),
            username: Some(username.to_string()),
            password_hash: Some(hashed.clone()),
            must_change_password: true,
            ..NewUser::default()
        },
    )
    .await?;
    users::remember_password(db, u.id, &hashed, policy::HISTORY).await?;
    audit::append(
        db,
        Entry {
            actor_id: None,
            actor_role: "command_line".to_string(),
            organisation_id: None,
            action: "user.bootstrap".to_string(),
            object_kind: "user".to_string(),
            object_id: Some(u.id.to_string()),
            enterprise_id: None,
            region_code: None,
            outcome: Outcome::Ok,
            request_id: None,
            ip: None,
            detail: Some(
                json!({ "after": { "username": username, "role": "security_admin", "must_change_password": true } })
                    .to_string(),
            ),
        },
    )
    .await?;
    Ok((u, pass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["secadmin", "hrss.city", "a_1-b", "640200.hrss"] {
            assert!(valid_username(ok), "{ok}");
        }
        for bad in ["", "ab", "Admin", ".dot", "with space", "名字", &"a".repeat(65)] {
            assert!(!valid_username(bad), "{bad}");
        }
    }
}
