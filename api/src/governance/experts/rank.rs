//! Ranking qualified experts for a task, and the random draw among the best that
//! are equal. Pure: the dispatcher loads the facts, this decides.

use std::cmp::Reverse;

use serde::Serialize;

/// How well an expert's industries cover the enterprise's (GB/T 4754).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndustryMatch {
    /// The enterprise has no industry code: everyone qualifies equally.
    Unknown,
    /// Same section (门类), another division.
    Section,
    /// Same division (大类).
    Division,
}

/// One qualified expert and what ranks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub expert_id: i64,
    pub industry: IndustryMatch,
    /// How many of the task's accident types the expert is competent in.
    pub accident_types: u32,
    /// Open offers and accepted tasks the expert holds now.
    pub open_tasks: u64,
    /// Distance to the enterprise's site in whole kilometres; `None` when either
    /// position is unknown (ranked after every known distance).
    pub distance_km: Option<u64>,
}

impl Candidate {
    /// Smaller is better: industry, then accident types, then workload, then distance.
    fn key(&self) -> (Reverse<IndustryMatch>, Reverse<u32>, u64, u64) {
        (Reverse(self.industry), Reverse(self.accident_types), self.open_tasks, self.distance_km.unwrap_or(u64::MAX))
    }
}

/// The outcome of ranking: the best candidates that are equal in every criterion,
/// the seed of the draw and the one it drew. Stored with the offer, so anyone can
/// check the draw: `drawn = tied[seed % tied.len()]` with `tied` in id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draw {
    pub tied: Vec<i64>,
    pub seed: u64,
    pub drawn: i64,
    /// Every qualified candidate, best first (at most 20).
    pub ranking: Vec<Candidate>,
}

/// Ranks `candidates` and draws among the best; `None` when there are none.
pub fn draw(mut candidates: Vec<Candidate>, seed: u64) -> Option<Draw> {
    candidates.sort_by(|a, b| a.key().cmp(&b.key()).then(a.expert_id.cmp(&b.expert_id)));
    let best = candidates.first()?.key();
    let tied: Vec<i64> = candidates.iter().take_while(|c| c.key() == best).map(|c| c.expert_id).collect();
    let len = u64::try_from(tied.len()).ok()?;
    let drawn = *tied.get(usize::try_from(seed % len).ok()?)?;
    candidates.truncate(20);
    Some(Draw { tied, seed, drawn, ranking: candidates })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, industry: IndustryMatch, acc: u32, open: u64, km: Option<u64>) -> Candidate {
        Candidate { expert_id: id, industry, accident_types: acc, open_tasks: open, distance_km: km }
    }

    #[test]
    fn competence_then_workload_then_distance() {
        use IndustryMatch::*;
        let d = draw(vec![c(1, Section, 3, 0, Some(1)), c(2, Division, 0, 4, Some(90)), c(3, Division, 0, 2, None)], 7)
            .unwrap();
        assert_eq!((d.drawn, d.tied.clone()), (3, vec![3]));
        let d = draw(vec![c(1, Division, 1, 2, Some(50)), c(2, Division, 1, 2, Some(5))], 0).unwrap();
        assert_eq!(d.drawn, 2);
        let d = draw(vec![c(1, Division, 2, 2, Some(50)), c(2, Division, 1, 0, Some(5))], 0).unwrap();
        assert_eq!(d.drawn, 1, "accident-type competence before workload");
    }

    #[test]
    fn ties_are_drawn_by_the_seed() {
        use IndustryMatch::*;
        let all = vec![c(9, Division, 0, 1, Some(3)), c(4, Division, 0, 1, Some(3)), c(5, Division, 0, 2, Some(3))];
        let a = draw(all.clone(), 0).unwrap();
        let b = draw(all.clone(), 1).unwrap();
        assert_eq!(a.tied, vec![4, 9]);
        assert_eq!((a.drawn, b.drawn), (4, 9));
        assert!(draw(Vec::new(), 3).is_none());
    }
}
