//! A ranked list: every applicable item with its score, rank and explanation, the cut
//! that makes the round, why a round falls short, grouping by area and pagination.

use serde::Serialize;

use super::explain::{Explanation, GateKind};
use crate::hazards::Grade;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation<'a> {
    pub item_id: &'a str,
    pub item_version: u32,
    pub title: &'a str,
    pub area: &'a str,
    pub grade: Grade,
    pub score: f64,
    /// 1-based priority over every applicable item.
    pub rank: u32,
    pub explanation: Explanation<'a>,
}

/// A gate term that would bring in items if the enterprise declared it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unlock {
    pub kind: GateKind,
    pub term: String,
    pub items: usize,
}

/// Why a round has fewer than `min_items` items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortfall {
    pub wanted: usize,
    pub applicable: usize,
    /// Active items of the industry left out by condition or equipment gates.
    pub gated_out: usize,
    /// Terms that would bring in the most of them, most first.
    pub unlocks: Vec<Unlock>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
/// Borrows from the library, catalog and profiles it was ranked against.
pub struct Ranking<'a> {
    pub library_version: &'a str,
    pub profiles_version: &'a str,
    pub industry: String,
    /// Every applicable item, best first; no item twice.
    pub items: Vec<Recommendation<'a>>,
    /// The first `round_len` items make the round.
    pub round_len: usize,
    pub shortfall: Option<Shortfall>,
    /// Inputs that were ignored (terms not in the vocabulary, unknown jobs).
    pub warnings: Vec<String>,
}

/// Items of one area, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaGroup<'r, 'a> {
    pub area: &'a str,
    pub items: Vec<&'r Recommendation<'a>>,
}

impl<'a> Ranking<'a> {
    pub fn round(&self) -> &[Recommendation<'a>] {
        &self.items[..self.round_len.min(self.items.len())]
    }

    /// The round grouped by area; groups ordered by their best item.
    pub fn round_by_area(&self) -> Vec<AreaGroup<'_, 'a>> {
        group_by_area(self.round())
    }
}

/// Groups ranked items by area, keeping each group's order and ordering groups by their
/// best (first-seen) item.
pub fn group_by_area<'r, 'a>(items: &'r [Recommendation<'a>]) -> Vec<AreaGroup<'r, 'a>> {
    let mut groups: Vec<AreaGroup<'r, 'a>> = Vec::new();
    for r in items {
        match groups.iter_mut().find(|g| g.area == r.area) {
            Some(g) => g.items.push(r),
            None => groups.push(AreaGroup { area: r.area, items: vec![r] }),
        }
    }
    groups
}

/// The grouped round flattened in display order (area by area).
pub fn display_order<'r, 'a>(groups: &[AreaGroup<'r, 'a>]) -> Vec<&'r Recommendation<'a>> {
    groups.iter().flat_map(|g| g.items.iter().copied()).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<'a, T> {
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    pub total: usize,
    pub pages: usize,
    pub items: &'a [T],
}

/// Page `page` (1-based; 0 is taken as 1) of `per_page` items (0 is taken as 1).
pub fn page<T>(items: &[T], page: usize, per_page: usize) -> Page<'_, T> {
    let per_page = per_page.max(1);
    let page = page.max(1);
    let start = (page - 1).saturating_mul(per_page).min(items.len());
    let end = start.saturating_add(per_page).min(items.len());
    Page { page, per_page, total: items.len(), pages: items.len().div_ceil(per_page), items: &items[start..end] }
}
