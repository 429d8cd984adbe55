//! The column mapping of a third-party hazard library: which source column fills which
//! item field, translations of source values to codes, and defaults for what the source
//! lacks. Checked against the library's vocabulary, sources and the catalog up front, so
//! a wrong default is reported once, at its line in the mapping, not on every row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::super::raw::RawItem;
use super::super::validate::{self, Context, FileCheck, Lines};
use super::super::vocabulary::toml_error;
use super::row::respan;
use crate::catalog::Catalog;
use crate::hazards::HazardLibrary;
use crate::rule_error::{RuleError, RuleErrors};

/// Item fields a source column can fill. `id`, `version`, `status` and `superseded_by`
/// are the importer's: ids are generated, every imported item is a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The source's own id or row number, kept beside the item for re-imports.
    SourceKey,
    Title,
    CheckPoint,
    CheckMethod,
    PassCriteria,
    Area,
    Industries,
    Jobs,
    Equipment,
    Conditions,
    AccidentTypes86,
    AccidentTypes2025,
    BodyParts,
    InjuryNatures,
    Grade,
    /// Document cited; translated to a `sources.toml` id.
    LegalBasisSource,
    LegalBasisArticle,
    Measures,
    DeadlineDays,
    PlanRequired,
    Evidence,
    Weight,
}

