//! The enterprise's accidents, findings and expert visits by id, built once per
//! evaluation: a rule about one finding (or accident, or visit) finds its record here
//! instead of scanning them all, so an evaluation costs O(n) in the enterprise's
//! records, not O(n²) (issue 16: 129 ms at 5,000 findings before).

use std::collections::HashMap;
use std::hash::Hash;

use super::state::{AccidentFact, EnterpriseState, ExpertVisit, FindingFact};

pub(super) struct ById<'a> {
    accidents: HashMap<i64, Vec<&'a AccidentFact>>,
    findings: HashMap<i64, Vec<&'a FindingFact>>,
    visits: HashMap<i64, Vec<&'a ExpertVisit>>,
}

impl<'a> ById<'a> {
    pub fn new(state: &'a EnterpriseState) -> Self {
        Self {
            accidents: group(&state.accidents, |a| a.id),
            findings: group(&state.findings, |f| f.id),
            visits: group(&state.expert_visits, |v| v.id),
        }
    }

    pub fn accident(&self, id: i64) -> Vec<&'a AccidentFact> {
        self.accidents.get(&id).cloned().unwrap_or_default()
    }

    pub fn finding(&self, id: i64) -> Vec<&'a FindingFact> {
        self.findings.get(&id).cloned().unwrap_or_default()
    }

    pub fn visit(&self, id: i64) -> Vec<&'a ExpertVisit> {
        self.visits.get(&id).cloned().unwrap_or_default()
    }
}

/// Records by key, each key's in the order of the state. A list rather than one record,
/// so a state that repeats an id (a replayed file) reads exactly as it did when subjects
/// were matched by filtering the whole list.
fn group<T, K: Eq + Hash>(items: &[T], key: impl Fn(&T) -> K) -> HashMap<K, Vec<&T>> {
    let mut out: HashMap<K, Vec<&T>> = HashMap::with_capacity(items.len());
    for item in items {
        out.entry(key(item)).or_default().push(item);
    }
    out
}
