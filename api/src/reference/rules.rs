//! Everything under `rules/`, loaded and validated together: code tables and
//! crosswalks, the hazard library, the industry profiles the ranking reads and the
//! trigger rules of the escalation ladder. An
//! invalid file stops start-up; nothing is served from half a library.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zhicha_engine::hazards::{self, HazardLibrary};
use zhicha_engine::recommend::IndustryProfiles;
use zhicha_engine::triggers::{self, TriggerRules};
use zhicha_engine::{Catalog, RuleErrors, RuleSource};

use super::builtin;

/// The loaded rules.
pub struct Rules {
    pub catalog: Arc<Catalog>,
    pub hazards: Arc<HazardLibrary>,
    pub profiles: Arc<IndustryProfiles>,
    pub triggers: Arc<TriggerRules>,
    /// Key industries and new-employment keywords for the bureaus' analysis.
    pub analysis: Arc<zhicha_engine::analysis::AnalysisRules>,
}

impl Clone for Rules {
    fn clone(&self) -> Self {
        Self {
            catalog: self.catalog.clone(),
            hazards: self.hazards.clone(),
            profiles: self.profiles.clone(),
            triggers: self.triggers.clone(),
            analysis: self.analysis.clone(),
        }
    }
}

/// Where the rules come from for `rules.dir`: empty (the default) is the library built
/// into the binary, a directory overrides it.
pub fn source(dir: &Path) -> RuleSource {
    if dir.as_os_str().is_empty() { builtin::rules() } else { RuleSource::Dir(dir.to_path_buf()) }
}

/// Loads and validates every rule file from `rules.dir` (see [`source`]); all problems
/// at once, each as file:line.
pub fn load(dir: &Path) -> Result<Rules, RuleErrors> {
    let src = source(dir);
    let catalog = Catalog::load_from(&src)?;
    let library = hazards::load_from(&src, &catalog)?;
    let profiles = IndustryProfiles::load_from(&src, &library.vocabulary, &catalog)?;
    profiles.ranking.check_items(&library)?;
    let triggers = triggers::load_from(&src, &catalog)?;
    let analysis = zhicha_engine::analysis::rules::load_from(&src)?;
    Ok(Rules {
        catalog: Arc::new(catalog),
        hazards: Arc::new(library),
        profiles: Arc::new(profiles),
        triggers: Arc::new(triggers),
        analysis: Arc::new(analysis),
    })
}

static LOADED: Mutex<Option<HashMap<PathBuf, Rules>>> = Mutex::new(None);

/// [`load`], once per source per process (the built-in library under the empty path):
/// the service reads its rules at start-up and does not watch them (restart to apply an
/// edit), so an application built again in the same process (the tests) need not parse
/// 1,500 items again.
pub fn load_once(dir: &Path) -> Result<Rules, RuleErrors> {
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Ok(guard) = LOADED.lock()
        && let Some(r) = guard.as_ref().and_then(|m| m.get(&key))
    {
        return Ok(r.clone());
    }
    let rules = load(dir)?;
    if let Ok(mut guard) = LOADED.lock() {
        guard.get_or_insert_with(HashMap::new).insert(key, rules.clone());
    }
    Ok(rules)
}

/// What `zhicha rules check` prints for valid rules: every file with its version.
pub fn summary(r: &Rules) -> Vec<String> {
    let mut out: Vec<String> = r.catalog.versions().into_iter().map(|(t, v)| format!("ok  {t}  version {v}")).collect();
    let jobs = &r.catalog.osha_narrative_jobs;
    out.push(format!(
        "osha narrative jobs {}: {} jobs, {} phrases",
        jobs.version,
        jobs.jobs.len(),
        jobs.listed_phrases
    ));
    for (file, version) in &r.hazards.files {
        out.push(format!("ok  {}  version {version}", file.display()));
    }
    let active = r.hazards.active().count();
    out.push(format!("hazard library {}: {} items, {active} active", r.hazards.version, r.hazards.items.len()));
    let (_, n) = zhicha_engine::hazards::lint::lint(&r.hazards);
    let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    out.push(format!(
        "  legal basis: {} entries, {} with an article or clause ({:.0}%); pass criteria with a figure: {} of {} ({:.0}%); vague titles: {}",
        n.legal_basis,
        n.with_article,
        pct(n.with_article, n.legal_basis),
        n.quantitative,
        n.items,
        pct(n.quantitative, n.items),
        n.vague_titles
    ));
    out.push(format!("ranking {}", r.profiles.ranking.version));
    for (file, version) in &r.triggers.files {
        out.push(format!("ok  {}  version {version}", file.display()));
    }
    out.push(format!(
        "trigger rules {}: {} rules on {} levels",
        r.triggers.version,
        r.triggers.rules.len(),
        r.triggers.levels.len()
    ));
    out.push(format!(
        "analysis rules {}: {} key industries, {} new-employment keywords",
        r.analysis.version,
        r.analysis.key_industries.len(),
        r.analysis.new_employment_keywords.len()
    ));
    out
}
