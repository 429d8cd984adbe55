//! Reading `rules/hazards/`: the vocabulary and sources files at the top, item files in
//! its subdirectories (`general/`, `major/`, `industry/`, ...), then the checks across
//! files: unique ids, `superseded_by` targets, duplicate texts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::dedup;
use super::model::{HazardItem, HazardLibrary, Status};
use super::raw::RawFile;
use super::validate::{self, Context, FileCheck, Lines};
use super::vocabulary::{Sources, Vocabulary, toml_error};
use crate::catalog::Catalog;
use crate::rule_error::{RuleError, RuleErrors};
use crate::rule_source::RuleSource;

pub const VOCABULARY: &str = "hazards/vocabulary.toml";
pub const SOURCES: &str = "hazards/sources.toml";
const ITEMS_DIR: &str = "hazards";

pub use crate::rule_source::Text;

/// [`load_from`] a rules directory.
pub fn load(rules_dir: &Path, catalog: &Catalog) -> Result<HazardLibrary, RuleErrors> {
    load_from(&RuleSource::Dir(rules_dir.to_path_buf()), catalog)
}

/// Loads and validates the hazard library from `source` (a rules directory holding
/// `codes/` and `hazards/`, or the built-in files) against the catalog's code tables.
/// Every problem is reported, each as file:line with its reason; nothing partial is
/// returned.
pub fn load_from(source: &RuleSource, catalog: &Catalog) -> Result<HazardLibrary, RuleErrors> {
    let mut errors = Vec::new();
    let read =
        |rel: &Path, errors: &mut Vec<RuleError>| -> Option<Text> { source.read(rel).map_err(|e| errors.push(e)).ok() };
    let vocabulary = read(Path::new(VOCABULARY), &mut errors);
    let sources = read(Path::new(SOURCES), &mut errors);
    // Item files are the `*.toml` in the subdirectories of `hazards/`: its top level
    // holds the vocabulary and sources, not items.
    let rels: Vec<PathBuf> = source
        .list(Path::new(ITEMS_DIR), &mut errors)
        .into_iter()
        .filter(|r| r.components().count() > 2 && r.extension().is_some_and(|e| e == "toml"))
        .collect();
    let mut files = Vec::new();
    for rel in rels {
        files.extend(read(&rel, &mut errors));
    }
    if files.is_empty() && errors.is_empty() {
        errors.push(RuleError::new(&source.path(Path::new(ITEMS_DIR)), 0, "no item files in subdirectories"));
    }
    let (Some(vocabulary), Some(sources)) = (vocabulary, sources) else {
        return Err(RuleErrors(errors));
    };
    match from_texts(&vocabulary, &sources, &files, catalog) {
        Ok(lib) if errors.is_empty() => Ok(lib),
        Ok(_) => Err(RuleErrors(errors)),
        Err(e) => {
            errors.extend(e.0);
            Err(RuleErrors(errors))
        }
    }
}

/// Validates a library given as texts (also used by tests and by imports, which check
/// their items against the same vocabulary, sources and codes).
pub fn from_texts(
    vocabulary: &Text,
    sources: &Text,
    files: &[Text],
    catalog: &Catalog,
) -> Result<HazardLibrary, RuleErrors> {
    let mut errors = Vec::new();
    let vocab = Vocabulary::parse(&vocabulary.path, &vocabulary.text).map_err(|e| errors.extend(e)).ok();
    let srcs = Sources::parse(&sources.path, &sources.text).map_err(|e| errors.extend(e)).ok();
    let (Some(vocab), Some(srcs)) = (vocab, srcs) else {
        return Err(RuleErrors(errors));
    };
    let ctx = Context { catalog, vocabulary: &vocab, sources: &srcs };
    let mut items: Vec<HazardItem> = Vec::new();
    // Per item: the file it came from (index into `files`) and its id's line.
    let mut at: Vec<(usize, usize)> = Vec::new();
    let mut file_versions = Vec::new();
    let mut hash = Fnv::new();
    for t in [vocabulary, sources] {
        hash.write(t.text.as_bytes());
    }
    for (fi, f) in files.iter().enumerate() {
        hash.write(f.rel.to_string_lossy().as_bytes());
        hash.write(f.text.as_bytes());
        let raw: RawFile = match toml::from_str(&f.text) {
            Ok(r) => r,
            Err(e) => {
                errors.push(toml_error(&f.path, &f.text, &e));
                continue;
            }
        };
        let lines = Lines::new(&f.text);
        let mut fc = FileCheck { file: &f.path, rel: &f.rel, lines: &lines, errors: &mut errors };
        let header_ok = check_header(&mut fc, &raw, &f.text);
        let defaults = raw.defaults.unwrap_or_default();
        for (name, span) in defaults.item_only_fields() {
            let line = lines.of(span.start);
            fc.errors.push(RuleError::new(&f.path, line, format!("`{name}` belongs to an item, not to [defaults]")));
        }
        if raw.item.is_empty() {
            fc.errors.push(RuleError::new(&f.path, 0, "the file has no [[item]]"));
        }
        for it in raw.item {
            let item_line = lines.of(it.span().start);
            let merged = it.into_inner().merged(&defaults);
            let id_line = merged.id.as_ref().map_or(item_line, |s| lines.of(s.span().start));
            if let Some(item) = validate::item(&ctx, &mut fc, id_line, raw.id_prefix.get_ref(), &merged) {
                items.push(item);
                at.push((fi, id_line));
            }
        }
        if header_ok {
            file_versions.push((f.rel.clone(), raw.version.into_inner()));
        }
    }

    let mut index: HashMap<String, usize> = HashMap::new();
    let mut keep = vec![true; items.len()];
    for (i, item) in items.iter().enumerate() {
        if let Some(&first) = index.get(&item.id) {
            let (ff, fl) = at[first];
            let (f, l) = at[i];
            errors.push(RuleError::new(
                &files[f].path,
                l,
                format!("id {} repeats {}:{fl}", item.id, files[ff].path.display()),
            ));
            keep[i] = false;
        } else {
            index.insert(item.id.clone(), i);
        }
    }
    check_supersession(&items, &index, &at, files, &mut errors);
    check_duplicates(&items, &keep, &at, files, &mut errors);

    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    let newest = file_versions.iter().map(|(_, v)| v.as_str()).max().unwrap_or("");
    let version = format!("{newest}+{:08x}", hash.finish() as u32);
    Ok(HazardLibrary { version, items, vocabulary: vocab, sources: srcs, files: file_versions, index })
}

