//! Credibility and empirical-Bayes formulas, and their application down an industry tree.
//!
//! Every estimate here is a weighted mean of own data and a prior, with the prior's
//! weight expressed as pseudo-observations: the fewer own observations, the closer to
//! the prior. Small industries and enterprises with one accident thus borrow strength.

/// Shrinks a mean of `count` observations summing to `sum` toward `prior`, which
/// counts as `k` observations: (sum + k·prior) / (count + k).
pub fn shrink(sum: f64, count: f64, prior: f64, k: f64) -> f64 {
    if count + k <= 0.0 { prior } else { (sum + k * prior) / (count + k) }
}

/// Posterior mean rate of a Poisson count under a Gamma prior with mean `prior_rate`
/// and shape `shape`: (shape + n) / (shape / prior_rate + exposure). With no exposure
/// it is the prior; with much exposure it tends to n / exposure.
pub fn gamma_poisson_rate(prior_rate: f64, shape: f64, n: f64, exposure: f64) -> f64 {
    if prior_rate <= 0.0 {
        return if exposure > 0.0 { n / exposure } else { 0.0 };
    }
    (shape + n) / (shape / prior_rate + exposure)
}

/// Dirichlet-multinomial posterior mean: own `counts` plus `weight` pseudo-counts
/// spread as `prior`. Returns the prior when there are no counts and no weight.
pub fn dirichlet_mean(counts: &[f64], prior: &[f64], weight: f64) -> Vec<f64> {
    let n: f64 = counts.iter().sum();
    let denom = n + weight;
    if denom <= 0.0 {
        return prior.to_vec();
    }
    counts.iter().zip(prior).map(|(c, p)| (c + weight * p) / denom).collect()
}

/// Bühlmann credibility from one period of counts per risk (non-parametric): the
/// expected process variance is estimated by the mean (Poisson), the variance of
/// hypothetical means by the excess of the sample variance over it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buhlmann {
    pub mean: f64,
    pub epv: f64,
    pub vhm: f64,
}

impl Buhlmann {
    pub fn estimate(counts: &[f64]) -> Self {
        let n = counts.len() as f64;
        if counts.len() < 2 {
            return Self { mean: counts.first().copied().unwrap_or(0.0), epv: 0.0, vhm: 0.0 };
        }
        let mean = counts.iter().sum::<f64>() / n;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Self { mean, epv: mean, vhm: (var - mean).max(0.0) }
    }

    /// Weight of one period of own experience: VHM / (VHM + EPV).
    pub fn z(&self) -> f64 {
        if self.vhm + self.epv <= 0.0 { 0.0 } else { self.vhm / (self.vhm + self.epv) }
    }
}

/// Node statistics of a scalar (sum, count) per industry node, smoothed from the root
/// down each path with `k` pseudo-observations of the parent at every level.
#[derive(Debug, Clone)]
pub struct RateTree {
    sum: Vec<f64>,
    count: Vec<f64>,
    total: (f64, f64),
    k: f64,
}

impl RateTree {
    pub fn new(nodes: usize, k: f64) -> Self {
        Self { sum: vec![0.0; nodes], count: vec![0.0; nodes], total: (0.0, 0.0), k }
    }

    /// Adds one observation `x` at every node of `path`.
    pub fn add(&mut self, path: &[u32], x: f64) {
        for &n in path {
            self.sum[n as usize] += x;
            self.count[n as usize] += 1.0;
        }
        self.total.0 += x;
        self.total.1 += 1.0;
    }

    /// The overall mean, without the observation `own` when given.
    pub fn root(&self, own: Option<f64>) -> f64 {
        let (s, c) = minus(self.total, own);
        if c > 0.0 { s / c } else { 0.0 }
    }

    /// The smoothed value at the end of `path`. `own` is an observation of the caller
    /// that was added to the tree and is left out (leave-one-out), so an enterprise's
    /// own history is not counted twice as its industry's.
    pub fn value(&self, path: &[u32], own: Option<f64>) -> f64 {
        let mut v = self.root(own);
        for &n in path {
            let (s, c) = minus((self.sum[n as usize], self.count[n as usize]), own);
            v = shrink(s, c, v, self.k);
        }
        v
    }
}

fn minus((s, c): (f64, f64), own: Option<f64>) -> (f64, f64) {
    match own {
        Some(x) => (s - x, (c - 1.0).max(0.0)),
        None => (s, c),
    }
}

/// Category counts per industry node, smoothed down each path as Dirichlet means with
/// `k` pseudo-counts of the parent's distribution at every level.
#[derive(Debug, Clone)]
pub struct MixTree {
    counts: Vec<Vec<f64>>,
    total: Vec<f64>,
    k: f64,
}

impl MixTree {
    pub fn new(nodes: usize, categories: usize, k: f64) -> Self {
        Self { counts: vec![Vec::new(); nodes], total: vec![0.0; categories], k }
    }

