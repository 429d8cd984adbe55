//! The development set's files: `*.toml` under a directory, each a list of findings.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

/// A hazard an inspector recorded at a real site, as the set holds it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub id: String,
    /// GB/T 4754-2017 code of the inspected site (class, or division where the notice
    /// says no more).
    pub industry: String,
    /// The hazard, restated in the set's own words.
    pub hazard: String,
    /// Where it was published.
    pub source: String,
    pub issuer: String,
    #[serde(default)]
    pub published: Option<String>,
    /// Items that cover it fully.
    #[serde(default)]
    pub items: Vec<String>,
    /// Items that cover it in part (recorded, not counted).
    #[serde(default)]
    pub partial: Vec<String>,
    /// Process conditions and equipment the site evidently has.
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub equipment: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    #[allow(dead_code)]
    version: String,
    #[serde(default, rename = "finding")]
    findings: Vec<Finding>,
}

/// Every finding of every `*.toml` file under `dir` (sorted by file name); an id seen
/// twice or a file that does not parse is an error naming the file and line.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<Finding>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let text =
            std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let file: SetFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(0, |s| zhicha_engine::rule_error::line_of(&text, s.start));
            anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
        })?;
        for f in file.findings {
            if !seen.insert(f.id.clone()) {
                anyhow::bail!("{}: finding {} appears twice in the set", path.display(), f.id);
            }
            out.push(f);
        }
    }
    Ok(out)
}
