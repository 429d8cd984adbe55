//! GB/T 4754 applicability patterns: `*` (every industry), a section (`C`, `C*`), or a
//! division or finer prefix (`26`, `C26`, `26*`, `2614`).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::codes::CodeTable;
use crate::industry_code::{IndustryCode, section_of};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndustryPattern {
    Any,
    Section(char),
    /// 2 to 4 digits; the first two are a division.
    Prefix(String),
}

impl IndustryPattern {
    /// Parses and checks a pattern against the GB/T 4754 table.
    pub fn parse(s: &str, table: &CodeTable) -> Result<Self, String> {
        let body = s.strip_suffix('*').unwrap_or(s);
        if s == "*" {
            return Ok(Self::Any);
        }
        let mut chars = body.chars();
        let letter = chars.clone().next().filter(char::is_ascii_uppercase);
        if letter.is_some() {
            chars.next();
        }
        let digits: String = chars.collect();
        if digits.is_empty() {
            return match letter {
                Some(c) if table.contains(&c.to_string()) => Ok(Self::Section(c)),
                Some(c) => Err(format!("section {c} is not in GB/T 4754")),
                None => Err(format!("{s:?} is not an industry pattern (`*`, `C`, `26`, `C26*`, `2614`)")),
            };
        }
        if !(2..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not an industry pattern (`*`, `C`, `26`, `C26*`, `2614`)"));
        }
        let division = &digits[..2];
        if !table.contains(division) {
            return Err(format!("division {division} is not in GB/T 4754"));
        }
        let section = division.parse::<u8>().ok().and_then(section_of);
        if let (Some(given), Some(expected)) = (letter, section)
            && given != expected
        {
            return Err(format!("division {division} belongs to section {expected}, not {given}"));
        }
        Ok(Self::Prefix(digits))
    }

    pub fn matches(&self, code: &IndustryCode) -> bool {
        match self {
            Self::Any => true,
            Self::Section(c) => code.section() == *c,
            // The displayed code is the section letter followed by the digits.
            Self::Prefix(p) => code.to_string().get(1..).is_some_and(|d| d.starts_with(p.as_str())),
        }
    }
}

impl fmt::Display for IndustryPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => write!(f, "*"),
            Self::Section(c) => write!(f, "{c}"),
            Self::Prefix(p) => write!(f, "{p}"),
        }
    }
}

impl Serialize for IndustryPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn table() -> CodeTable {
        let text =
            "# version: t\ncode,name_zh,name_en,parent\nC,制造业,M,\n26,化学,C,C\n47,房屋建筑,B,E\nE,建筑业,C,\n";
        CodeTable::parse(Path::new("t.csv"), text, crate::codes::format::industry).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn patterns_match_codes() {
        let t = table();
        let c2614 = IndustryCode::parse("C2614").unwrap_or_else(|e| panic!("{e}"));
        for p in ["*", "C", "C*", "26", "C26", "26*", "2614"] {
            let pat = IndustryPattern::parse(p, &t).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(pat.matches(&c2614), "{p}");
        }
        let e47 = IndustryCode::parse("E4710").unwrap_or_else(|e| panic!("{e}"));
        assert!(!IndustryPattern::parse("26", &t).is_ok_and(|p| p.matches(&e47)));
        assert!(IndustryPattern::parse("E", &t).is_ok_and(|p| p.matches(&e47)));
    }

    #[test]
    fn unknown_or_inconsistent_patterns_are_rejected() {
        let t = table();
        for p in ["B", "27", "E26", "2x", "", "26**", "C123456"] {
            assert!(IndustryPattern::parse(p, &t).is_err(), "{p}");
        }
    }
}
