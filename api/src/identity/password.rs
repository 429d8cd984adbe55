//! Password hashing with argon2id (PHC strings, so parameters travel with the hash).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::AuthSettings;

fn argon2(settings: &AuthSettings) -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(settings.argon2_memory_kib, settings.argon2_iterations, 1, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(settings: &AuthSettings, password: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    argon2(settings)?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Whether `password` matches `stored`; a malformed stored hash never matches.
pub fn verify(settings: &AuthSettings, stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    argon2(settings).is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the account does not exist, so that unknown and
/// known usernames take the same time.
pub fn decoy(settings: &AuthSettings) -> String {
    hash(settings, "decoy password that matches nothing").unwrap_or_default()
}
