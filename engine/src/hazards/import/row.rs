//! One source row as an item file's raw item: cells split into lists, translated to
//! codes, parsed as numbers, every value spanned at the row so the item validator reports
//! problems at the row's line.

use toml::Spanned;

use super::super::raw::{RawBasis, RawItem};
use super::mapping::{Field, ImportMapping};
use super::records::{Cell, Record};
use crate::catalog::Catalog;
use crate::hazards::HazardLibrary;

/// GB 6441-86 types without a one-to-one GB 6441-2025 category that an item can still
/// carry as the union of the categories they split into: an item preventing 车辆伤害
/// prevents both kinds of vehicle accident, one preventing 中毒和窒息 both.
const COVERS: [(&str, &[&str]); 2] = [("02", &["厂(场)内车辆致害", "道路(轨道)车辆致害"]), ("19", &["中毒", "窒息"])];

/// A copy of `d` with every span moved to `at` (a row's offset), or kept as is.
pub(super) fn respan(d: &RawItem, at: Option<usize>) -> RawItem {
    fn m<T: Clone>(v: &Option<Spanned<T>>, at: Option<usize>) -> Option<Spanned<T>> {
        v.as_ref().map(|s| match at {
            Some(o) => Spanned::new(o..o, s.get_ref().clone()),
            None => s.clone(),
        })
    }
    RawItem {
        id: m(&d.id, at),
        version: m(&d.version, at),
        status: m(&d.status, at),
        superseded_by: m(&d.superseded_by, at),
        title: m(&d.title, at),
        check_point: m(&d.check_point, at),
        check_method: m(&d.check_method, at),
        pass_criteria: m(&d.pass_criteria, at),
        area: m(&d.area, at),
        industries: m(&d.industries, at),
        jobs: m(&d.jobs, at),
        equipment: m(&d.equipment, at),
        conditions: m(&d.conditions, at),
        accident_types_86: m(&d.accident_types_86, at),
        accident_types_2025: m(&d.accident_types_2025, at),
        body_parts: m(&d.body_parts, at),
        injury_natures: m(&d.injury_natures, at),
        grade: m(&d.grade, at),
        legal_basis: m(&d.legal_basis, at),
        measures: m(&d.measures, at),
        deadline_days: m(&d.deadline_days, at),
        plan_required: m(&d.plan_required, at),
        evidence: m(&d.evidence, at),
        weight: m(&d.weight, at),
    }
}

