//! Composing a round from the items sorted by score: the basics' floors and the
//! determination items are held in it, and the enterprise's main accident types are
//! spread over its top (see [`super::RankingRules`]). Everything else keeps score order.

use serde::Serialize;

use super::ranking_rules::RankingRules;

/// Why an item is where it is, when not by its score alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    /// Held among the first `core` items so its area keeps its floor.
    Floor { area: String, floor: usize },
    /// An item of a major-hazard determination standard: always in the round.
    Determination,
    /// Moved into the top so this accident type of the enterprise is represented there.
    Spread { accident_type: String, name: String },
}

/// What arranging needs to know of a candidate.
pub(super) struct Slot<'a> {
    pub area: &'a str,
    pub determination: bool,
    /// Accident-type ids the item addresses (ids of the index's first dimension).
    pub types: &'a [u16],
    /// Marked not applicable last round: never forced in by a floor or as a
    /// determination item.
    pub excluded: bool,
}

/// The enterprise's leading accident types to spread: (id, code, name).
pub(super) type Leading<'a> = [(u16, &'a str, &'a str)];

/// The order of `slots` (given best score first) and each moved item's placement.
pub(super) fn arrange(
    slots: &[Slot<'_>],
    round_len: usize,
    rules: &RankingRules,
    leading: &Leading<'_>,
) -> (Vec<usize>, Vec<Option<Placement>>) {
    let n = slots.len();
    let mut placement: Vec<Option<Placement>> = vec![None; n];
    let core = rules.core.min(round_len).min(n);
    // Membership of the core and of the round, as flags over score order.
    let mut in_core: Vec<bool> = (0..n).map(|i| i < core).collect();
    let mut protected = vec![false; n];

    // Floors: the best items of each area beyond the core come in for the weakest
    // unprotected members, until the area has its floor.
    let cap = (core as f64 * rules.reserved_share).floor() as usize;
    let mut reserved = 0usize;
    for (area, floor) in &rules.floors {
        let members: Vec<usize> = (0..n).filter(|&i| slots[i].area == area && !slots[i].excluded).collect();
        let mut have = members.iter().filter(|&&i| in_core[i]).count();
        for &i in members.iter().filter(|&&i| in_core[i]).take(*floor) {
            protected[i] = true;
        }
        let outside: Vec<usize> = members.iter().copied().filter(|&i| !in_core[i]).collect();
        for i in outside {
            if have >= *floor || reserved >= cap {
                break;
            }
            let Some(out) = weakest(&in_core, &protected) else { break };
            in_core[out] = false;
            in_core[i] = true;
            protected[i] = true;
            placement[i] = Some(Placement::Floor { area: area.clone(), floor: *floor });
            have += 1;
            reserved += 1;
        }
    }

    // Determination items: into the core while reserved room lasts, else into the round
    // ahead of the other items outside the core.
    if rules.determination_always {
        for i in (0..n).filter(|&i| slots[i].determination && !slots[i].excluded) {
            protected[i] = true;
            if in_core[i] || reserved >= cap {
                continue;
            }
            if let Some(out) = weakest(&in_core, &protected) {
                in_core[out] = false;
                in_core[i] = true;
                placement[i] = Some(Placement::Determination);
                reserved += 1;
            }
        }
    }
    // The round: the core, then the best of the rest; a determination item still
    // outside takes the place of the weakest other item there.
    let round_n = round_len.min(n);
    let mut in_round = in_core.clone();
    let mut room = round_n.saturating_sub(in_core.iter().filter(|&&c| c).count());
    for r in in_round.iter_mut().filter(|r| !**r) {
        if room == 0 {
            break;
        }
        *r = true;
        room -= 1;
    }
    if rules.determination_always {
        let forced = |i: usize| slots[i].determination && !slots[i].excluded;
        let outside: Vec<usize> = (0..n).filter(|&i| forced(i) && !in_round[i]).collect();
        for i in outside {
            let Some(out) = (0..n).rev().find(|&j| in_round[j] && !in_core[j] && !forced(j)) else { break };
            in_round[out] = false;
            in_round[i] = true;
            placement[i] = Some(Placement::Determination);
        }
    }

    let core_list: Vec<usize> = (0..n).filter(|&i| in_core[i]).collect();
    let mut order = spread(&core_list, slots, rules, leading, &mut placement);
    order.extend((0..n).filter(|&i| in_round[i] && !in_core[i]));
    order.extend((0..n).filter(|&i| !in_round[i] && !in_core[i]));
    (order, placement)
}

/// The lowest-scoring member of the core that is not protected.
fn weakest(in_core: &[bool], protected: &[bool]) -> Option<usize> {
    (0..in_core.len()).rev().find(|&i| in_core[i] && !protected[i])
}

/// Core items in score order, with the first `within` places holding `per_type` items
/// of each leading accident type where the core has them.
fn spread(
    core: &[usize],
    slots: &[Slot<'_>],
    rules: &RankingRules,
    leading: &Leading<'_>,
    placement: &mut [Option<Placement>],
) -> Vec<usize> {
    let s = &rules.spread;
    let within = s.within.min(core.len());
    let mut deficit: Vec<usize> = leading
        .iter()
        .map(|(id, _, _)| s.per_type.min(core.iter().filter(|&&i| slots[i].types.contains(id)).count()))
        .collect();
    let mut rest: Vec<usize> = core.to_vec();
    let mut out = Vec::with_capacity(core.len());
    for pos in 0..within {
        let need: usize = deficit.iter().sum();
        let short =
            |i: usize| leading.iter().zip(&deficit).any(|((id, _, _), d)| *d > 0 && slots[i].types.contains(id));
        let at = if need >= within - pos { rest.iter().position(|&i| short(i)).unwrap_or(0) } else { 0 };
        let i = rest.remove(at);
        if at > 0
            && placement[i].is_none()
            && let Some((_, code, name)) = leading
                .iter()
                .zip(&deficit)
                .find(|((id, _, _), d)| **d > 0 && slots[i].types.contains(id))
                .map(|(l, _)| l)
        {
            placement[i] = Some(Placement::Spread { accident_type: code.to_string(), name: name.to_string() });
        }
        for (k, (id, _, _)) in leading.iter().enumerate() {
            if slots[i].types.contains(id) {
                deficit[k] = deficit[k].saturating_sub(1);
            }
        }
        out.push(i);
    }
    out.extend(rest);
    out
}
