//! Everything under `rules/` that imports and models read: code tables, crosswalks and
//! name rules, validated together so one run reports every problem with file:line.

use std::path::{Path, PathBuf};

use crate::codes::{CodeTable, format};
use crate::mapping::{MappingRow, MappingTable, Match};

/// Event-based types that lifting equipment turns into 起重伤害 (04).
const LIFTING_OVERRIDABLE: [&str; 4] = ["01", "03", "05", "09"];
use crate::names::NameRules;
use crate::narrative_jobs::{self, NarrativeJobs};
use crate::rule_error::{RuleError, RuleErrors};
use crate::rule_source::RuleSource;

#[derive(Debug, Clone)]
pub struct Catalog {
    pub accident_type_86: CodeTable,
    pub accident_type_2025: CodeTable,
    pub body_part: CodeTable,
    pub injury_nature: CodeTable,
    pub industry: CodeTable,
    pub region: CodeTable,
    pub oiics_event: MappingTable,
    pub oiics_nature: MappingTable,
    pub oiics_body_part: MappingTable,
    pub naics: MappingTable,
    pub msha_accident_type: MappingTable,
    pub msha_nature: MappingTable,
    pub msha_body_part: MappingTable,
    /// MSHA classification overrides the accident type where it names a mining
    /// accident kind (roof fall → 冒顶片帮, inundation → 透水, ...).
    pub msha_classification: MappingTable,
    /// OIICS source of injury naming lifting equipment turns a struck-by, caught-in,
    /// electrical or fall event into 起重伤害 (see [`Catalog::oiics_accident_type`]).
    pub oiics_source_override: MappingTable,
    /// GB 6441-86 type → GB 6441-2025 category where the two correspond one to one.
    pub gb86_to_2025: MappingTable,
    pub employer_names: NameRules,
    /// The injured worker's job in OSHA narratives (the file has no job column).
    pub osha_narrative_jobs: NarrativeJobs,
}

struct Loader {
    source: RuleSource,
    errors: Vec<RuleError>,
}

