//! Employer-name resolution for name-keyed imports (OSHA has no registry number).
//!
//! The rules are data (`rules/names/employer.toml`); this module only applies them, in
//! this order: upper-case and punctuation folding, aliases (first matching pattern
//! gives the canonical name), "doing business as" split (the legal name before the
//! marker is kept), removal of store/branch numbers, removal of trailing legal
//! suffixes, whitespace folding. Chinese enterprises carry a credit code instead.

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
}

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
        })
    }

    /// The resolved enterprise key of a raw employer name; empty input gives "".
    pub fn normalise(&self, raw: &str) -> String {
        let folded = fold(raw);
        if let Some((canonical, _)) = self.aliases.iter().find(|(_, ps)| ps.iter().any(|p| p.is_match(&folded))) {
            return canonical.clone();
        }
        let mut name = folded.clone();
        for marker in &self.dba_markers {
            let needle = format!(" {marker} ");
            if let Some(at) = format!(" {name} ").find(&needle) {
                name = name[..at.min(name.len())].to_string();
            }
        }
        for p in &self.drop_patterns {
            name = p.replace_all(&name, " ").into_owned();
        }
        let mut words: Vec<&str> = name.split_whitespace().collect();
        while words.len() > 1 && words.last().is_some_and(|w| self.legal_suffixes.iter().any(|s| s == w)) {
            words.pop();
        }
        let out = words.join(" ");
        if out.is_empty() { folded } else { out }
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
