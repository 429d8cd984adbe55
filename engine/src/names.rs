//! Employer-name resolution for name-keyed imports (OSHA has no registry number).
//!
//! The rules are data (`rules/names/employer.toml`); this module only applies them, in
//! this order: upper-case and punctuation folding, aliases (first matching pattern
//! gives the canonical name), "doing business as" split (the legal name before the
//! marker is kept), removal of store/branch numbers, removal of trailing legal
//! suffixes, whitespace folding. Chinese enterprises carry a credit code instead.
//!
//! The same file names employer kinds (public body, health care, education, staffing
//! agency) by name pattern or industry code prefix; an employer whose name carried a
//! store or branch number, or matched a brand alias, is a chain. The risk model reads
//! the kind as a size and exposure signal that one accident cannot give.

use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use crate::rule_error::{RuleError, line_of};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    version: String,
    legal_suffixes: Vec<String>,
    dba_markers: Vec<String>,
    drop_patterns: Vec<toml::Spanned<String>>,
    #[serde(default)]
    alias: Vec<RawAlias>,
    #[serde(default)]
    kind: Vec<RawKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    name: toml::Spanned<String>,
    #[serde(default)]
    patterns: Vec<toml::Spanned<String>>,
    /// Industry code prefixes (NAICS digits or GB/T 4754 letter + digits).
    #[serde(default)]
    industries: Vec<String>,
}