impl Loader {
    fn read(&mut self, rel: &str) -> Option<(PathBuf, String)> {
        match self.source.read(Path::new(rel)) {
            Ok(t) => Some((t.path, t.text)),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    fn keep<T>(&mut self, r: Result<T, Vec<RuleError>>) -> Option<T> {
        r.map_err(|e| self.errors.extend(e)).ok()
    }

    fn codes(&mut self, rel: &str, check: fn(&str) -> Result<(), String>) -> Option<CodeTable> {
        let (path, text) = self.read(rel)?;
        self.keep(CodeTable::parse(&path, &text, check))
    }

    fn mapping(
        &mut self,
        rel: &str,
        m: Match,
        targets: Option<&CodeTable>,
        t2025: Option<&CodeTable>,
    ) -> Option<MappingTable> {
        let (path, text) = self.read(rel)?;
        // Without its target table the crosswalk cannot be checked; that table's own
        // errors are already reported.
        let targets = targets?;
        self.keep(MappingTable::parse(&path, &text, m, targets, t2025))
    }
}

impl Catalog {
    /// [`Catalog::load_from`] a rules directory.
    pub fn load(dir: &Path) -> Result<Self, RuleErrors> {
        Self::load_from(&RuleSource::Dir(dir.to_path_buf()))
    }

    /// Loads every table from `source` (a rules directory, or the built-in files).
    pub fn load_from(source: &RuleSource) -> Result<Self, RuleErrors> {
        let source = source.clone();
        let root = source.path(Path::new(""));
        let mut l = Loader { source, errors: Vec::new() };
        let accident_type_86 = l.codes("codes/gb6441_86_accident_type.csv", format::two_digits);
        let accident_type_2025 = l.codes("codes/gb6441_2025_accident_type.csv", format::any);
        let body_part = l.codes("codes/gb6441_86_body_part.csv", format::annex);
        let injury_nature = l.codes("codes/gb6441_86_injury_nature.csv", format::annex);
        let industry = l.codes("codes/gbt4754_2017_division.csv", format::industry);
        let region = l.codes("codes/gbt2260_region.csv", format::region);
        if let Some(t) = &accident_type_2025 {
            // The 2025 edition is keyed by name: a code that differs from its name would
            // be an invented number.
            for e in t.entries.iter().filter(|e| e.code != e.name_zh) {
                let path = l.source.path(Path::new("codes/gb6441_2025_accident_type.csv"));
                l.errors.push(RuleError::new(
                    &path,
                    0,
                    format!("code {:?} must equal its name {:?}", e.code, e.name_zh),
                ));
            }
        }
        let oiics_event = l.mapping(
            "mappings/oiics_event_to_gb6441.csv",
            Match::LongestPrefix,
            accident_type_86.as_ref(),
            accident_type_2025.as_ref(),
        );
        let oiics_nature =
            l.mapping("mappings/oiics_nature_to_gb6441.csv", Match::LongestPrefix, injury_nature.as_ref(), None);
        let oiics_body_part =
            l.mapping("mappings/oiics_body_part_to_gb6441.csv", Match::LongestPrefix, body_part.as_ref(), None);
        let naics = l.mapping("mappings/naics_to_gbt4754.csv", Match::LongestPrefix, industry.as_ref(), None);
        let msha_accident_type = l.mapping(
            "mappings/msha_accident_type_to_gb6441.csv",
            Match::Exact,
            accident_type_86.as_ref(),
            accident_type_2025.as_ref(),
        );
        let msha_nature = l.mapping("mappings/msha_nature_to_gb6441.csv", Match::Exact, injury_nature.as_ref(), None);
        let msha_body_part = l.mapping("mappings/msha_body_part_to_gb6441.csv", Match::Exact, body_part.as_ref(), None);
        let msha_classification = l.mapping(
            "mappings/msha_classification_to_gb6441.csv",
            Match::Exact,
            accident_type_86.as_ref(),
            accident_type_2025.as_ref(),
        );
        let oiics_source_override = l.mapping(
            "mappings/oiics_source_to_gb6441_override.csv",
            Match::LongestPrefix,
            accident_type_86.as_ref(),
            accident_type_2025.as_ref(),
        );
        let gb86_to_2025 = l.mapping("mappings/gb6441_86_to_2025.csv", Match::Exact, accident_type_2025.as_ref(), None);
        let employer_names = l.read("names/employer.toml").and_then(|(p, t)| {
            let r = NameRules::parse(&p, &t);
            l.keep(r)
        });
        let osha_narrative_jobs = l.read(narrative_jobs::FILE).and_then(|(p, t)| {
            let r = NarrativeJobs::parse(&p, &t);
            l.keep(r)
        });
        if !l.errors.is_empty() {
            return Err(RuleErrors(l.errors));
        }
        // Every table that failed to load left an error, so all are present here.
        let some = |name: &str| RuleErrors(vec![RuleError::new(&root, 0, format!("{name} did not load"))]);
        Ok(Self {
            accident_type_86: accident_type_86.ok_or_else(|| some("accident_type_86"))?,
            accident_type_2025: accident_type_2025.ok_or_else(|| some("accident_type_2025"))?,
            body_part: body_part.ok_or_else(|| some("body_part"))?,
            injury_nature: injury_nature.ok_or_else(|| some("injury_nature"))?,
            industry: industry.ok_or_else(|| some("industry"))?,
            region: region.ok_or_else(|| some("region"))?,
            oiics_event: oiics_event.ok_or_else(|| some("oiics_event"))?,
            oiics_nature: oiics_nature.ok_or_else(|| some("oiics_nature"))?,
            oiics_body_part: oiics_body_part.ok_or_else(|| some("oiics_body_part"))?,
            naics: naics.ok_or_else(|| some("naics"))?,
            msha_accident_type: msha_accident_type.ok_or_else(|| some("msha_accident_type"))?,
            msha_nature: msha_nature.ok_or_else(|| some("msha_nature"))?,
            msha_body_part: msha_body_part.ok_or_else(|| some("msha_body_part"))?,
            msha_classification: msha_classification.ok_or_else(|| some("msha_classification"))?,
            oiics_source_override: oiics_source_override.ok_or_else(|| some("oiics_source_override"))?,
            gb86_to_2025: gb86_to_2025.ok_or_else(|| some("gb86_to_2025"))?,
            employer_names: employer_names.ok_or_else(|| some("employer_names"))?,
            osha_narrative_jobs: osha_narrative_jobs.ok_or_else(|| some("osha_narrative_jobs"))?,
        })
    }

    /// The versions of every table, for import records and `zhicha rules check`.
    pub fn versions(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("codes/gb6441_86_accident_type", &self.accident_type_86.version),
            ("codes/gb6441_2025_accident_type", &self.accident_type_2025.version),
            ("codes/gb6441_86_body_part", &self.body_part.version),
            ("codes/gb6441_86_injury_nature", &self.injury_nature.version),
            ("codes/gbt4754_2017_division", &self.industry.version),
            ("codes/gbt2260_region", &self.region.version),
            ("mappings/oiics_event_to_gb6441", &self.oiics_event.version),
            ("mappings/oiics_nature_to_gb6441", &self.oiics_nature.version),
            ("mappings/oiics_body_part_to_gb6441", &self.oiics_body_part.version),
            ("mappings/naics_to_gbt4754", &self.naics.version),
            ("mappings/msha_accident_type_to_gb6441", &self.msha_accident_type.version),
            ("mappings/msha_nature_to_gb6441", &self.msha_nature.version),
            ("mappings/msha_body_part_to_gb6441", &self.msha_body_part.version),
            ("mappings/msha_classification_to_gb6441", &self.msha_classification.version),
            ("mappings/oiics_source_to_gb6441_override", &self.oiics_source_override.version),
            ("mappings/gb6441_86_to_2025", &self.gb86_to_2025.version),
            ("names/employer", &self.employer_names.version),
            ("mappings/osha_narrative_jobs", &self.osha_narrative_jobs.version),
        ]
    }

    /// GB 6441 accident type of an OIICS-coded record: the event crosswalk, except that
    /// lifting equipment as (secondary) source makes a struck-by, caught-in,
    /// electrical or fall event 起重伤害, as GB 6441-86 defines it for lifting work.
    pub fn oiics_accident_type(&self, event: &str, sources: &[&str]) -> Option<&MappingRow> {
        let by_event = self.oiics_event.lookup(event)?;
        if !LIFTING_OVERRIDABLE.contains(&by_event.target.as_str()) {
            return Some(by_event);
        }
        Some(sources.iter().find_map(|s| self.oiics_source_override.lookup(s)).unwrap_or(by_event))
    }

    /// GB 6441 accident type of an MSHA record: its classification where the
    /// override table names it, else its accident type.
    pub fn msha_accident_type_of(&self, accident_type: &str, classification: &str) -> Option<&MappingRow> {
        self.msha_classification.lookup(classification).or_else(|| self.msha_accident_type.lookup(accident_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_rules() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
    }

    #[test]
    fn the_committed_rules_load() {
        let c = Catalog::load(&repo_rules()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.accident_type_86.len(), 20);
        assert_eq!(c.accident_type_2025.len(), 27);
        assert_eq!(c.body_part.len(), 15);
        assert_eq!(c.injury_nature.len(), 18);
        assert!(c.region.contains("640200"));
    }

    #[test]
    fn crosswalks_answer_the_common_osha_events() {
        let c = Catalog::load(&repo_rules()).unwrap_or_else(|e| panic!("{e}"));
        let t = |event: &str, sources: &[&str]| c.oiics_accident_type(event, sources).map(|r| r.target.clone());
        assert_eq!(t("6411", &[]), Some("03".into()), "caught in running machinery");
        assert_eq!(t("4331", &[]), Some("09".into()), "fall to lower level");
        assert_eq!(t("6220", &["343"]), Some("04".into()), "struck by, crane as source");
        assert_eq!(c.naics.lookup("325199").map(|r| r.target.as_str()), Some("26"));
        assert_eq!(c.gb86_to_2025.lookup("15").map(|r| r.target.as_str()), Some("可燃气体爆炸"));
        assert!(c.gb86_to_2025.lookup("02").is_none(), "车辆伤害 splits into two 2025 categories");
    }

    #[test]
    fn every_problem_is_reported_with_its_file() {
        let dir = std::env::temp_dir().join(format!("zhicha-rules-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&repo_rules(), &dir);
        let bad = dir.join("mappings/oiics_event_to_gb6441.csv");
        let text = std::fs::read_to_string(&bad).unwrap_or_default();
        std::fs::write(&bad, text.replacen(",09,", ",99,", 1)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(dir.join("names/employer.toml")).unwrap_or_else(|e| panic!("{e}"));
        let errs = Catalog::load(&dir).err().unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(errs.0.len(), 2, "{errs}");
        assert!(
            errs.0[0].to_string().contains("oiics_event_to_gb6441.csv:") && errs.0[0].reason.contains("\"99\""),
            "{errs}"
        );
        assert!(errs.0[1].to_string().contains("employer.toml: cannot read"), "{errs}");
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
        for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")).flatten() {
            let p = entry.path();
            if p.is_dir() {
                copy_dir(&p, &to.join(entry.file_name()));
            } else {
                std::fs::copy(&p, to.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}
