//! Backtest metrics. Ties are handled by average ranks (AUC, Spearman) and by sharing
//! the boundary tie group pro rata (top-decile capture), so a baseline full of ties is
//! neither flattered nor penalised by an arbitrary order.

/// Mean Poisson deviance: 2/n · Σ [y ln(y/μ) − (y − μ)].
pub fn poisson_deviance(y: &[f64], mu: &[f64]) -> f64 {
    if y.is_empty() {
        return 0.0;
    }
    let total: f64 = y
        .iter()
        .zip(mu)
        .map(|(&y, &m)| {
            let m = m.max(1e-12);
            let term = if y > 0.0 { y * (y / m).ln() } else { 0.0 };
            2.0 * (term - (y - m))
        })
        .sum();
    total / y.len() as f64
}

/// 1-based ranks, ties given their average rank.
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation (Pearson on average ranks); None if either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// Area under the ROC curve of `score` for `label` (Mann–Whitney); None without both classes.
pub fn auc(score: &[f64], label: &[bool]) -> Option<f64> {
    let ranks = average_ranks(score);
    let pos = label.iter().filter(|&&l| l).count() as f64;
    let neg = label.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    let sum: f64 = ranks.iter().zip(label).filter(|(_, l)| **l).map(|(r, _)| r).sum();
    Some((sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Share of the total of `y` held by the `frac` of rows with the highest `score`; the
/// tie group straddling the cut counts in proportion to the places left.
pub fn top_share(score: &[f64], y: &[f64], frac: f64) -> Option<f64> {
    let total: f64 = y.iter().sum();
    if total <= 0.0 || score.is_empty() {
        return None;
    }
    let places = frac * score.len() as f64;
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let (mut taken, mut caught, mut i) = (0.0, 0.0, 0);
    while i < order.len() && taken < places {
        let mut j = i;
        while j + 1 < order.len() && score[order[j + 1]] == score[order[i]] {
            j += 1;
        }
        let size = (j - i + 1) as f64;
        let sum: f64 = order[i..=j].iter().map(|&k| y[k]).sum();
        let share = ((places - taken) / size).min(1.0);
        caught += share * sum;
        taken += share * size;
        i = j + 1;
    }
    Some(caught / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviance_of_a_perfect_and_an_imperfect_fit() {
        assert!(poisson_deviance(&[0.0, 2.0], &[1e-12, 2.0]) < 1e-9);
        // y=1, μ=2: 2·(ln ½ + 1) = 0.6137…
        assert!((poisson_deviance(&[1.0], &[2.0]) - 2.0 * (0.5f64.ln() + 1.0)).abs() < 1e-12);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
        assert_eq!(auc(&[1.0, 1.0], &[false, true]), Some(0.5));
        assert_eq!(auc(&[1.0], &[true]), None);
    }

    #[test]
    fn spearman_uses_average_ranks() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
        let r = spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]).unwrap();
        assert!((r - 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn top_share_splits_the_boundary_tie() {
        // 10 rows, top 10% = 1 place; scores tie between rows holding 4 and 0: half of 4.
        let score = [5.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let y = [4.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0];
        assert_eq!(top_share(&score, &y, 0.1), Some(2.0 / 8.0));
        let distinct = [9.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        assert_eq!(top_share(&distinct, &y, 0.2), Some(4.0 / 8.0));
    }
}
