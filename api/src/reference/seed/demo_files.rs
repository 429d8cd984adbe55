//! The files of `seeds/demo/`, parsed and checked.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zhicha_engine::{Catalog, CreditCode, IndustryCode, RegionCode};

use crate::reference::builtin;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub version: String,
    pub city: String,
    #[serde(rename = "organisation")]
    pub organisations: Vec<Organisation>,
    #[serde(rename = "user")]
    pub users: Vec<User>,
    #[serde(rename = "expert")]
    pub experts: Vec<Expert>,
    /// GB/T 4754 division → jobs (岗位) accidents are attributed to.
    pub jobs: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub key: String,
    pub kind: String,
    pub name: String,
    pub region: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub role: String,
    pub name: String,
    pub organisation: Option<String>,
    pub region: Option<String>,
    pub username: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expert {
    pub name: String,
    pub title: String,
    pub region: String,
    pub lat: f64,
    pub lon: f64,
    pub industries: Vec<String>,
    pub accident_types: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Enterprise {
    pub key: String,
    pub credit_code: String,
    pub name: String,
    pub industry_code: String,
    pub region_code: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub workforce: i32,
    pub insured_workers: i32,
    pub risk_class: i16,
    pub standardisation_grade: String,
    /// Expected accidents a year, used only to generate the history.
    pub annual_accident_rate: f64,
}

impl Enterprise {
    pub fn division(&self) -> &str {
        self.industry_code.get(1..3).unwrap_or("")
    }
}

pub struct DemoFiles {
    pub city: City,
    pub enterprises: Vec<Enterprise>,
}

/// A demo file's path (for messages) and text: from `demo.dir`, or built into the
/// binary when `demo.dir` is empty (the default).
pub fn file(dir: &Path, name: &str) -> anyhow::Result<(PathBuf, Cow<'static, str>)> {
    if dir.as_os_str().is_empty() {
        let text = builtin::demo_file(name).ok_or_else(|| anyhow::anyhow!("no built-in demo file {name}"))?;
        return Ok((builtin::demo_path(name), Cow::Borrowed(text)));
    }
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok((path, Cow::Owned(text)))
}

/// Which demo city is in force, for messages.
pub fn describe(dir: &Path) -> String {
    if dir.as_os_str().is_empty() { "built-in seeds/demo".to_string() } else { format!("directory {}", dir.display()) }
}

/// Reads and checks `city.toml` and `enterprises.csv`: codes must parse and regions
/// must be in the rules' region table.
pub fn read(dir: &Path, catalog: &Catalog) -> anyhow::Result<DemoFiles> {
    let (path, text) = file(dir, "city.toml")?;
    let city: City = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(0, |s| zhicha_engine::rule_error::line_of(&text, s.start));
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
    })?;
    let (path, text) = file(dir, "enterprises.csv")?;
    let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    let mut enterprises = Vec::new();
    let mut problems = Vec::new();
    for (i, row) in reader.deserialize::<Enterprise>().enumerate() {
        match row {
            Ok(e) => {
                let mut check = |r: Result<(), String>| {
                    if let Err(msg) = r {
                        problems.push(format!("{}: enterprise {}: {msg}", path.display(), e.key));
                    }
                };
                check(CreditCode::parse(&e.credit_code).map(|_| ()).map_err(|x| x.to_string()));
                check(IndustryCode::parse(&e.industry_code).map(|_| ()).map_err(|x| x.to_string()));
                check(RegionCode::parse(&e.region_code).map(|_| ()).map_err(|x| x.to_string()));
                check(if catalog.region.contains(&e.region_code) {
                    Ok(())
                } else {
                    Err(format!("region {} unknown", e.region_code))
                });
                enterprises.push(e);
            }
            Err(e) => problems.push(format!("{}: row {}: {e}", path.display(), i + 1)),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("demo seed files are invalid:\n{}", problems.join("\n"));
    }
    Ok(DemoFiles { city, enterprises })
}
