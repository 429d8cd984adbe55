//! The second factor of bureau and administrator accounts (MLPS level 3): RFC 6238 TOTP, SHA-1, six
//! digits, 30-second steps, one step of clock skew. Secrets are sealed at rest; a
//! code is accepted once (its step must be later than the last accepted one).

use totp_rs::{Builder, Secret, Totp};

use super::caller::Role;
use crate::platform::pii::Vault;

/// Roles that must present a TOTP code at sign-in.
pub fn required_for(role: Role) -> bool {
    // MLPS 2.0 level 3 (GB/T 22239-2019, 8.1.4.1 d) asks two combined factors, one of
    // them cryptographic: the bureaus, who see a jurisdiction's data, and the three
    // administrators. Officers sign in through WeChat, which is a factor of its own.
    matches!(
        role,
        Role::HrssBureau | Role::EmergencyBureau | Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin
    )
}

fn totp(secret_b32: &str) -> anyhow::Result<Totp> {
    let secret = Secret::try_from_base32(secret_b32).map_err(|e| anyhow::anyhow!("TOTP secret: {e:?}"))?;
    Builder::new().with_secret(secret).build().map_err(|e| anyhow::anyhow!("TOTP: {e:?}"))
}

/// A new random secret (base32) and its sealed form for the `totp_secret` column.
pub fn enrol(vault: &Vault) -> anyhow::Result<(String, String)> {
    let b32 = Secret::from(random_secret()?).to_base32();
    Ok((b32.clone(), seal(vault, &b32)?))
}

fn random_secret() -> anyhow::Result<[u8; 20]> {
    let mut s = [0u8; 20];
    getrandom::fill(&mut s).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(s)
}

pub fn seal(vault: &Vault, secret_b32: &str) -> anyhow::Result<String> {
    let (sealed, key) = vault.seal(secret_b32)?;
    Ok(format!("{key}:{sealed}"))
}

pub fn unseal(vault: &Vault, stored: &str) -> anyhow::Result<String> {
    let (key, sealed) = stored.split_once(':').ok_or_else(|| anyhow::anyhow!("malformed TOTP secret"))?;
    vault.open_sealed(sealed, key)
}

/// The step `code` is valid for at `now` (seconds), if it is valid and later than
/// `last_step`.
pub fn accept(secret_b32: &str, code: &str, now: u64, last_step: Option<i64>) -> Option<i64> {
    let step = i64::try_from(totp(secret_b32).ok()?.check(code.trim(), now)?).ok()?;
    (last_step.is_none_or(|last| step > last)).then_some(step)
}

/// The code for a given step (demo tooling and tests).
pub fn code_at(secret_b32: &str, step: i64) -> Option<String> {
    let t = totp(secret_b32).ok()?;
    Some(t.generate(u64::try_from(step).ok()? * 30).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_good_once_and_only_near_its_time() {
        let secret = Secret::from([7u8; 20]).to_base32();
        let now = 1_800_000_000u64;
        let step = (now / 30) as i64;
        let code = code_at(&secret, step).unwrap_or_default();
        assert_eq!(accept(&secret, &code, now, None), Some(step));
        assert_eq!(accept(&secret, &code, now, Some(step)), None, "replay");
        assert_eq!(accept(&secret, &code, now + 3600, None), None, "an hour later");
        assert_eq!(accept(&secret, "000000x", now, None), None);
    }
}