/// The kinds a rules file may name. The risk model has a covariate per kind, so the
/// list is fixed here. Being a chain is not a kind but a flag resolution itself finds.
pub const KINDS: [&str; 4] = ["public", "health", "education", "staffing"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlias {
    canonical: String,
    patterns: Vec<toml::Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct NameRules {
    pub version: String,
    legal_suffixes: Vec<String>,
    dba_markers: Vec<String>,
    drop_patterns: Vec<Regex>,
    aliases: Vec<(String, Vec<Regex>)>,
    kinds: Vec<Kind>,
}

#[derive(Debug, Clone)]
struct Kind {
    name: &'static str,
    patterns: Vec<Regex>,
    industries: Vec<String>,
}

/// A raw name resolved: the enterprise key, the employer's kind if any, and whether
/// the name marks a branch of a chain (a store number dropped, a brand alias matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub key: String,
    pub kind: Option<&'static str>,
    pub chain: bool,
}

impl NameRules {
    pub fn parse(file: &Path, text: &str) -> Result<Self, Vec<RuleError>> {
        let raw: RawRules = toml::from_str(text).map_err(|e| vec![crate::rule_error::toml_error(file, text, &e)])?;
        let mut errors = Vec::new();
        let mut compile = |p: &toml::Spanned<String>| match Regex::new(p.get_ref()) {
            Ok(r) => Some(r),
            Err(e) => {
                let reason = format!("bad pattern {:?}: {}", p.get_ref(), e.to_string().lines().last().unwrap_or(""));
                errors.push(RuleError::new(file, line_of(text, p.span().start), reason));
                None
            }
        };
        let drop_patterns = raw.drop_patterns.iter().filter_map(&mut compile).collect();
        let aliases = raw
            .alias
            .iter()
            .map(|a| (a.canonical.to_uppercase(), a.patterns.iter().filter_map(&mut compile).collect()))
            .collect();
        let mut kinds = Vec::new();
        let mut unknown = Vec::new();
        for k in &raw.kind {
            let Some(name) = KINDS.iter().find(|n| **n == k.name.get_ref()) else {
                let known = KINDS.join(", ");
                let reason =
                    format!("unknown kind {:?}: one of {known} (chains are found by resolution)", k.name.get_ref());
                unknown.push(RuleError::new(file, line_of(text, k.name.span().start), reason));
                continue;
            };
            let patterns = k.patterns.iter().filter_map(&mut compile).collect();
            kinds.push(Kind {
                name,
                patterns,
                industries: k.industries.iter().map(|s| s.trim().to_string()).collect(),
            });
        }
        errors.extend(unknown);
        if raw.version.trim().is_empty() {
            errors.push(RuleError::new(file, 1, "empty version"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            version: raw.version,
            legal_suffixes: raw.legal_suffixes.iter().map(|s| s.to_uppercase()).collect(),
            dba_markers: raw.dba_markers.iter().map(|s| s.to_uppercase()).collect(),
            drop_patterns,
            aliases,
            kinds,
        })
    }

    /// The resolved enterprise key of a raw employer name; empty input gives "".
    pub fn normalise(&self, raw: &str) -> String {
        self.resolve(raw, "").key
    }

    /// The key, kind and chain flag of a raw employer name in an industry (its code, or
    /// ""). Kinds are tried in file order by name pattern, then in file order by
    /// industry prefix.
    pub fn resolve(&self, raw: &str, industry: &str) -> Resolved {
        let folded = fold(raw);
        let named = self.kinds.iter().find(|k| k.patterns.iter().any(|p| p.is_match(&folded)));
        let by_industry = || {
            let code = industry.trim();
            self.kinds.iter().find(|k| !code.is_empty() && k.industries.iter().any(|p| code.starts_with(p.as_str())))
        };
        let kind = named.or_else(by_industry).map(|k| k.name);
        if let Some((canonical, _)) = self.aliases.iter().find(|(_, ps)| ps.iter().any(|p| p.is_match(&folded))) {
            return Resolved { key: canonical.clone(), kind, chain: true };
        }
        let (key, chain) = self.strip(&folded);
        Resolved { key, kind, chain }
    }

    /// DBA split, drop patterns and legal suffixes; also whether a dropped part held a
    /// number (a store or branch number).
    fn strip(&self, folded: &str) -> (String, bool) {
        let folded = folded.to_string();
        let mut name = folded.clone();
        for marker in &self.dba_markers {
            let needle = format!(" {marker} ");
            if let Some(at) = format!(" {name} ").find(&needle) {
                name = name[..at.min(name.len())].to_string();
            }
        }
        let mut numbered = false;
        for p in &self.drop_patterns {
            numbered |= p.find_iter(&name).any(|m| m.as_str().bytes().any(|b| b.is_ascii_digit()));
            name = p.replace_all(&name, " ").into_owned();
        }
        let mut words: Vec<&str> = name.split_whitespace().collect();
        while words.len() > 1 && words.last().is_some_and(|w| self.legal_suffixes.iter().any(|s| s == w)) {
            words.pop();
        }
        let out = words.join(" ");
        (if out.is_empty() { folded } else { out }, numbered)
    }
}

/// Upper-case; `&` → AND; dots and apostrophes vanish (U.S. → US); other punctuation
/// but `#` becomes a space; runs of space fold to one.
fn fold(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '&' => s.push_str(" AND "),
            '.' | '\'' | '’' => {}
            '#' => s.push('#'),
            c if c.is_alphanumeric() => s.extend(c.to_uppercase()),
            _ => s.push(' '),
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
version = "t1"
legal_suffixes = ["INC", "LLC", "CORP", "CO", "COMPANY"]
dba_markers = ["DBA", "D B A"]
drop_patterns = ['\bSTORE\s*#?\s*\d+\b', '#\s*\d+']

[[alias]]
canonical = "United States Postal Service"
patterns = ['^(US|UNITED STATES) POSTAL SERVICE\b', '^USPS\b']
"#;

    fn rules() -> NameRules {
        NameRules::parse(Path::new("employer.toml"), RULES).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn spellings_of_one_employer_resolve_together() {
        let r = rules();
        for raw in ["U.S. Postal Service", "USPS - Main Office", "United States Postal Service, Inc."] {
            assert_eq!(r.normalise(raw), "UNITED STATES POSTAL SERVICE", "{raw}");
        }
        assert_eq!(r.normalise("Acme Roofing, Inc."), "ACME ROOFING");
        assert_eq!(r.normalise("ACME ROOFING LLC"), "ACME ROOFING");
        assert_eq!(r.normalise("Walmart Store #1234"), "WALMART");
        assert_eq!(r.normalise("Smith Holdings LLC dba Smith's Diner"), "SMITH HOLDINGS");
    }

    #[test]
    fn kinds_come_from_names_then_industries_and_numbers_make_chains() {
        let text = format!(
            "{RULES}\n[[kind]]\nname = \"public\"\npatterns = ['^(CITY|COUNTY) OF\\b']\n\n[[kind]]\nname = \"staffing\"\npatterns = ['\\bSTAFFING\\b']\nindustries = [\"5613\"]\n"
        );
        let r = NameRules::parse(Path::new("employer.toml"), &text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.resolve("City of Houston", "921190").kind, Some("public"));
        assert_eq!(r.resolve("Acme Staffing LLC", "").kind, Some("staffing"));
        assert_eq!(r.resolve("Acme Services", "561320").kind, Some("staffing"));
        assert_eq!(r.resolve("Acme Services", "236220").kind, None);
        let store = r.resolve("Dollar Mart Store #1234", "452990");
        assert_eq!((store.key.as_str(), store.kind, store.chain), ("DOLLAR MART", None, true));
        assert!(r.resolve("USPS Main Office", "").chain);
        assert!(!r.resolve("Acme Services", "").chain);
        let branch = r.resolve("County of Kern #7", "");
        assert_eq!((branch.kind, branch.chain), (Some("public"), true));
        let bad = format!("{RULES}\n[[kind]]\nname = \"giant\"\n");
        let errs = NameRules::parse(Path::new("employer.toml"), &bad).err().unwrap_or_default();
        assert!(errs.len() == 1 && errs[0].reason.contains("unknown kind"), "{errs:?}");
    }

    #[test]
    fn a_name_that_is_only_a_suffix_is_kept() {
        assert_eq!(rules().normalise("Company"), "COMPANY");
        assert_eq!(rules().normalise("  "), "");
    }

    #[test]
    fn bad_patterns_point_at_their_line() {
        let text = RULES.replace(r"'#\s*\d+'", "'(unclosed'");
        let errs = NameRules::parse(Path::new("employer.toml"), &text).err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 5, "{}", errs[0]);
        assert!(errs[0].reason.contains("(unclosed"));
    }
}