fn check_header(fc: &mut FileCheck<'_>, raw: &RawFile, text: &str) -> bool {
    let mut ok = true;
    let mut blank = |s: &Spanned<String>, name: &str, fc: &mut FileCheck<'_>| {
        if s.get_ref().trim().is_empty() {
            let line = fc.lines.of(s.span().start);
            fc.errors.push(RuleError::new(fc.file, line, format!("empty `{name}`")));
            ok = false;
        }
    };
    blank(&raw.version, "version", fc);
    blank(&raw.title, "title", fc);
    blank(&raw.id_prefix, "id_prefix", fc);
    let p = raw.id_prefix.get_ref();
    if !p.is_empty() && !validate::id_is_well_formed(&format!("{p}0001")) {
        let line = fc.lines.of(raw.id_prefix.span().start);
        fc.errors.push(RuleError::new(fc.file, line, format!("id_prefix {p:?} is not of the form HZ-AREA-")));
        ok = false;
    }
    // A `# version:` comment on top, as on every rule file, must agree with the key.
    if let Some(v) = text.lines().next().and_then(|l| l.strip_prefix("# version:"))
        && v.trim() != raw.version.get_ref().trim()
    {
        fc.errors.push(RuleError::new(fc.file, 1, format!("`# version:` {:?} differs from `version`", v.trim())));
        ok = false;
    }
    ok
}

fn check_supersession(
    items: &[HazardItem],
    index: &HashMap<String, usize>,
    at: &[(usize, usize)],
    files: &[Text],
    errors: &mut Vec<RuleError>,
) {
    for (i, item) in items.iter().enumerate() {
        let Some(target) = &item.superseded_by else { continue };
        let (f, l) = at[i];
        let err = |reason: String| RuleError::new(&files[f].path, l, reason);
        match index.get(target) {
            None => errors.push(err(format!("superseded_by {target:?}: no such item"))),
            Some(&t) if t == i => errors.push(err("an item cannot supersede itself".into())),
            Some(&t) => {
                // Follow the chain: it must end at an item in force, without a loop.
                let mut cur = t;
                let mut steps = 0;
                while items[cur].status == Status::Superseded && steps <= items.len() {
                    match items[cur].superseded_by.as_ref().and_then(|n| index.get(n)) {
                        Some(&n) => cur = n,
                        None => break,
                    }
                    steps += 1;
                }
                if steps > items.len() {
                    errors.push(err(format!("superseded_by {target:?} leads into a loop")));
                } else if items[cur].status == Status::Draft {
                    errors.push(err(format!("superseded_by {target:?} ends at draft {}", items[cur].id)));
                }
            }
        }
    }
}

fn check_duplicates(
    items: &[HazardItem],
    keep: &[bool],
    at: &[(usize, usize)],
    files: &[Text],
    errors: &mut Vec<RuleError>,
) {
    // Superseded items repeat their successors by design.
    let live: Vec<usize> = (0..items.len()).filter(|&i| keep[i] && items[i].status != Status::Superseded).collect();
    let texts: Vec<String> = live.iter().map(|&i| format!("{}|{}", items[i].title, items[i].check_point)).collect();
    for d in dedup::find(&texts, dedup::NEAR_DUPLICATE) {
        let (a, b) = (live[d.first], live[d.second]);
        let (fa, la) = at[a];
        let (fb, lb) = at[b];
        let what = if d.exact {
            "the same title and check point".to_string()
        } else {
            format!("nearly the same title and check point ({:.0}% of bigrams)", d.similarity * 100.0)
        };
        errors.push(RuleError::new(
            &files[fb].path,
            lb,
            format!("{} has {what} as {} at {}:{la}", items[b].id, items[a].id, files[fa].path.display()),
        ));
    }
}

/// FNV-1a, 64 bits: a stable content hash for the library version.
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

    fn finish(&self) -> u64 {
        self.0
    }
}