/// The GB 6441-2025 categories of GB 6441-86 codes (crosswalk, then [`COVERS`]), and the
/// codes that have none.
pub(super) fn counterparts(codes: &[String], catalog: &Catalog) -> (Vec<String>, Vec<String>) {
    let mut out: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for c in codes {
        let targets: Vec<String> = match catalog.gb86_to_2025.lookup(c) {
            Some(row) => vec![row.target.clone()],
            None => COVERS
                .iter()
                .find(|(code, _)| code == c)
                .map(|(_, t)| t.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        };
        // Unknown codes are the validator's to report.
        if targets.is_empty() && catalog.accident_type_86.contains(c) {
            missing.push(c.clone());
        }
        for t in targets {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    (out, missing)
}

/// Built-in translations: catalog names to codes, common grade words.
fn builtin(field: Field, v: &str, catalog: &Catalog, library: &HazardLibrary) -> Option<String> {
    let by_name = |t: &crate::codes::CodeTable| t.entries.iter().find(|e| e.name_zh == v).map(|e| e.code.clone());
    match field {
        Field::AccidentTypes86 => by_name(&catalog.accident_type_86),
        Field::BodyParts => by_name(&catalog.body_part),
        Field::InjuryNatures => by_name(&catalog.injury_nature),
        Field::Jobs => library.vocabulary.job(v).map(str::to_string),
        Field::Grade => match v {
            "一般" | "一般隐患" | "一般事故隐患" => Some("general".into()),
            "重大" | "重大隐患" | "重大事故隐患" => Some("major".into()),
            _ => None,
        },
        Field::LegalBasisSource => {
            let bare = v.trim_start_matches('《').trim_end_matches('》');
            library.sources.list.iter().find(|s| s.document == bare || s.number == bare).map(|s| s.id.clone())
        }
        _ => None,
    }
}

pub(super) struct Converter<'m> {
    pub mapping: &'m ImportMapping,
    pub catalog: &'m Catalog,
    pub library: &'m HazardLibrary,
}

impl Converter<'_> {
    fn translate(&self, field: Field, v: &str) -> String {
        let v = v.trim();
        self.mapping
            .translate
            .get(&field)
            .and_then(|t| t.get(v).cloned())
            .or_else(|| builtin(field, v, self.catalog, self.library))
            .unwrap_or_else(|| v.to_string())
    }

    fn cell<'r>(&self, rec: &'r Record, field: Field) -> Option<&'r Cell> {
        let col = self.mapping.columns.get(&field)?;
        rec.fields.get(col).filter(|c| !c.is_blank())
    }

    fn text(&self, rec: &Record, field: Field) -> Option<String> {
        match self.cell(rec, field)? {
            Cell::Text(t) => Some(self.translate(field, t)),
            Cell::List(l) => Some(l.iter().map(|v| self.translate(field, v)).collect::<Vec<_>>().join("；")),
        }
    }

    fn list(&self, rec: &Record, field: Field) -> Option<Vec<String>> {
        let raw: Vec<String> = match self.cell(rec, field)? {
            Cell::Text(t) => t.split(|c| self.mapping.separators.contains(&c)).map(str::to_string).collect(),
            Cell::List(l) => l.clone(),
        };
        Some(raw.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).map(|v| self.translate(field, v)).collect())
    }

    /// The raw item of `rec` with `[defaults]` applied, and the row's conversion problems
    /// with the field each concerns (so the validator's "missing" for it can be dropped).
    /// A problem without a message only silences the validator for that field (its cause
    /// is reported under another field).
    pub fn raw_item(&self, rec: &Record, provisional_id: &str) -> (RawItem, Vec<(&'static str, Option<String>)>) {
        let at = rec.offset;
        fn sp<T>(at: usize, v: T) -> Option<Spanned<T>> {
            Some(Spanned::new(at..at, v))
        }
        let mut problems = Vec::new();
        let mut it = RawItem {
            id: sp(at, provisional_id.to_string()),
            status: sp(at, "draft".to_string()),
            ..RawItem::default()
        };
        it.title = self.text(rec, Field::Title).and_then(|v| sp(at, v));
        it.check_point = self.text(rec, Field::CheckPoint).and_then(|v| sp(at, v));
        it.check_method = self.text(rec, Field::CheckMethod).and_then(|v| sp(at, v));
        it.pass_criteria = self.text(rec, Field::PassCriteria).and_then(|v| sp(at, v));
        it.area = self.text(rec, Field::Area).and_then(|v| sp(at, v));
        it.grade = self.text(rec, Field::Grade).and_then(|v| sp(at, v));
        let lists: [(Field, &mut Option<Spanned<Vec<String>>>); 10] = [
            (Field::Industries, &mut it.industries),
            (Field::Jobs, &mut it.jobs),
            (Field::Equipment, &mut it.equipment),
            (Field::Conditions, &mut it.conditions),
            (Field::AccidentTypes86, &mut it.accident_types_86),
            (Field::AccidentTypes2025, &mut it.accident_types_2025),
            (Field::BodyParts, &mut it.body_parts),
            (Field::InjuryNatures, &mut it.injury_natures),
            (Field::Measures, &mut it.measures),
            (Field::Evidence, &mut it.evidence),
        ];
        for (f, slot) in lists {
            if let Some(v) = self.list(rec, f) {
                *slot = Some(Spanned::new(at..at, v));
            }
        }
        if let Some(t) = self.text(rec, Field::DeadlineDays) {
            let digits = t.trim_end_matches(['天', '日']).trim();
            match digits.parse::<i64>() {
                Ok(n) => it.deadline_days = sp(at, n),
                Err(_) => {
                    problems
                        .push(("deadline_days", Some(format!("deadline_days {t:?} is not a whole number of days"))));
                }
            }
        }
        if let Some(t) = self.text(rec, Field::Weight) {
            match t.parse::<f64>() {
                Ok(x) => it.weight = sp(at, x),
                Err(_) => problems.push(("weight", Some(format!("weight {t:?} is not a number")))),
            }
        }
        if let Some(t) = self.text(rec, Field::PlanRequired) {
            match t.to_lowercase().as_str() {
                "是" | "需要" | "true" | "yes" | "y" | "1" => it.plan_required = sp(at, true),
                "否" | "不需要" | "false" | "no" | "n" | "0" => it.plan_required = sp(at, false),
                _ => problems.push(("plan_required", Some(format!("plan_required {t:?}: expected 是/否")))),
            }
        }
        if let Some(source) = self.text(rec, Field::LegalBasisSource) {
            let article = self.text(rec, Field::LegalBasisArticle).unwrap_or_default();
            it.legal_basis = sp(at, vec![RawBasis { source, article }]);
        }

        let row_plan = it.plan_required.is_some();
        let mut it = it.merged(&respan(&self.mapping.defaults, Some(at)));
        it.version = it.version.or(sp(at, 1));
        if it.accident_types_2025.is_none()
            && let Some(codes) = &it.accident_types_86
        {
            let (derived, missing) = counterparts(codes.get_ref(), self.catalog);
            if !missing.is_empty() {
                let m = format!(
                    "GB 6441-86 {} has no single GB 6441-2025 category: map an accident_types_2025 column",
                    missing.join(", ")
                );
                problems.push(("accident_types_2025", Some(m)));
            } else if derived.is_empty() {
                problems.push(("accident_types_2025", None));
            }
            it.accident_types_2025 = sp(at, derived);
        }
        // A major hazard always needs the 五落实 plan; only a row's own "否" is reported.
        if !row_plan {
            let major = it.grade.as_ref().is_some_and(|g| g.get_ref() == "major");
            let default = it.plan_required.as_ref().is_some_and(|p| *p.get_ref());
            it.plan_required = sp(at, major || default);
        }
        (it, problems)
    }

    /// The row's source key, when mapped.
    pub fn source_key(&self, rec: &Record) -> Option<String> {
        match self.cell(rec, Field::SourceKey)? {
            Cell::Text(t) => Some(t.trim().to_string()),
            Cell::List(l) => Some(l.join(",")),
        }
    }
}

/// The highest 4-digit number after `prefix` among the library's ids.
pub(super) fn highest_number(library: &HazardLibrary, prefix: &str) -> u32 {
    library
        .items
        .iter()
        .filter_map(|i| i.id.strip_prefix(prefix))
        .filter(|n| n.len() == 4)
        .filter_map(|n| n.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
}
