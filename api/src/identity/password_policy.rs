//! The password policy of MLPS level 3 (GB/T 22239-2019 8.1.4.1 a: "identities are
//! unique, the identification information is complex and is changed periodically"):
//! at least 12 characters from at least three of the four classes (upper case, lower
//! case, digits, symbols), not containing the username, not one of the account's last
//! five passwords, changed every `auth.password_max_age_days` and at first sign-in.
//! One-time passwords made here meet the same rules.

use serde_json::json;

use crate::error::{ApiError, ErrorCode};

pub const MIN_LENGTH: usize = 12;
/// Longer is refused before it costs an argon2 run (and as the sign-in form does).
pub const MAX_LENGTH: usize = 128;
pub const MIN_CLASSES: usize = 3;
/// How many of an account's previous passwords may not be used again.
pub const HISTORY: u64 = 5;

/// Why a password is refused: `details.rule` of the 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Length,
    Classes,
    ContainsUsername,
    Reused,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Length => "length",
            Rule::Classes => "character_classes",
            Rule::ContainsUsername => "contains_username",
            Rule::Reused => "reused",
        }
    }

    fn message(self) -> String {
        match self {
            Rule::Length => format!("a password has {MIN_LENGTH}-{MAX_LENGTH} characters"),
            Rule::Classes => format!(
                "a password mixes at least {MIN_CLASSES} of: upper-case letters, lower-case letters, digits, symbols"
            ),
            Rule::ContainsUsername => "a password may not contain the username".to_string(),
            Rule::Reused => format!("a password may not be one of the account's last {HISTORY}"),
        }
    }
}

/// The 422 for a password that breaks `rule`, naming `field`.
pub fn refusal(field: &str, rule: Rule) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, format!("{field}: {}", rule.message()))
        .with_details(json!({ "field": field, "rule": rule.as_str() }))
}

fn classes(password: &str) -> usize {
    let has = |f: fn(&char) -> bool| usize::from(password.chars().any(|c| f(&c)));
    has(char::is_ascii_uppercase)
        + has(char::is_ascii_lowercase)
        + has(char::is_ascii_digit)
        + has(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace())
}

/// The rules a password can be judged by on its own (not its history).
pub fn check(username: Option<&str>, password: &str) -> Result<(), Rule> {
    let n = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&n) {
        return Err(Rule::Length);
    }
    if classes(password) < MIN_CLASSES {
        return Err(Rule::Classes);
    }
    if let Some(u) = username.map(str::trim).filter(|u| !u.is_empty())
        && password.to_lowercase().contains(&u.to_lowercase())
    {
        return Err(Rule::ContainsUsername);
    }
    Ok(())
}

/// A random one-time password: 16 characters, upper, lower and digits (no look-alikes
/// such as 0/O, 1/l/I), so it meets the policy and reads aloud.
pub fn one_time() -> anyhow::Result<String> {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    // One of each class in fixed places, the rest from all three; the bias of a byte
    // modulo 57 is negligible against 16 characters of entropy.
    let all: Vec<u8> = [UPPER, LOWER, DIGIT].concat();
    let pick = |set: &[u8], b: u8| char::from(set[usize::from(b) % set.len()]);
    let out: String = bytes[..16]
        .iter()
        .enumerate()
        .map(|(i, &b)| match i {
            3 => pick(UPPER, b),
            8 => pick(LOWER, b),
            12 => pick(DIGIT, b),
            _ => pick(&all, b),
        })
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules() {
        assert_eq!(check(None, "Short1!"), Err(Rule::Length));
        assert_eq!(check(None, "alllowercaseletters"), Err(Rule::Classes));
        assert_eq!(check(None, "lowercase123456"), Err(Rule::Classes));
        assert_eq!(check(None, "Lowercase123456"), Ok(()));
        assert_eq!(check(None, "lowercase-12345"), Ok(()));
        assert_eq!(check(Some("hrss.city"), "Xx-HRSS.city-2026"), Err(Rule::ContainsUsername));
        assert_eq!(check(Some("hrss.city"), "Xx-hrss-city-2026"), Ok(()));
        assert_eq!(check(None, &"Aa1".repeat(50)), Err(Rule::Length));
    }

    #[test]
    fn one_time_passwords_meet_the_policy_and_differ() {
        let a = one_time().unwrap_or_default();
        let b = one_time().unwrap_or_default();
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert_eq!(check(Some("someone"), &a), Ok(()));
    }
}
