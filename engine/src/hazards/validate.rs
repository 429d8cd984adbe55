//! Checks of one item after `[defaults]` are merged: schema, codes against the catalog,
//! references into the vocabulary and sources. Every problem is pushed with its line.

use std::collections::HashSet;
use std::path::Path;

use toml::Spanned;

use super::industry_pattern::IndustryPattern;
use super::model::{Applicability, Grade, HazardItem, LegalBasis, Origin, Rectification, Status};
use super::raw::RawItem;
use super::vocabulary::{Sources, Vocabulary};
use crate::catalog::Catalog;
use crate::codes::CodeTable;
use crate::rule_error::RuleError;

pub const TITLE_MAX_CHARS: usize = 60;
pub const DEADLINE_MAX_DAYS: i64 = 365;
pub const WEIGHT_MAX: f64 = 10.0;

/// What items are checked against.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub vocabulary: &'a Vocabulary,
    pub sources: &'a Sources,
}

/// Byte offset → 1-based line, by binary search over the line starts (a file holds
/// hundreds of items with a dozen spanned fields each; scanning from the top per field
/// would be quadratic).
pub struct Lines(Vec<usize>);

impl Lines {
    pub fn new(text: &str) -> Self {
        Self(std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }

    pub fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// One item file being checked: where its problems go.
pub struct FileCheck<'a> {
    pub file: &'a Path,
    /// Path relative to the rules directory, for [`Origin`].
    pub rel: &'a Path,
    pub lines: &'a Lines,
    pub errors: &'a mut Vec<RuleError>,
}

impl FileCheck<'_> {
    fn line<T>(&self, s: &Spanned<T>) -> usize {
        self.lines.of(s.span().start)
    }

    fn err(&mut self, line: usize, reason: impl Into<String>) {
        self.errors.push(RuleError::new(self.file, line, reason));
    }

    /// A required field, or an error at the item's line.
    fn req<'r, T>(&mut self, field: &'r Option<Spanned<T>>, name: &str, item_line: usize) -> Option<&'r Spanned<T>> {
        if field.is_none() {
            self.err(item_line, format!("missing `{name}`"));
        }
        field.as_ref()
    }

    fn text(&mut self, field: &Option<Spanned<String>>, name: &str, item_line: usize) -> Option<String> {
        let f = self.req(field, name, item_line)?;
        let t = f.get_ref().trim();
        if t.is_empty() {
            let line = self.line(f);
            self.err(line, format!("`{name}` is empty"));
            return None;
        }
        Some(t.to_string())
    }

    /// A list of strings without blanks or repeats; `required` also forbids it empty.
    fn list(
        &mut self,
        field: &Option<Spanned<Vec<String>>>,
        name: &str,
        item_line: usize,
        required: bool,
    ) -> Vec<String> {
        let Some(f) = field else {
            if required {
                self.err(item_line, format!("missing `{name}`"));
            }
            return Vec::new();
        };
        let line = self.line(f);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for v in f.get_ref() {
            let v = v.trim();
            if v.is_empty() {
                self.err(line, format!("`{name}` has an empty entry"));
            } else if !seen.insert(v) {
                self.err(line, format!("`{name}` repeats {v:?}"));
            } else {
                out.push(v.to_string());
            }
        }
        if required && out.is_empty() && f.get_ref().is_empty() {
            self.err(line, format!("`{name}` is empty"));
        }
        out
    }

    fn codes(
        &mut self,
        field: &Option<Spanned<Vec<String>>>,
        name: &str,
        item_line: usize,
        table: &CodeTable,
        required: bool,
    ) -> Vec<String> {
        let list = self.list(field, name, item_line, required);
        let line = field.as_ref().map_or(item_line, |f| self.line(f));
        for c in &list {
            if !table.contains(c) {
                self.err(line, format!("`{name}`: unknown code {c:?}"));
            }
        }
        list
    }

    fn terms(
        &mut self,
        field: &Option<Spanned<Vec<String>>>,
        name: &str,
        item_line: usize,
        known: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let list = self.list(field, name, item_line, false);
        let line = field.as_ref().map_or(item_line, |f| self.line(f));
        for t in &list {
            if !known(t) {
                self.err(line, format!("`{name}`: {t:?} is not in vocabulary.toml"));
            }
        }
        list
    }
}

