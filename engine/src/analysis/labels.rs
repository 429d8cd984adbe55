//! Chinese names for the codes the reports print, so a sentence says 高处坠落 rather than
//! 09. Codes without a name print as themselves; unknown values print as 不详.

use std::collections::HashMap;

use super::trends::Dimension;
use crate::catalog::Catalog;
use crate::codes::CodeTable;

#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub accident_type: HashMap<String, String>,
    pub body_part: HashMap<String, String>,
    pub injury_nature: HashMap<String, String>,
    /// GB/T 4754 sections and 2-digit divisions.
    pub industry: HashMap<String, String>,
}

impl Labels {
    /// GB 6441-86 accident types, body parts and injury natures, and GB/T 4754 divisions.
    pub fn from_catalog(c: &Catalog) -> Self {
        let map = |t: &CodeTable| t.entries.iter().map(|e| (e.code.clone(), e.name_zh.clone())).collect();
        Self {
            accident_type: map(&c.accident_type_86),
            body_part: map(&c.body_part),
            injury_nature: map(&c.injury_nature),
            industry: map(&c.industry),
        }
    }

    pub fn accident_type(&self, code: Option<&str>) -> String {
        name(&self.accident_type, code)
    }

    pub fn body_part(&self, code: Option<&str>) -> String {
        name(&self.body_part, code)
    }

    pub fn injury_nature(&self, code: Option<&str>) -> String {
        name(&self.injury_nature, code)
    }

    /// A trend category's name in its dimension (a job is its own name).
    pub fn category(&self, dimension: Dimension, key: Option<&str>) -> String {
        match dimension {
            Dimension::AccidentType => self.accident_type(key),
            Dimension::BodyPart => self.body_part(key),
            Dimension::InjuryNature => self.injury_nature(key),
            Dimension::Job => self.job(key),
        }
    }

    /// A division as the focus lists key it (`C26`): its name, else the key.
    pub fn division(&self, key: &str) -> String {
        let digits = key.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        self.industry.get(digits).cloned().unwrap_or_else(|| key.to_string())
    }

    pub fn job(&self, job: Option<&str>) -> String {
        job.map_or_else(|| "岗位不详".to_string(), str::to_string)
    }
}

fn name(map: &HashMap<String, String>, code: Option<&str>) -> String {
    match code {
        Some(c) => map.get(c).cloned().unwrap_or_else(|| c.to_string()),
        None => "不详".to_string(),
    }
}
