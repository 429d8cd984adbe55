//! Opaque bearer tokens: 32 random bytes, hex-encoded with a prefix that says what
//! they are; only their SHA-256 is stored.

use sha2::{Digest, Sha256};

pub const ACCESS_PREFIX: &str = "zat_";
pub const REFRESH_PREFIX: &str = "zrt_";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn random_hex(len: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; len];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex(&buf))
}

pub fn new_token(prefix: &str) -> anyhow::Result<String> {
    Ok(format!("{prefix}{}", random_hex(32)?))
}

/// What the database keeps of a token.
pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_digest_is_kept() {
        let a = new_token(ACCESS_PREFIX).unwrap_or_default();
        let b = new_token(ACCESS_PREFIX).unwrap_or_default();
        assert!(a.starts_with("zat_") && a.len() == 68);
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert!(!digest(&a).contains(&a[4..]));
    }
}
