//! Personal data at rest: phone numbers are sealed with AES-256-GCM under a named key
//! (so keys can rotate: old ciphertexts name the key that opens them), looked up by a
//! keyed hash (HMAC-SHA256), and shown masked (`138****1234`).
//!
//! Keys live in a key file (`security.key_file`), made with fresh random keys the
//! first time it is needed; production points it at a secret mount.

use std::collections::BTreeMap;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    /// The key new ciphertexts are sealed with.
    active: String,
    /// Key id → base64 of 32 bytes.
    keys: BTreeMap<String, String>,
    /// base64 of 32 bytes, for lookup hashes (never rotated without rehashing).
    hash_key: String,
}

pub struct Vault {
    active: String,
    keys: BTreeMap<String, Aes256Gcm>,
    hash_key: Vec<u8>,
}

fn random32() -> anyhow::Result<[u8; 32]> {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(k)
}

fn key_bytes(b64: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let k = B64.decode(b64.trim()).map_err(|e| anyhow::anyhow!("{what}: not base64: {e}"))?;
    if k.len() != 32 {
        anyhow::bail!("{what}: must be 32 bytes, got {}", k.len());
    }
    Ok(k)
}

/// A mainland mobile number: 11 digits starting 13-19, after removing spaces,
/// dashes and a +86 prefix.
pub fn normalise_phone(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.strip_prefix("86").filter(|d| d.len() == 11).map_or(digits.clone(), str::to_string);
    let ok = digits.len() == 11 && digits.starts_with('1') && matches!(digits.as_bytes()[1], b'3'..=b'9');
    ok.then_some(digits)
}

/// `138****1234`.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".to_string()
    }
}

impl Vault {
    /// Opens the key file, creating it (owner-only) with new keys if it is missing.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            let file = KeyFile {
                active: "k1".into(),
                keys: BTreeMap::from([("k1".to_string(), B64.encode(random32()?))]),
                hash_key: B64.encode(random32()?),
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let text = toml::to_string(&file)?;
            write_private(path, &text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            tracing::warn!(file = %path.display(), "created a new personal-data key file; back it up, data sealed with it is unreadable without it");
        }
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let file: KeyFile =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
        let mut keys = BTreeMap::new();
        for (id, b64) in &file.keys {
            let k = key_bytes(b64, &format!("{}: key {id}", path.display()))?;
            let cipher = Aes256Gcm::new_from_slice(&k)
                .map_err(|_| anyhow::anyhow!("{}: key {id}: bad length", path.display()))?;
            keys.insert(id.clone(), cipher);
        }
        if !keys.contains_key(&file.active) {
            anyhow::bail!("{}: active key {:?} is not among the keys", path.display(), file.active);
        }
        let hash_key = key_bytes(&file.hash_key, &format!("{}: hash_key", path.display()))?;
        Ok(Self { active: file.active, keys, hash_key })
    }

    /// (ciphertext as base64 of nonce ‖ sealed bytes, key id).
    pub fn seal(&self, plain: &str) -> anyhow::Result<(String, String)> {
        let cipher = self.keys.get(&self.active).ok_or_else(|| anyhow::anyhow!("no active key"))?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let sealed =
            cipher.encrypt(&Nonce::from(nonce), plain.as_bytes()).map_err(|_| anyhow::anyhow!("seal failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok((B64.encode(out), self.active.clone()))
    }

    pub fn open_sealed(&self, sealed_b64: &str, key_id: &str) -> anyhow::Result<String> {
        let cipher = self.keys.get(key_id).ok_or_else(|| anyhow::anyhow!("unknown key id {key_id:?}"))?;
        let bytes = B64.decode(sealed_b64).map_err(|_| anyhow::anyhow!("ciphertext is not base64"))?;
        if bytes.len() < 12 {
            anyhow::bail!("ciphertext too short");
        }
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let plain =
            cipher.decrypt(&Nonce::from(nonce), body).map_err(|_| anyhow::anyhow!("ciphertext does not open"))?;
        String::from_utf8(plain).map_err(|_| anyhow::anyhow!("plaintext is not UTF-8"))
    }

    /// The keyed lookup hash (hex): equal inputs match, the value reveals nothing
    /// without the key (a plain hash of an 11-digit number is brute-forced at once).
    pub fn lookup_hash(&self, value: &str) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key) else { return String::new() };
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_hashes_and_masks() {
        let dir = std::env::temp_dir().join(format!("zhicha-vault-{}", std::process::id()));
        let path = dir.join("keys.toml");
        let _ = std::fs::remove_dir_all(&dir);
        let v = Vault::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let (sealed, key) = v.seal("13812341234").unwrap_or_default();
        assert_eq!(key, "k1");
        assert!(!sealed.contains("1381234"));
        assert_eq!(v.open_sealed(&sealed, &key).ok().as_deref(), Some("13812341234"));
        // A second seal of the same number differs (random nonce); the lookup hash does not.
        assert_ne!(v.seal("13812341234").unwrap_or_default().0, sealed);
        assert_eq!(v.lookup_hash("13812341234"), v.lookup_hash("13812341234"));
        assert_ne!(v.lookup_hash("13812341234"), v.lookup_hash("13812341235"));
        // Reopening the same file opens old ciphertexts.
        let again = Vault::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.open_sealed(&sealed, "k1").ok().as_deref(), Some("13812341234"));
        assert!(again.open_sealed(&sealed, "k2").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn phones_normalise_and_mask() {
        assert_eq!(normalise_phone("+86 138-1234-1234").as_deref(), Some("13812341234"));
        assert_eq!(normalise_phone("12812341234"), None);
        assert_eq!(normalise_phone("1381234"), None);
        assert_eq!(mask_phone("13812341234"), "138****1234");
    }
}
