//! Import of a third-party hazard library (bureaus and service organisations keep their
//! own 隐患库): a CSV or JSON file read through an [`ImportMapping`], every row checked
//! with the same item validator as `rules/hazards/` (schema, codes, vocabulary, sources),
//! then against the library (ids, duplicate texts). Accepted rows become draft items with
//! generated ids, for review; rejected rows are reported as file:line with the reason.
//!
//! A file that cannot be read as a whole (not CSV/JSON, a mapped column missing, no rows)
//! is an error; bad rows are not, they are listed in [`ImportReport::rejected`].

mod mapping;
mod records;
mod row;

#[cfg(test)]
mod tests;

use std::path::Path;

use serde::Serialize;

pub use mapping::{Field, Format, ImportMapping};

use super::dedup;
use super::model::{HazardItem, HazardLibrary, Status};
use super::validate::{self, Context, FileCheck, Lines};
use crate::catalog::Catalog;
use crate::rule_error::{RuleError, RuleErrors};
use row::Converter;

/// Largest number a 4-digit id can carry.
const LAST_NUMBER: u32 = 9999;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedItem {
    /// A draft, its id generated from the mapping's `id_prefix`.
    pub item: HazardItem,
    /// The source's own key of the row, when mapped.
    pub source_key: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub items: Vec<ImportedItem>,
    /// Each problem of each rejected row, by line.
    #[serde(serialize_with = "errors_as_text")]
    pub rejected: Vec<RuleError>,
}

fn errors_as_text<S: serde::Serializer>(errors: &[RuleError], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(errors.iter().map(ToString::to_string))
}

/// Reads `text` (the contents of `file`) through `mapping` into draft items checked
/// against `library`.
pub fn import(
    file: &Path,
    text: &str,
    mapping: &ImportMapping,
    library: &HazardLibrary,
    catalog: &Catalog,
) -> Result<ImportReport, RuleErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let needed: Vec<&str> = mapping.columns.values().map(String::as_str).collect();
    let rows = match mapping.format {
        Format::Csv => records::csv(file, text, mapping.comment, &needed),
        Format::Json => records::json(file, text).and_then(|rows| {
            let missing = records::missing_keys(&rows, &needed);
            if missing.is_empty() || rows.is_empty() {
                Ok(rows)
            } else {
                Err(missing.iter().map(|k| RuleError::new(file, 0, format!("no row has the key `{k}`"))).collect())
            }
        }),
    }
    .map_err(RuleErrors)?;
    if rows.is_empty() {
        return Err(RuleErrors(vec![RuleError::new(file, 0, "no rows")]));
    }

    let lines = Lines::new(text);
    let ctx = Context { catalog, vocabulary: &library.vocabulary, sources: &library.sources };
    let conv = Converter { mapping, catalog, library };
    let provisional = format!("{}0001", mapping.id_prefix);
    let mut accepted: Vec<ImportedItem> = Vec::new();
    let mut rejected = Vec::new();
    for rec in &rows {
        let (raw, problems) = conv.raw_item(rec, &provisional);
        let mut errors = Vec::new();
        let item = {
            let mut fc = FileCheck { file, rel: file, lines: &lines, errors: &mut errors };
            validate::item(&ctx, &mut fc, rec.line, &mapping.id_prefix, &raw)
        };
        // A field that failed to convert is reported once, not again as missing.
        errors.retain(|e| {
            !problems.iter().any(|(f, _)| {
                e.reason.starts_with(&format!("missing `{f}`")) || e.reason.starts_with(&format!("`{f}` is empty"))
            })
        });
        let row_errors: Vec<RuleError> =
            problems.into_iter().filter_map(|(_, p)| Some(RuleError::new(file, rec.line, p?))).chain(errors).collect();
        match item {
            Some(item) if row_errors.is_empty() => {
                accepted.push(ImportedItem { item, source_key: conv.source_key(rec), line: rec.line });
            }
            _ => rejected.extend(row_errors),
        }
    }

    let duplicates = duplicates(&accepted, library);
    let mut next = row::highest_number(library, &mapping.id_prefix);
    let mut items = Vec::with_capacity(accepted.len());
    for (mut a, dup) in accepted.into_iter().zip(duplicates) {
        if let Some(reason) = dup {
            rejected.push(RuleError::new(file, a.line, reason));
            continue;
        }
        next += 1;
        let id = format!("{}{next:04}", mapping.id_prefix);
        if next > LAST_NUMBER || library.get(&id).is_some() {
            rejected.push(RuleError::new(file, a.line, format!("no free id after {}{LAST_NUMBER}", mapping.id_prefix)));
            continue;
        }
        a.item.id = id;
        a.item.status = Status::Draft;
        items.push(a);
    }
    rejected.sort_by_key(|e| e.line);
    Ok(ImportReport { rows: rows.len(), items, rejected })
}

/// Per accepted row: why it repeats an item of the library or an earlier row, if it does.
fn duplicates(accepted: &[ImportedItem], library: &HazardLibrary) -> Vec<Option<String>> {
    let live: Vec<&HazardItem> = library.items.iter().filter(|i| i.status != Status::Superseded).collect();
    let key = |i: &HazardItem| format!("{}|{}", i.title, i.check_point);
    let texts: Vec<String> = live.iter().map(|i| key(i)).chain(accepted.iter().map(|a| key(&a.item))).collect();
    let mut out: Vec<Option<String>> = vec![None; accepted.len()];
    for d in dedup::find(&texts, dedup::NEAR_DUPLICATE) {
        let Some(b) = d.second.checked_sub(live.len()) else { continue };
        if out[b].is_some() {
            continue;
        }
        let what = if d.exact {
            "the same title and check point".to_string()
        } else {
            format!("nearly the same title and check point ({:.0}% of bigrams)", d.similarity * 100.0)
        };
        let other = match d.first.checked_sub(live.len()) {
            None => {
                let i = live[d.first];
                format!("{} at {}:{}", i.id, i.origin.file.display(), i.origin.line)
            }
            Some(a) => format!("the row at line {}", accepted[a].line),
        };
        out[b] = Some(format!("{what} as {other}"));
    }
    out
}