impl Field {
    pub const ALL: [Field; 22] = [
        Self::SourceKey,
        Self::Title,
        Self::CheckPoint,
        Self::CheckMethod,
        Self::PassCriteria,
        Self::Area,
        Self::Industries,
        Self::Jobs,
        Self::Equipment,
        Self::Conditions,
        Self::AccidentTypes86,
        Self::AccidentTypes2025,
        Self::BodyParts,
        Self::InjuryNatures,
        Self::Grade,
        Self::LegalBasisSource,
        Self::LegalBasisArticle,
        Self::Measures,
        Self::DeadlineDays,
        Self::PlanRequired,
        Self::Evidence,
        Self::Weight,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SourceKey => "source_key",
            Self::Title => "title",
            Self::CheckPoint => "check_point",
            Self::CheckMethod => "check_method",
            Self::PassCriteria => "pass_criteria",
            Self::Area => "area",
            Self::Industries => "industries",
            Self::Jobs => "jobs",
            Self::Equipment => "equipment",
            Self::Conditions => "conditions",
            Self::AccidentTypes86 => "accident_types_86",
            Self::AccidentTypes2025 => "accident_types_2025",
            Self::BodyParts => "body_parts",
            Self::InjuryNatures => "injury_natures",
            Self::Grade => "grade",
            Self::LegalBasisSource => "legal_basis_source",
            Self::LegalBasisArticle => "legal_basis_article",
            Self::Measures => "measures",
            Self::DeadlineDays => "deadline_days",
            Self::PlanRequired => "plan_required",
            Self::Evidence => "evidence",
            Self::Weight => "weight",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Fields holding a list (split on the mapping's separators).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Self::Industries
                | Self::Jobs
                | Self::Equipment
                | Self::Conditions
                | Self::AccidentTypes86
                | Self::AccidentTypes2025
                | Self::BodyParts
                | Self::InjuryNatures
                | Self::Measures
                | Self::Evidence
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// An array of objects.
    Json,
}

#[derive(Clone)]
pub struct ImportMapping {
    pub file: PathBuf,
    pub version: String,
    pub format: Format,
    /// Who keeps the source library, for reviewers.
    pub source: String,
    /// Generated ids are this prefix and the next free 4-digit number (`HZ-IMP-NX-0001`).
    pub id_prefix: String,
    /// Characters that separate list entries in a text cell.
    pub separators: Vec<char>,
    /// CSV lines starting with this character are comments.
    pub comment: Option<u8>,
    pub columns: BTreeMap<Field, String>,
    /// Per field: source value → value the library knows.
    pub translate: BTreeMap<Field, BTreeMap<String, String>>,
    pub(super) defaults: RawItem,
}

impl std::fmt::Debug for ImportMapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportMapping")
            .field("file", &self.file)
            .field("version", &self.version)
            .field("format", &self.format)
            .field("id_prefix", &self.id_prefix)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    version: String,
    format: Spanned<String>,
    #[serde(default)]
    source: String,
    id_prefix: Spanned<String>,
    #[serde(default)]
    separators: Option<String>,
    #[serde(default)]
    comment: Option<Spanned<String>>,
    columns: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    translate: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    defaults: RawItem,
}

/// Fields every item needs, with what can supply them besides a column.
const REQUIRED: [(Field, &str); 12] = [
    (Field::Title, "title"),
    (Field::CheckPoint, "check_point"),
    (Field::CheckMethod, "check_method"),
    (Field::PassCriteria, "pass_criteria"),
    (Field::Area, "area"),
    (Field::Industries, "industries"),
    (Field::AccidentTypes86, "accident_types_86"),
    (Field::Grade, "grade"),
    (Field::Measures, "measures"),
    (Field::DeadlineDays, "deadline_days"),
    (Field::Evidence, "evidence"),
    (Field::Weight, "weight"),
];

/// Default separators: the Chinese enumeration comma and the usual list punctuation.
const SEPARATORS: &str = "、,，;；|\n";

impl ImportMapping {
    /// Parses and checks a mapping against the library it will import into.
    pub fn parse(file: &Path, text: &str, library: &HazardLibrary, catalog: &Catalog) -> Result<Self, RuleErrors> {
        let raw: RawMapping = toml::from_str(text).map_err(|e| RuleErrors(vec![toml_error(file, text, &e)]))?;
        let lines = Lines::new(text);
        let mut errors = Vec::new();
        let at = |s: std::ops::Range<usize>| lines.of(s.start);
        let format = match raw.format.get_ref().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            other => {
                errors.push(RuleError::new(
                    file,
                    at(raw.format.span()),
                    format!("format {other:?}: expected csv or json"),
                ));
                None
            }
        };
        let prefix = raw.id_prefix.get_ref().trim().to_string();
        if !validate::id_is_well_formed(&format!("{prefix}0001")) {
            errors.push(RuleError::new(
                file,
                at(raw.id_prefix.span()),
                format!("id_prefix {prefix:?} is not of the form HZ-GROUP-"),
            ));
        }
        let comment = match &raw.comment {
            None => None,
            Some(c) if c.get_ref().len() == 1 => c.get_ref().bytes().next(),
            Some(c) => {
                errors.push(RuleError::new(file, at(c.span()), "`comment` must be one ASCII character"));
                None
            }
        };
        let mut columns = BTreeMap::new();
        for (name, col) in raw.columns {
            match Field::parse(&name) {
                Some(f) if !col.get_ref().trim().is_empty() => {
                    columns.insert(f, col.get_ref().trim().to_string());
                }
                Some(_) => errors.push(RuleError::new(file, at(col.span()), format!("column of `{name}` is empty"))),
                None => errors.push(RuleError::new(
                    file,
                    at(col.span()),
                    format!("`{name}` is not a field an import can fill (id, version and status are the importer's)"),
                )),
            }
        }
        let mut translate = BTreeMap::new();
        for (name, table) in raw.translate {
            match Field::parse(&name) {
                Some(f) => {
                    translate.insert(f, table.into_iter().map(|(k, v)| (k.trim().to_string(), v)).collect());
                }
                None => {
                    let line = text.lines().position(|l| l.contains(&format!("translate.{name}"))).map_or(0, |i| i + 1);
                    errors.push(RuleError::new(
                        file,
                        line,
                        format!("[translate.{name}]: not a field an import can fill"),
                    ));
                }
            }
        }

