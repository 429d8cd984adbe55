//! The column mapping of a roster file: which header holds which field. The typical
//! social-insurance export is `rules/mappings/roster_social_insurance.toml`, also built
//! into the binary so that a server run outside its checkout still reads rosters.

use std::path::Path;

use serde::Deserialize;

/// The mapping used when none is named.
pub const DEFAULT: &str = "roster_social_insurance";

const BUILT_IN: &str = include_str!("../../../../rules/mappings/roster_social_insurance.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The mapping's name, as runs record it.
    pub name: String,
    pub columns: Columns,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub credit_code: String,
    pub name: String,
    pub industry: String,
    pub region: String,
    pub insured_workers: Option<String>,
    pub workforce: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
}

impl Mapping {
    /// A mapping file's text; errors name `label` and the line.
    pub fn parse(label: &str, text: &str) -> anyhow::Result<Self> {
        let m: Mapping = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| zhicha_engine::rule_error::line_of(text, s.start));
            anyhow::anyhow!("{label}:{line}: {}", e.message())
        })?;
        if m.name.trim().is_empty() {
            anyhow::bail!("{label}: name must not be empty");
        }
        Ok(m)
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The mapping named `name` (`[a-z0-9_-]`, no path): `rules/mappings/<name>.toml`
    /// under `rules_dir`, else the built-in one of that name. `None` when neither exists.
    pub fn named(rules_dir: &Path, name: &str) -> Option<anyhow::Result<Self>> {
        if name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return None;
        }
        let path = rules_dir.join("mappings").join(format!("{name}.toml"));
        if path.is_file() {
            return Some(Self::load(&path));
        }
        (name == DEFAULT).then(|| Self::parse(DEFAULT, BUILT_IN))
    }

    /// Every header the mapping names; all must be in the file.
    pub fn required(&self) -> Vec<&str> {
        let c = &self.columns;
        [
            Some(&c.credit_code),
            Some(&c.name),
            Some(&c.industry),
            Some(&c.region),
            c.insured_workers.as_ref(),
            c.workforce.as_ref(),
            c.address.as_ref(),
            c.latitude.as_ref(),
            c.longitude.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_mapping_reads() {
        let m = Mapping::parse(DEFAULT, BUILT_IN).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.name, DEFAULT);
        assert_eq!(m.columns.credit_code, "统一社会信用代码");
        assert!(Mapping::named(Path::new("/nonexistent"), DEFAULT).is_some());
        assert!(Mapping::named(Path::new("/nonexistent"), "../etc/passwd").is_none());
    }
}
