//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters from a 31-symbol alphabet (digits and capitals without I, O, S, V, Z);
//! the last one is a check character over the first 17 with weights 3^i mod 31.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error("character {ch:?} at position {pos} is not allowed (digits and capitals except I, O, S, V, Z)")]
    Character { pos: usize, ch: char },
    #[error("check character should be {expected:?}, got {got:?}")]
    CheckDigit { expected: char, got: char },
}

fn value_of(ch: char) -> Option<u32> {
    ALPHABET.iter().position(|&b| char::from(b) == ch).map(|p| p as u32)
}

/// The check character for the first 17 characters, or an error naming the bad one.
pub fn check_char(first17: &str) -> Result<char, CreditCodeError> {
    let mut sum = 0u32;
    for (pos, (ch, weight)) in first17.chars().zip(WEIGHTS).enumerate() {
        let v = value_of(ch).ok_or(CreditCodeError::Character { pos: pos + 1, ch })?;
        sum += v * weight;
    }
    let c = (31 - sum % 31) % 31;
    Ok(char::from(ALPHABET[c as usize]))
}

impl CreditCode {
    /// Parses user input: surrounding space is trimmed and letters upper-cased.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let s: String = input.trim().to_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(CreditCodeError::Length(n));
        }
        let first17: String = s.chars().take(17).collect();
        let expected = check_char(&first17)?;
        let got = s.chars().last().unwrap_or(' ');
        if value_of(got).is_none() {
            return Err(CreditCodeError::Character { pos: 18, ch: got });
        }
        if got != expected {
            return Err(CreditCodeError::CheckDigit { expected, got });
        }
        Ok(Self(s))
    }

    /// Builds a valid code from 17 leading characters (used by seeds and tests).
    pub fn with_check(first17: &str) -> Result<Self, CreditCodeError> {
        let n = first17.chars().count();
        if n != 17 {
            return Err(CreditCodeError::Length(n + 1));
        }
        let c = check_char(first17)?;
        Ok(Self(format!("{first17}{c}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in ["91350100M000100Y43", "9144030071526726XG", "91110000802100433B"] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::CheckDigit { expected: '3', got: '4' })
        );
    }

    #[test]
    fn rejects_bad_length_and_letters() {
        assert_eq!(CreditCode::parse("9135"), Err(CreditCodeError::Length(4)));
        assert!(matches!(
            CreditCode::parse("91350100M0001O0Y43"),
            Err(CreditCodeError::Character { pos: 14, ch: 'O' })
        ));
    }

    #[test]
    fn with_check_round_trips() {
        let c = CreditCode::with_check("91640200MA7600001").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(CreditCode::parse(c.as_str()), Ok(c.clone()));
        assert_eq!(CreditCode::parse(&c.as_str().to_lowercase()), Ok(c));
    }
}
