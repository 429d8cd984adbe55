//! The active items prepared once per library: the codes an exposure can name and the
//! gate terms as small integers, so ranking an enterprise compares integers, not strings.

use std::collections::HashMap;

use crate::catalog::Catalog;
use crate::hazards::{HazardItem, HazardLibrary, LegalBasis, Vocabulary};

/// Sources whose document title contains this are major-hazard determination standards.
const DETERMINATION_STANDARD: &str = "隐患判定标准";

/// The codes of one exposure dimension: code → id, id → (code, name).
#[derive(Default)]
pub(super) struct Universe<'a> {
    ids: HashMap<&'a str, u16>,
    pub entries: Vec<(&'a str, &'a str)>,
}

impl<'a> Universe<'a> {
    fn add(&mut self, code: &'a str, name: &'a str) {
        if !self.ids.contains_key(code)
            && let Ok(id) = u16::try_from(self.entries.len())
        {
            self.ids.insert(code, id);
            self.entries.push((code, name));
        }
    }

    pub fn id(&self, code: &str) -> Option<u16> {
        self.ids.get(code).copied()
    }

    fn ids_of(&self, codes: &[String]) -> Vec<u16> {
        codes.iter().filter_map(|c| self.id(c)).collect()
    }
}

pub(super) struct Prepared<'a> {
    pub item: &'a HazardItem,
    /// Accident types (both editions), body parts, jobs, as ids of [`Index::dims`].
    pub codes: [Vec<u16>; 3],
    /// How many categories the item lists per dimension (GB 6441-86 for accident types).
    pub listed: [usize; 3],
    /// Gate terms as indices into the vocabulary's conditions and equipment.
    pub gates: [Vec<u16>; 2],
    /// The determination standard it cites, if any.
    pub standard: Option<&'a LegalBasis>,
}

pub(super) struct Index<'a> {
    pub dims: [Universe<'a>; 3],
    /// Condition and equipment names by id.
    pub terms: [Vec<&'a str>; 2],
    pub items: Vec<Prepared<'a>>,
    /// Item id → position in `items`.
    pub position: HashMap<&'a str, usize>,
}

fn term_ids(terms: &[String], names: &[&str]) -> Vec<u16> {
    terms.iter().filter_map(|t| names.iter().position(|n| n == t)).filter_map(|i| u16::try_from(i).ok()).collect()
}

impl<'a> Index<'a> {
    pub fn new(library: &'a HazardLibrary, catalog: &'a Catalog) -> Self {
        let mut dims: [Universe<'a>; 3] = Default::default();
        for e in catalog.accident_type_86.entries.iter().chain(&catalog.accident_type_2025.entries) {
            dims[0].add(&e.code, &e.name_zh);
        }
        for e in &catalog.body_part.entries {
            dims[1].add(&e.code, &e.name_zh);
        }
        let v: &'a Vocabulary = &library.vocabulary;
        for j in &v.jobs {
            dims[2].add(&j.name, &j.name);
        }
        let terms = [
            v.conditions.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            v.equipment.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ];
        let standards: Vec<&str> = library
            .sources
            .list
            .iter()
            .filter(|s| s.document.contains(DETERMINATION_STANDARD))
            .map(|s| s.id.as_str())
            .collect();
        let items: Vec<Prepared<'a>> = library
            .active()
            .map(|item| {
                let mut types = dims[0].ids_of(&item.accident_types_86);
                types.extend(dims[0].ids_of(&item.accident_types_2025));
                let a = &item.applicability;
                Prepared {
                    item,
                    codes: [types, dims[1].ids_of(&item.body_parts), dims[2].ids_of(&a.jobs)],
                    listed: [item.accident_types_86.len(), item.body_parts.len(), a.jobs.len()],
                    gates: [term_ids(&a.conditions, &terms[0]), term_ids(&a.equipment, &terms[1])],
                    standard: item.legal_basis.iter().find(|b| standards.contains(&b.source.as_str())),
                }
            })
            .collect();
        let position = items.iter().enumerate().map(|(i, p)| (p.item.id.as_str(), i)).collect();
        Self { dims, terms, items, position }
    }
}