    pub fn add(&mut self, path: &[u32], category: usize) {
        let width = self.total.len();
        for &n in path {
            let c = &mut self.counts[n as usize];
            if c.is_empty() {
                c.resize(width, 0.0);
            }
            c[category] += 1.0;
        }
        self.total[category] += 1.0;
    }

    /// The overall distribution, uniform when nothing was added.
    pub fn root(&self) -> Vec<f64> {
        let n: f64 = self.total.iter().sum();
        let width = self.total.len().max(1) as f64;
        if n > 0.0 { self.total.iter().map(|c| c / n).collect() } else { vec![1.0 / width; self.total.len()] }
    }

    /// The smoothed distribution at the end of `path`, leaving `own` counts out.
    pub fn value(&self, path: &[u32], own: Option<&[f64]>) -> Vec<f64> {
        let mut p = self.root();
        for &n in path {
            let c = &self.counts[n as usize];
            if c.is_empty() {
                continue;
            }
            let mine: Vec<f64> = match own {
                Some(o) => c.iter().zip(o).map(|(a, b)| (a - b).max(0.0)).collect(),
                None => c.clone(),
            };
            p = dirichlet_mean(&mine, &p, self.k);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn shrink_is_a_pseudo_count_mean() {
        // 3 accidents over 2 enterprises, prior 0.5 worth 4 enterprises: (3 + 2) / 6.
        assert!(close(shrink(3.0, 2.0, 0.5, 4.0), 5.0 / 6.0));
        assert!(close(shrink(0.0, 0.0, 0.7, 0.0), 0.7));
    }

    #[test]
    fn gamma_poisson_moves_from_prior_to_own_rate() {
        // prior 0.1/month, shape 2, 3 accidents in 12 months: (2 + 3) / (20 + 12).
        assert!(close(gamma_poisson_rate(0.1, 2.0, 3.0, 12.0), 5.0 / 32.0));
        // No history: the industry's rate.
        assert!(close(gamma_poisson_rate(0.1, 2.0, 0.0, 0.0), 0.1));
        // One accident is not twenty: the posterior rises less than proportionally.
        let one = gamma_poisson_rate(0.1, 2.0, 1.0, 12.0);
        let twenty = gamma_poisson_rate(0.1, 2.0, 20.0, 12.0);
        assert!(close(one, 3.0 / 32.0) && close(twenty, 22.0 / 32.0));
    }

    #[test]
    fn dirichlet_mean_weights_prior_as_pseudo_counts() {
        // Own 2 of type A, prior (0.25, 0.75) worth 20: ((2 + 5) / 22, 15 / 22).
        let p = dirichlet_mean(&[2.0, 0.0], &[0.25, 0.75], 20.0);
        assert!(close(p[0], 7.0 / 22.0) && close(p[1], 15.0 / 22.0));
        assert_eq!(dirichlet_mean(&[0.0, 0.0], &[0.4, 0.6], 0.0), vec![0.4, 0.6]);
    }

    #[test]
    fn buhlmann_from_one_period() {
        // counts 0, 0, 1, 3: mean 1, sample variance 2, VHM 1, EPV 1, Z 1/2.
        let b = Buhlmann::estimate(&[0.0, 0.0, 1.0, 3.0]);
        assert!(close(b.mean, 1.0) && close(b.epv, 1.0) && close(b.vhm, 1.0) && close(b.z(), 0.5));
        // Less spread than Poisson: no credibility at all.
        assert!(close(Buhlmann::estimate(&[1.0, 1.0, 1.0]).z(), 0.0));
    }

    #[test]
    fn rate_tree_smooths_down_the_path_and_leaves_one_out() {
        // Nodes 0 (sector) and 1 (division under it); another sector's enterprise elsewhere.
        let mut t = RateTree::new(3, 2.0);
        t.add(&[0, 1], 4.0);
        t.add(&[0, 1], 2.0);
        t.add(&[2], 0.0);
        // root 2; sector (6 + 2·2) / 4 = 2.5; division (6 + 2·2.5) / 4 = 2.75.
        assert!(close(t.value(&[0, 1], None), 2.75));
        // Without the enterprise's own 4: root 1; sector (2 + 2) / 3 = 4/3; division (2 + 8/3) / 3.
        assert!(close(t.value(&[0, 1], Some(4.0)), (2.0 + 8.0 / 3.0) / 3.0));
    }

    #[test]
    fn mix_tree_smooths_toward_the_parent_mix() {
        let mut t = MixTree::new(1, 2, 2.0);
        t.add(&[0], 0);
        t.add(&[0], 0);
        t.add(&[], 1);
        t.add(&[], 1);
        // root (0.5, 0.5); node (2 + 1, 0 + 1) / 4.
        let p = t.value(&[0], None);
        assert!(close(p[0], 0.75) && close(p[1], 0.25));
        let loo = t.value(&[0], Some(&[1.0, 0.0]));
        assert!(close(loo[0], 2.0 / 3.0));
    }
}
