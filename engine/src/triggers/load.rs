//! Reading `rules/triggers/`: `levels.toml` (the ladder) and every other `*.toml` there
//! (rules), checked together: unique ids across files, levels the rules name exist.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::model::TriggerRules;
use super::raw::{RawLevels, RawRuleFile};
use super::validate::{self, Check};
use crate::catalog::Catalog;
use crate::hazards::Text;
use crate::rule_error::{RuleError, RuleErrors};
use crate::rule_source::RuleSource;

pub const DIR: &str = "triggers";
pub const LEVELS: &str = "triggers/levels.toml";

/// [`load_from`] a rules directory.
pub fn load(rules_dir: &Path, catalog: &Catalog) -> Result<TriggerRules, RuleErrors> {
    load_from(&RuleSource::Dir(rules_dir.to_path_buf()), catalog)
}

/// Loads and validates the trigger rules from `source` (a rules directory holding
/// `codes/` and `triggers/`, or the built-in files). Every problem is reported as
/// file:line; nothing partial is returned.
pub fn load_from(source: &RuleSource, catalog: &Catalog) -> Result<TriggerRules, RuleErrors> {
    let mut errors = Vec::new();
    let levels = source.read(Path::new(LEVELS)).map_err(|e| errors.push(e)).ok();
    // Rule files: every other `*.toml` directly in `triggers/`.
    let rels: Vec<PathBuf> = source
        .list(Path::new(DIR), &mut errors)
        .into_iter()
        .filter(|r| {
            r.parent() == Some(Path::new(DIR)) && r.extension().is_some_and(|x| x == "toml") && r != Path::new(LEVELS)
        })
        .collect();
    let files: Vec<Text> = rels.iter().filter_map(|r| source.read(r).map_err(|e| errors.push(e)).ok()).collect();
    let Some(levels) = levels else { return Err(RuleErrors(errors)) };
    match from_texts(&levels, &files, catalog) {
        Ok(t) if errors.is_empty() => Ok(t),
        Ok(_) => Err(RuleErrors(errors)),
        Err(e) => {
            errors.extend(e.0);
            Err(RuleErrors(errors))
        }
    }
}

/// Validates trigger rules given as texts (tests, and any caller with its own files).
pub fn from_texts(levels: &Text, files: &[Text], catalog: &Catalog) -> Result<TriggerRules, RuleErrors> {
    let mut errors = Vec::new();
    let mut hash = Fnv::new();
    hash.write(levels.text.as_bytes());
    let mut versions = Vec::new();
    let ladder = match toml::from_str::<RawLevels>(&levels.text) {
        Ok(raw) => {
            let mut c = Check { file: &levels.path, text: &levels.text, catalog, errors: &mut errors };
            let ok = header(&mut c, &raw.version);
            let ladder = validate::levels(&mut c, &raw);
            if ok {
                versions.push((levels.rel.clone(), raw.version.into_inner()));
            }
            ladder
        }
        Err(e) => {
            errors.push(toml_error(&levels.path, &levels.text, &e));
            Vec::new()
        }
    };

    let mut rules = Vec::new();
    let mut first: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for f in files {
        hash.write(f.rel.to_string_lossy().as_bytes());
        hash.write(f.text.as_bytes());
        let raw: RawRuleFile = match toml::from_str(&f.text) {
            Ok(r) => r,
            Err(e) => {
                errors.push(toml_error(&f.path, &f.text, &e));
                continue;
            }
        };
        let mut c = Check { file: &f.path, text: &f.text, catalog, errors: &mut errors };
        let ok = header(&mut c, &raw.version);
        if raw.title.get_ref().trim().is_empty() {
            let l = c.at(&raw.title);
            c.err(l, "empty `title`");
        }
        if raw.rule.is_empty() {
            c.err(0, "the file has no [[rule]]");
        }
        for r in &raw.rule {
            let line = c.at(r);
            let Some(rule) = validate::rule(&mut c, &f.rel, line, r.get_ref(), &ladder) else { continue };
            if let Some((path, l)) = first.get(&rule.id) {
                c.err(rule.line, format!("id {} repeats {}:{l}", rule.id, path.display()));
                continue;
            }
            first.insert(rule.id.clone(), (f.path.clone(), rule.line));
            rules.push(rule);
        }
        if ok {
            versions.push((f.rel.clone(), raw.version.into_inner()));
        }
    }
    if files.is_empty() {
        errors.push(RuleError::new(
            levels.path.parent().unwrap_or(Path::new(DIR)),
            0,
            "no rule files beside levels.toml",
        ));
    }
    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    let newest = versions.iter().map(|(_, v)| v.as_str()).max().unwrap_or("");
    let version = format!("{newest}+{:08x}", hash.0 as u32);
    Ok(TriggerRules { version, levels: ladder, rules, files: versions })
}

/// A non-empty `version`, agreeing with the `# version:` comment on top when there is one.
fn header(c: &mut Check<'_>, version: &Spanned<String>) -> bool {
    let v = version.get_ref().trim();
    if v.is_empty() {
        let l = c.at(version);
        c.err(l, "empty `version`");
        return false;
    }
    if let Some(top) = c.text.lines().next().and_then(|l| l.strip_prefix("# version:"))
        && top.trim() != v
    {
        c.err(1, format!("`# version:` {:?} differs from `version`", top.trim()));
        return false;
    }
    true
}

fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> RuleError {
    crate::rule_error::toml_error(file, text, e)
}

/// FNV-1a, 64 bits: a stable content hash for the rule-set version.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
