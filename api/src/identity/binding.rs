//! Binding codes: how a WeChat account becomes an enterprise's safety officer or
//! responsible person. The service organisation issues officer codes for the
//! enterprises it serves; an officer invites responsible persons of its own
//! enterprise. A code is single-use, expires, and is stored only as a hash.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::{Caller, Role, Scope};
use super::service::Origin;
use super::tokens;
use crate::error::{ApiError, ErrorCode};
use crate::platform::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::scope;
use crate::store::users::{self, NewBindingCode, User};

/// Letters and digits that cannot be misread for each other (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const LENGTH: usize = 8;

/// The roles a binding code can confer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BindRole {
    EnterpriseOfficer,
    ResponsiblePerson,
}

impl BindRole {
    pub fn role(self) -> Role {
        match self {
            BindRole::EnterpriseOfficer => Role::EnterpriseOfficer,
            BindRole::ResponsiblePerson => Role::ResponsiblePerson,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCode {
    /// Shown once; give it to the person who will bind (`XXXX-XXXX`).
    pub code: String,
    pub role: BindRole,
    pub enterprise_id: i64,
    pub expires_at: DateTime<Utc>,
}

fn new_code() -> anyhow::Result<String> {
    let mut out = String::with_capacity(LENGTH + 1);
    while out.len() < LENGTH + 1 {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        // Rejection sampling keeps every symbol equally likely.
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        for x in b.into_iter().filter(|x| *x < limit) {
            if out.len() == LENGTH / 2 {
                out.push('-');
            }
            if out.len() < LENGTH + 1 {
                out.push(char::from(ALPHABET[usize::from(x) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// The form a code is hashed in: upper case, without separators or spaces.
pub fn normalise(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Issues a code binding to `enterprise_id` as `role`, within the caller's powers.
pub async fn issue(
    state: &AppState,
    caller: &Caller,
    enterprise_id: i64,
    role: BindRole,
    origin: &Origin,
) -> Result<IssuedCode, ApiError> {
    match (caller.role, role) {
        (Role::EnterpriseOfficer, BindRole::ResponsiblePerson) | (Role::ServiceOrg, _) => {}
        _ => {
            return Err(ApiError::field(
                ErrorCode::Forbidden,
                "role",
                format!("a {} may not issue codes for this role", caller.role.as_str()),
            ));
        }
    }
    // Out of the caller's scope reads as not found.
    let enterprise = scope::enterprise(&state.db, caller, Some(enterprise_id)).await?;
    let code = new_code().map_err(ApiError::internal)?;
    let expires_at = Utc::now() + Duration::hours(state.settings.auth.binding_code_hours);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let row = users::insert_binding_code(
        &txn,
        NewBindingCode {
            enterprise_id: enterprise.id,
            role: role.role().as_str().to_string(),
            code_hash: tokens::digest(&normalise(&code)),
            issued_by: Some(caller.user_id),
            expires_at: expires_at.fixed_offset(),
        },
    )
    .await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "binding_code.issue", "binding_code")
            .object(row.id)
            .enterprise(enterprise.id)
            .detail(role.role().as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedCode { code, role, enterprise_id: enterprise.id, expires_at })
}

/// Binds the caller's WeChat account with `code`. Returns the account as bound.
pub async fn bind(
    state: &AppState,
    caller: &Caller,
    code: &str,
    display_name: Option<&str>,
    origin: &Origin,
) -> Result<User, ApiError> {
    if caller.scope != Scope::Unbound || !matches!(caller.role, Role::EnterpriseOfficer | Role::ResponsiblePerson) {
        return Err(ApiError::new(ErrorCode::Conflict, "this account is already bound; sign in with another WeChat"));
    }
    let invalid = || ApiError::field(ErrorCode::InvalidBindingCode, "code", "unknown, expired or used binding code");
    let now = Utc::now();
    let found = users::binding_code_by_hash(&state.db, &tokens::digest(&normalise(code))).await?;
    let Some(found) = found.filter(|c| c.used_at.is_none() && c.expires_at > now) else {
        audit::append(
            &state.db,
            Entry::by(caller, origin, "binding_code.use", "binding_code")
                .outcome(Outcome::Denied)
                .detail("invalid code"),
        )
        .await?;
        return Err(invalid());
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    // Spend it only if nobody has: two people racing for one code, one wins.
    let spent = users::spend_binding_code(&txn, found.id, caller.user_id, now.fixed_offset()).await?;
    if spent == 0 {
        txn.rollback().await?;
        return Err(invalid());
    }
    let bound =
        users::bind(&txn, caller.user_id, found.enterprise_id, &found.role, display_name, now.fixed_offset()).await?;
    if bound == 0 {
        txn.rollback().await?;
        return Err(ApiError::new(ErrorCode::Conflict, "this account is already bound"));
    }
    audit::append(
        &txn,
        Entry::by(caller, origin, "binding_code.use", "user")
            .object(caller.user_id)
            .enterprise(found.enterprise_id)
            .detail(found.role.clone()),
    )
    .await?;
    txn.commit().await?;
    users::by_id(&state.db, caller.user_id).await?.ok_or_else(|| ApiError::not_found("account"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalise() {
        let c = new_code().unwrap_or_default();
        assert_eq!(c.len(), 9, "{c}");
        assert_eq!(c.as_bytes()[4], b'-');
        assert!(c.bytes().filter(|b| *b != b'-').all(|b| ALPHABET.contains(&b)), "{c}");
        assert_eq!(normalise(" abcd-efgh "), "ABCDEFGH");
        assert_ne!(new_code().unwrap_or_default(), c, "random");
    }
}
