//! GB/T 4754-2017 industry codes as stored on enterprises: a section letter followed by
//! the 2- to 4-digit class (`C2614`), or the digits alone (`2614`), normalised to the
//! lettered form using the division's section.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndustryCode {
    section: char,
    digits: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndustryCodeError {
    #[error("expected a GB/T 4754 code such as C2614 or 2614, got {0:?}")]
    Format(String),
    #[error("division {0} does not exist in GB/T 4754-2017")]
    Division(String),
    #[error("section {given} does not contain division {division} (it belongs to {expected})")]
    Section { given: char, division: String, expected: char },
}

/// The section (门类) of each 2-digit division, GB/T 4754-2017.
pub fn section_of(division: u8) -> Option<char> {
    Some(match division {
        1..=5 => 'A',
        6..=12 => 'B',
        13..=43 => 'C',
        44..=46 => 'D',
        47..=50 => 'E',
        51..=52 => 'F',
        53..=60 => 'G',
        61..=62 => 'H',
        63..=65 => 'I',
        66..=69 => 'J',
        70 => 'K',
        71..=72 => 'L',
        73..=75 => 'M',
        76..=79 => 'N',
        80..=82 => 'O',
        83 => 'P',
        84..=85 => 'Q',
        86..=90 => 'R',
        91..=96 => 'S',
        97 => 'T',
        _ => return None,
    })
}

impl IndustryCode {
    pub fn parse(input: &str) -> Result<Self, IndustryCodeError> {
        let s = input.trim().to_uppercase();
        let (given, digits) = match s.chars().next() {
            Some(c) if c.is_ascii_uppercase() => (Some(c), &s[1..]),
            _ => (None, s.as_str()),
        };
        if !(2..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IndustryCodeError::Format(input.to_string()));
        }
        let division = &digits[..2];
        let n: u8 = division.parse().map_err(|_| IndustryCodeError::Format(input.to_string()))?;
        let section = section_of(n).ok_or_else(|| IndustryCodeError::Division(division.to_string()))?;
        if let Some(g) = given
            && g != section
        {
            return Err(IndustryCodeError::Section { given: g, division: division.to_string(), expected: section });
        }
        Ok(Self { section, digits: digits.to_string() })
    }

    pub fn section(&self) -> char {
        self.section
    }

    /// The 2-digit division (大类).
    pub fn division(&self) -> &str {
        &self.digits[..2]
    }
}

impl fmt::Display for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.section, self.digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let c = IndustryCode::parse("2614").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.to_string(), "C2614");
        assert_eq!(c.division(), "26");
        assert_eq!(IndustryCode::parse("e48").map(|c| c.to_string()), Ok("E48".to_string()));
        assert_eq!(IndustryCode::parse("G60").map(|c| c.section()), Ok('G'));
    }

    #[test]
    fn rejects_wrong_sections_and_divisions() {
        assert!(matches!(IndustryCode::parse("B26"), Err(IndustryCodeError::Section { expected: 'C', .. })));
        assert!(matches!(IndustryCode::parse("98"), Err(IndustryCodeError::Division(_))));
        assert!(matches!(IndustryCode::parse("C2"), Err(IndustryCodeError::Format(_))));
    }
}
