//! An enterprise's position on each gate term (process conditions, equipment): declared,
//! declared absent, assumed from its industry profile, or unknown.

use super::explain::GateBasis;
use super::input::Declared;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Unknown,
    Assumed,
    Declared,
    Absent,
}

/// How one gate list of an item is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gate {
    /// The item has no such gate.
    Open,
    Met(GateBasis),
    Closed,
}

pub(super) struct Gates {
    /// Per kind (conditions, equipment), per term id.
    pub states: [Vec<State>; 2],
}

/// One kind's input: the declaration, the industry's typical terms, a term implied by
/// the enterprise's status, and the vocabulary's names by id.
pub(super) struct KindInput<'x> {
    pub declared: &'x Declared,
    pub typical: &'x [&'x str],
    pub implied: Option<&'x str>,
    pub names: &'x [&'x str],
    pub what: &'static str,
}

impl Gates {
    pub fn new(kinds: [KindInput<'_>; 2], warnings: &mut Vec<String>) -> Self {
        let states = kinds.map(|k| {
            let mut states = vec![State::Unknown; k.names.len()];
            let mut set =
                |term: &str, s: State, warnings: &mut Vec<String>| match k.names.iter().position(|n| *n == term) {
                    Some(i) => states[i] = s,
                    None => warnings.push(format!("{} {term:?} is not in vocabulary.toml; ignored", k.what)),
                };
            if !k.declared.complete {
                for t in k.typical {
                    set(t, State::Assumed, warnings);
                }
            }
            for t in &k.declared.absent {
                set(t.trim(), State::Absent, warnings);
            }
            for t in k.declared.present.iter().map(|t| t.trim()).chain(k.implied) {
                set(t, State::Declared, warnings);
            }
            states
        });
        Self { states }
    }

    pub fn check(&self, kind: usize, ids: &[u16]) -> Gate {
        if ids.is_empty() {
            return Gate::Open;
        }
        let mut best = Gate::Closed;
        for &i in ids {
            match self.states[kind].get(usize::from(i)) {
                Some(State::Declared) => return Gate::Met(GateBasis::Declared),
                Some(State::Assumed) => best = Gate::Met(GateBasis::Assumed),
                _ => {}
            }
        }
        best
    }

    pub fn state(&self, kind: usize, id: u16) -> State {
        self.states[kind].get(usize::from(id)).copied().unwrap_or(State::Unknown)
    }
}