        let d = &raw.defaults;
        for (name, span) in d.item_only_fields() {
            errors.push(RuleError::new(file, at(span), format!("`{name}` belongs to a row, not to [defaults]")));
        }
        if let Some(s) = &d.status
            && s.get_ref() != "draft"
        {
            errors.push(RuleError::new(
                file,
                at(s.span()),
                "imported items land as drafts for review: status must be \"draft\"",
            ));
        }
        for (field, name) in REQUIRED {
            let defaulted = match field {
                Field::CheckMethod => d.check_method.is_some(),
                Field::Area => d.area.is_some(),
                Field::Industries => d.industries.is_some(),
                Field::AccidentTypes86 => d.accident_types_86.is_some(),
                Field::Grade => d.grade.is_some(),
                Field::Measures => d.measures.is_some(),
                Field::DeadlineDays => d.deadline_days.is_some(),
                Field::Evidence => d.evidence.is_some(),
                Field::Weight => d.weight.is_some(),
                _ => false,
            };
            if !defaulted && !columns.contains_key(&field) {
                errors.push(RuleError::new(
                    file,
                    0,
                    format!("`{name}` is neither mapped to a column nor in [defaults]"),
                ));
            }
        }
        if d.legal_basis.is_none() && !columns.contains_key(&Field::LegalBasisSource) {
            errors.push(RuleError::new(
                file,
                0,
                "`legal_basis` is neither mapped (legal_basis_source, legal_basis_article) nor in [defaults]",
            ));
        }
        if columns.contains_key(&Field::LegalBasisSource) != columns.contains_key(&Field::LegalBasisArticle) {
            errors.push(RuleError::new(file, 0, "map both legal_basis_source and legal_basis_article, or neither"));
        }
        check_defaults(file, &lines, &prefix, d, library, catalog, &mut errors);

        match (errors.is_empty(), format) {
            (true, Some(format)) => Ok(Self {
                file: file.to_path_buf(),
                version: raw.version,
                format,
                source: raw.source,
                id_prefix: prefix,
                separators: raw.separators.as_deref().unwrap_or(SEPARATORS).chars().collect(),
                comment,
                columns,
                translate,
                defaults: raw.defaults,
            }),
            _ => Err(RuleErrors(errors)),
        }
    }
}

/// Runs the item validator on the defaults with placeholder texts, keeping only problems
/// of the defaults themselves (a missing field may still come from a column).
fn check_defaults(
    file: &Path,
    lines: &Lines,
    prefix: &str,
    d: &RawItem,
    library: &HazardLibrary,
    catalog: &Catalog,
    errors: &mut Vec<RuleError>,
) {
    let text = |s: &str| Some(Spanned::new(0..0, s.to_string()));
    let mut probe = respan(d, None);
    probe.id = text(&format!("{prefix}0001"));
    probe.title = text("-");
    probe.check_point = text("-");
    probe.pass_criteria = text("-");
    probe.status = text("draft");
    probe.version = probe.version.or(Some(Spanned::new(0..0, 1)));
    if probe.accident_types_2025.is_none() {
        let derived =
            super::row::counterparts(probe.accident_types_86.as_ref().map_or(&[][..], |s| s.get_ref()), catalog);
        probe.accident_types_2025 = Some(Spanned::new(0..0, derived.0));
    }
    if probe.plan_required.is_none() {
        probe.plan_required = Some(Spanned::new(0..0, probe.grade.as_ref().is_some_and(|g| g.get_ref() == "major")));
    }
    let ctx = Context { catalog, vocabulary: &library.vocabulary, sources: &library.sources };
    let mut found = Vec::new();
    let mut fc = FileCheck { file, rel: file, lines, errors: &mut found };
    let _ = validate::item(&ctx, &mut fc, 0, prefix, &probe);
    errors.extend(found.into_iter().filter(|e| !e.reason.starts_with("missing `") && !e.reason.contains("is empty")));
}
