//! The training-coverage plan (seed: 培训及课件包内容需覆盖本地80%工伤事故数所对应的工伤
//! 作业、伤害类型，前10工伤岗位类型): the fewest job × accident-type pairs that together
//! hold at least a share of the accidents, and the ten jobs with most accidents.
//!
//! Why taking pairs by descending count is optimal: every accident has exactly one job
//! and one accident type, so the pairs partition the accidents and a set of pairs covers
//! exactly the sum of its counts. Among all sets of k pairs, the k largest counts have
//! the largest sum. So if the k−1 largest fall short of the target, every set of k−1
//! pairs (and every smaller one) falls short too, and the first k that reach it are a
//! smallest covering set. Ties are broken by job then type, so the plan is deterministic.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{AccidentRow, AnalysisError, by_count_desc};

pub const DEFAULT_SHARE: f64 = 0.8;
/// Jobs listed in [`CoveragePlan::top_jobs`].
pub const TOP_JOBS: usize = 10;
/// Accident types listed per top job.
pub const TYPES_PER_JOB: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoveragePair {
    /// `None`: job unknown or empty, its own category, flagged by `unknown_job`.
    pub job: Option<String>,
    pub accident_type: Option<String>,
    pub accidents: u64,
    /// Share of all accidents covered by this pair and the ones before it.
    pub cumulative_share: f64,
    pub unknown_job: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRow {
    pub job: String,
    pub accidents: u64,
    pub share: f64,
    /// The job's most frequent accident types (`None` = type unknown), with counts.
    pub top_types: Vec<(Option<String>, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoveragePlan {
    pub target_share: f64,
    pub total_accidents: u64,
    /// The fewest pairs reaching `target_share`, largest first.
    pub pairs: Vec<CoveragePair>,
    pub covered_accidents: u64,
    pub covered_share: f64,
    /// Distinct pairs in the data (the plan needs `pairs.len()` of them).
    pub distinct_pairs: usize,
    /// The ten jobs with most accidents; unknown jobs are left out and counted below.
    pub top_jobs: Vec<JobRow>,
    pub unknown_job_accidents: u64,
}

type Pair = (Option<String>, Option<String>);

/// The plan for `share` of `accidents` (use [`DEFAULT_SHARE`] for the seed's 80%).
pub fn coverage_plan(accidents: &[AccidentRow], share: f64) -> Result<CoveragePlan, AnalysisError> {
    if !(share > 0.0 && share <= 1.0) {
        return Err(AnalysisError::Share(share));
    }
    let total = accidents.len() as u64;
    let mut counts: HashMap<Pair, u64> = HashMap::new();
    let mut jobs: BTreeMap<String, BTreeMap<Option<String>, u64>> = BTreeMap::new();
    let mut unknown = 0;
    for a in accidents {
        let job = a.job_key();
        let ty = a.accident_type.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        *counts.entry((job.clone(), ty.clone())).or_default() += 1;
        match job {
            Some(j) => *jobs.entry(j).or_default().entry(ty).or_default() += 1,
            None => unknown += 1,
        }
    }
    let mut ranked: Vec<(SortKey, u64)> = counts.into_iter().map(|(k, c)| (SortKey(k), c)).collect();
    by_count_desc(&mut ranked);
    let distinct = ranked.len();

    // Integer target, so 80% of 10 is exactly 8 whatever the float rounding.
    let need = ((share * total as f64) - 1e-9).ceil().max(0.0) as u64;
    let mut pairs = Vec::new();
    let mut covered = 0;
    for (SortKey((job, ty)), c) in ranked {
        if covered >= need {
            break;
        }
        covered += c;
        pairs.push(CoveragePair {
            unknown_job: job.is_none(),
            job,
            accident_type: ty,
            accidents: c,
            cumulative_share: ratio(covered, total),
        });
    }

    let mut top: Vec<(String, u64)> = jobs.iter().map(|(j, t)| (j.clone(), t.values().sum())).collect();
    by_count_desc(&mut top);
    let top_jobs = top
        .into_iter()
        .take(TOP_JOBS)
        .map(|(job, n)| {
            let mut types: Vec<(SortOpt, u64)> =
                jobs.get(&job).into_iter().flatten().map(|(t, c)| (SortOpt(t.clone()), *c)).collect();
            by_count_desc(&mut types);
            JobRow {
                share: ratio(n, total),
                top_types: types.into_iter().take(TYPES_PER_JOB).map(|(t, c)| (t.0, c)).collect(),
                job,
                accidents: n,
            }
        })
        .collect();

    Ok(CoveragePlan {
        target_share: share,
        total_accidents: total,
        pairs,
        covered_accidents: covered,
        covered_share: ratio(covered, total),
        distinct_pairs: distinct,
        top_jobs,
        unknown_job_accidents: unknown,
    })
}

pub(crate) fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Orders unknown (`None`) after every known value, so known categories lead ties.
#[derive(PartialEq, Eq, Clone)]
pub(crate) struct SortOpt(pub Option<String>);

impl Ord for SortOpt {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    }
}

impl PartialOrd for SortOpt {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(PartialEq, Eq)]
struct SortKey(Pair);

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        SortOpt(self.0.0.clone())
            .cmp(&SortOpt(other.0.0.clone()))
            .then_with(|| SortOpt(self.0.1.clone()).cmp(&SortOpt(other.0.1.clone())))
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
