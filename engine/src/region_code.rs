//! Administrative division codes, GB/T 2260: six digits, `PPCCDD`.
//! `PP0000` is a province, `PPCC00` a prefecture-level city, anything else a county.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("must be exactly 6 digits (GB/T 2260), got {0:?}")]
    Format(String),
    #[error("province part {0:02} is not a GB/T 2260 province (11-82)")]
    Province(u32),
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let s = input.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::Format(s.to_string()));
        }
        let n: u32 = s.parse().map_err(|_| RegionCodeError::Format(s.to_string()))?;
        let province = n / 10_000;
        if !(11..=82).contains(&province) {
            return Err(RegionCodeError::Province(province));
        }
        Ok(Self(n))
    }

    pub fn level(self) -> RegionLevel {
        if self.0.is_multiple_of(10_000) {
            RegionLevel::Province
        } else if self.0.is_multiple_of(100) {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    /// The enclosing division: county → city, city → province, province → none.
    /// Counties directly under a province (`PP90xx`) report the province.
    pub fn parent(self) -> Option<Self> {
        match self.level() {
            RegionLevel::Province => None,
            RegionLevel::City => Some(Self(self.0 / 10_000 * 10_000)),
            RegionLevel::County if (self.0 / 100) % 100 == 90 => Some(Self(self.0 / 10_000 * 10_000)),
            RegionLevel::County => Some(Self(self.0 / 100 * 100)),
        }
    }

    /// Whether `other` lies inside (or is) this division; the basis of bureau scopes.
    pub fn contains(self, other: Self) -> bool {
        match self.level() {
            RegionLevel::Province => self.0 / 10_000 == other.0 / 10_000,
            RegionLevel::City => self.0 / 100 == other.0 / 100,
            RegionLevel::County => self.0 == other.0,
        }
    }

    /// The code prefix shared by every division inside this one (for `LIKE 'prefix%'`).
    pub fn scope_prefix(self) -> String {
        let s = self.to_string();
        match self.level() {
            RegionLevel::Province => s[..2].to_string(),
            RegionLevel::City => s[..4].to_string(),
            RegionLevel::County => s,
        }
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn levels_and_parents() {
        assert_eq!(r("640000").level(), RegionLevel::Province);
        assert_eq!(r("640200").level(), RegionLevel::City);
        assert_eq!(r("640221").level(), RegionLevel::County);
        assert_eq!(r("640221").parent(), Some(r("640200")));
        assert_eq!(r("640200").parent(), Some(r("640000")));
        assert_eq!(r("640000").parent(), None);
        assert_eq!(r("429004").parent(), Some(r("420000")));
    }

    #[test]
    fn containment_follows_the_hierarchy() {
        assert!(r("640000").contains(r("640221")));
        assert!(r("640200").contains(r("640221")));
        assert!(!r("640100").contains(r("640221")));
        assert!(!r("640221").contains(r("640200")));
        assert_eq!(r("640200").scope_prefix(), "6402");
    }

    #[test]
    fn rejects_malformed_codes() {
        assert!(matches!(RegionCode::parse("64020"), Err(RegionCodeError::Format(_))));
        assert!(matches!(RegionCode::parse("6402a0"), Err(RegionCodeError::Format(_))));
        assert_eq!(RegionCode::parse("990000"), Err(RegionCodeError::Province(99)));
    }
}