/// `HZ-` then upper-case groups, then a 4-digit number: `HZ-ELEC-0001`.
pub fn id_is_well_formed(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("HZ-") else { return false };
    let mut parts: Vec<&str> = rest.split('-').collect();
    let Some(number) = parts.pop() else { return false };
    number.len() == 4
        && number.bytes().all(|b| b.is_ascii_digit())
        && !parts.is_empty()
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

/// Validates one merged item; `None` when it has problems (all of them pushed).
pub fn item(
    ctx: &Context<'_>,
    fc: &mut FileCheck<'_>,
    item_line: usize,
    id_prefix: &str,
    raw: &RawItem,
) -> Option<HazardItem> {
    let before = fc.errors.len();
    let id = fc.text(&raw.id, "id", item_line);
    let line = raw.id.as_ref().map_or(item_line, |f| fc.line(f));
    if let Some(id) = &id {
        if !id_is_well_formed(id) {
            fc.err(line, format!("id {id:?} is not of the form HZ-AREA-0001"));
        } else if !id.starts_with(id_prefix) {
            fc.err(line, format!("id {id:?} does not start with the file's id_prefix {id_prefix:?}"));
        }
    }
    let version = fc.req(&raw.version, "version", item_line).and_then(|v| match u32::try_from(*v.get_ref()) {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            let l = fc.line(v);
            fc.err(l, format!("version {} must be a positive integer", v.get_ref()));
            None
        }
    });
    let status = fc.req(&raw.status, "status", item_line).and_then(|s| {
        let parsed = Status::parse(s.get_ref());
        if parsed.is_none() {
            let l = fc.line(s);
            fc.err(l, format!("status {:?}: expected draft, active or superseded", s.get_ref()));
        }
        parsed
    });
    let superseded_by = raw.superseded_by.as_ref().map(|s| s.get_ref().trim().to_string());
    match (status, &superseded_by) {
        (Some(Status::Superseded), None) => fc.err(line, "a superseded item needs `superseded_by`"),
        (Some(Status::Active | Status::Draft), Some(_)) => {
            let l = raw.superseded_by.as_ref().map_or(line, |f| fc.line(f));
            fc.err(l, "only a superseded item may have `superseded_by`");
        }
        _ => {}
    }
    let title = fc.text(&raw.title, "title", item_line);
    if let (Some(t), Some(f)) = (&title, &raw.title)
        && t.chars().count() > TITLE_MAX_CHARS
    {
        let l = fc.line(f);
        fc.err(l, format!("title is longer than {TITLE_MAX_CHARS} characters"));
    }
    let check_point = fc.text(&raw.check_point, "check_point", item_line);
    let check_method = fc.text(&raw.check_method, "check_method", item_line);
    let pass_criteria = fc.text(&raw.pass_criteria, "pass_criteria", item_line);
    let area = fc.text(&raw.area, "area", item_line);
    if let (Some(a), Some(f)) = (&area, &raw.area)
        && !ctx.vocabulary.has_area(a)
    {
        let l = fc.line(f);
        fc.err(l, format!("area {a:?} is not in vocabulary.toml"));
    }

    let industry_strings = fc.list(&raw.industries, "industries", item_line, true);
    let industry_line = raw.industries.as_ref().map_or(item_line, |f| fc.line(f));
    let mut industries = Vec::new();
    for s in &industry_strings {
        match IndustryPattern::parse(s, &ctx.catalog.industry) {
            Ok(p) => industries.push(p),
            Err(reason) => fc.err(industry_line, format!("`industries`: {reason}")),
        }
    }
    let v = ctx.vocabulary;
    let jobs = fc.terms(&raw.jobs, "jobs", item_line, |t| v.has_job(t));
    let equipment = fc.terms(&raw.equipment, "equipment", item_line, |t| v.has_equipment(t));
    let conditions = fc.terms(&raw.conditions, "conditions", item_line, |t| v.has_condition(t));

    let c = ctx.catalog;
    let at86 = fc.codes(&raw.accident_types_86, "accident_types_86", item_line, &c.accident_type_86, true);
    let at2025 = fc.codes(&raw.accident_types_2025, "accident_types_2025", item_line, &c.accident_type_2025, true);
    // Where the two editions correspond one to one, the 2025 list must carry the
    // counterpart, so ranking by either edition sees the same item.
    let l2025 = raw.accident_types_2025.as_ref().map_or(item_line, |f| fc.line(f));
    for code in &at86 {
        if let Some(row) = c.gb86_to_2025.lookup(code)
            && !at2025.contains(&row.target)
        {
            fc.err(
                l2025,
                format!("`accident_types_2025` lacks {:?}, the counterpart of GB 6441-86 {code}", row.target),
            );
        }
    }
    let body_parts = fc.codes(&raw.body_parts, "body_parts", item_line, &c.body_part, false);
    let injury_natures = fc.codes(&raw.injury_natures, "injury_natures", item_line, &c.injury_nature, false);

    let grade = fc.req(&raw.grade, "grade", item_line).and_then(|g| {
        let parsed = Grade::parse(g.get_ref());
        if parsed.is_none() {
            let l = fc.line(g);
            fc.err(l, format!("grade {:?}: expected general or major", g.get_ref()));
        }
        parsed
    });

    let mut legal_basis = Vec::new();
    if let Some(f) = fc.req(&raw.legal_basis, "legal_basis", item_line) {
        let l = fc.line(f);
        if f.get_ref().is_empty() {
            fc.err(l, "`legal_basis` is empty");
        }
        for b in f.get_ref() {
            match ctx.sources.get(b.source.trim()) {
                None => fc.err(l, format!("`legal_basis`: source {:?} is not in sources.toml", b.source)),
                Some(_) if b.article.trim().is_empty() => {
                    fc.err(l, format!("`legal_basis`: source {:?} needs an article", b.source));
                }
                Some(s) => legal_basis.push(LegalBasis {
                    source: s.id.clone(),
                    document: s.document.clone(),
                    number: s.number.clone(),
                    version: s.version.clone(),
                    article: b.article.trim().to_string(),
                }),
            }
        }
    }

    let measures = fc.list(&raw.measures, "measures", item_line, true);
    let evidence = fc.list(&raw.evidence, "evidence", item_line, true);
    let deadline_days = fc.req(&raw.deadline_days, "deadline_days", item_line).and_then(|d| {
        let n = *d.get_ref();
        if (1..=DEADLINE_MAX_DAYS).contains(&n) {
            u32::try_from(n).ok()
        } else {
            let l = fc.line(d);
            fc.err(l, format!("deadline_days {n} is outside 1..={DEADLINE_MAX_DAYS}"));
            None
        }
    });
    let plan_required = fc.req(&raw.plan_required, "plan_required", item_line).map(|p| *p.get_ref());
    if grade == Some(Grade::Major) && plan_required == Some(false) {
        let l = raw.plan_required.as_ref().map_or(item_line, |f| fc.line(f));
        fc.err(l, "a major hazard needs the 五落实 plan: plan_required = true");
    }
    let weight = fc.req(&raw.weight, "weight", item_line).and_then(|w| {
        let x = *w.get_ref();
        if x > 0.0 && x <= WEIGHT_MAX {
            Some(x)
        } else {
            let l = fc.line(w);
            fc.err(l, format!("weight {x} is outside (0, {WEIGHT_MAX}]"));
            None
        }
    });

    if fc.errors.len() > before {
        return None;
    }
    Some(HazardItem {
        id: id?,
        version: version?,
        status: status?,
        superseded_by,
        title: title?,
        check_point: check_point?,
        check_method: check_method?,
        pass_criteria: pass_criteria?,
        area: area?,
        applicability: Applicability { industries, jobs, equipment, conditions },
        accident_types_86: at86,
        accident_types_2025: at2025,
        body_parts,
        injury_natures,
        grade: grade?,
        legal_basis,
        rectification: Rectification {
            measures,
            deadline_days: deadline_days?,
            plan_required: plan_required?,
            evidence,
        },
        weight: weight?,
        origin: Origin { file: fc.rel.to_path_buf(), line: item_line },
    })
}
