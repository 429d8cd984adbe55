//! What the risk model reads: accidents and enterprises, in the source's own codes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One accident as the model sees it. Codes stay in the source's code system (for OSHA
/// the 2-digit OIICS event), so recommendations and backtests speak the source's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accident {
    pub enterprise: String,
    /// Industry code: GB/T 4754 (`C3311`) or NAICS digits (`331110`); see [`IndustryPath`].
    pub industry: String,
    pub region: Option<String>,
    pub date: NaiveDate,
    pub accident_type: Option<String>,
    pub body_part: Option<String>,
    pub job: Option<String>,
    /// Serious injury, disability or death.
    pub severe: bool,
    /// What the employer's name says of it, for name-keyed sources; empty elsewhere.
    #[serde(default)]
    pub employer: EmployerSignals,
}

/// Size and kind signals read from an employer's name by the name rules
/// (`rules/names/employer.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EmployerSignals {
    /// Public body, health care, education or staffing agency (`names::KINDS`).
    pub kind: Option<String>,
    /// The name carried a store or branch number, or matched a brand alias.
    pub chain: bool,
    /// Words in the resolved name: short names are brands and large organisations,
    /// long ones small firms. None where the key is a registry code.
    pub name_words: Option<u32>,
}

impl EmployerSignals {
    /// Words of the resolved name in a name-keyed enterprise key ("us-employer:ACME
    /// ROOFING" → 2). None for a key without a source prefix or whose rest holds no
    /// letter (MSHA mine ids); callers leave registry (credit-code) keys out.
    pub fn words_of_key(key: &str) -> Option<u32> {
        let (_, name) = key.split_once(':')?;
        name.chars().any(char::is_alphabetic).then(|| name.split_whitespace().count() as u32)
    }
}

/// An enterprise to score. Enterprises without accidents get their industry's rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enterprise {
    pub key: String,
    pub industry: String,
    pub region: Option<String>,
    /// Workers or insured workers, where known (reported, not yet used by the fit: the
    /// development data has no exposure measure to learn its effect from).
    pub workers: Option<f64>,
    /// What its name says, for name-keyed enterprises (see [`Accident::employer`]).
    #[serde(default)]
    pub employer: EmployerSignals,
}

/// The levels of an industry code, coarse to fine, which the priors are smoothed down.
/// GB/T 4754 `C3311` → `C`, `C33`, `C331`, `C3311`; NAICS `331110` → `33`, `331`, `3311`,
/// `331110` (the 5-digit level adds little over 4 and 6); anything else is one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryPath {
    pub levels: Vec<String>,
}

impl IndustryPath {
    pub fn parse(code: &str) -> Self {
        let code = code.trim();
        let mut chars = code.chars();
        let first = chars.next();
        let digits_after = |skip: usize| code.len() > skip && code[skip..].bytes().all(|b| b.is_ascii_digit());
        let cut = |lens: &[usize]| -> Vec<String> {
            lens.iter().filter(|&&n| n <= code.len()).map(|&n| code[..n].to_string()).collect()
        };
        let levels = match first {
            Some(c) if c.is_ascii_alphabetic() && digits_after(1) => cut(&[1, 3, 4, 5]),
            Some(_) if digits_after(0) && code.len() >= 2 => {
                let mut v = cut(&[2, 3, 4]);
                if code.len() > 4 {
                    v.push(code.to_string());
                }
                v
            }
            Some(_) => vec![code.to_string()],
            None => Vec::new(),
        };
        Self { levels }
    }

    /// The peer group percentiles are taken in: the 2-digit division (GB/T 4754) or
    /// sector (NAICS).
    pub fn group(&self) -> Option<&str> {
        self.levels.iter().find(|l| l.bytes().filter(u8::is_ascii_digit).count() == 2).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_name_keys_only() {
        assert_eq!(EmployerSignals::words_of_key("us-employer:ACME ROOFING AND SIDING"), Some(4));
        assert_eq!(EmployerSignals::words_of_key("osha-sir:WALMART"), Some(1));
        assert_eq!(EmployerSignals::words_of_key("msha-mine:4608791"), None);
        assert_eq!(EmployerSignals::words_of_key("ACME"), None);
    }

    #[test]
    fn paths_of_both_code_systems() {
        assert_eq!(IndustryPath::parse("C3311").levels, ["C", "C33", "C331", "C3311"]);
        assert_eq!(IndustryPath::parse("C33").levels, ["C", "C33"]);
        assert_eq!(IndustryPath::parse("331110").levels, ["33", "331", "3311", "331110"]);
        assert_eq!(IndustryPath::parse("33").levels, ["33"]);
        assert_eq!(IndustryPath::parse("").levels, Vec::<String>::new());
        assert_eq!(IndustryPath::parse("C3311").group(), Some("C33"));
        assert_eq!(IndustryPath::parse("331110").group(), Some("33"));
    }
}
