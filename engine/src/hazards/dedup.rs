//! Duplicate-text detection over title + check point: the same normalised text, or
//! character-bigram Jaccard similarity at or above a threshold (near duplicates).
//!
//! Pairs are found with prefix filtering (Bayardo et al., "Scaling up all pairs
//! similarity search", 2007): with bigrams ordered rarest first, two sets of Jaccard
//! ≥ t share a bigram within the first |x| − ⌈t·|x|⌉ + 1 of each, so only items sharing
//! a prefix bigram are compared in full.

use std::collections::HashMap;

/// Near-duplicate threshold on character-bigram Jaccard similarity.
pub const NEAR_DUPLICATE: f64 = 0.75;

/// Lower case, full-width ASCII folded to half width, everything but letters, digits
/// and CJK characters dropped.
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Sorted, distinct character bigrams (a single character counts as one).
fn bigrams(norm: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = norm.chars().collect();
    let mut out: Vec<(char, char)> = match chars.len() {
        0 => Vec::new(),
        1 => vec![(chars[0], '\0')],
        _ => chars.windows(2).map(|w| (w[0], w[1])).collect(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    /// Indices into the input, `first < second`.
    pub first: usize,
    pub second: usize,
    /// The same normalised text (else a near duplicate).
    pub exact: bool,
    pub similarity: f64,
}

/// Every pair of texts whose similarity reaches `threshold` (identical ones included).
pub fn find(texts: &[String], threshold: f64) -> Vec<Duplicate> {
    let norms: Vec<String> = texts.iter().map(|t| normalise(t)).collect();
    let sets: Vec<Vec<(char, char)>> = norms.iter().map(|n| bigrams(n)).collect();
    let mut freq: HashMap<(char, char), u32> = HashMap::new();
    for s in &sets {
        for g in s {
            *freq.entry(*g).or_default() += 1;
        }
    }
    // Token ids ordered rarest first (ties by bigram, for determinism).
    let mut order: Vec<((char, char), u32)> = freq.into_iter().collect();
    order.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let rank: HashMap<(char, char), u32> = order.iter().enumerate().map(|(i, (g, _))| (*g, i as u32)).collect();
    let ranked: Vec<Vec<u32>> = sets
        .iter()
        .map(|s| {
            let mut r: Vec<u32> = s.iter().filter_map(|g| rank.get(g).copied()).collect();
            r.sort_unstable();
            r
        })
        .collect();

    let mut out = Vec::new();
    let mut postings: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut seen = vec![usize::MAX; texts.len()];
    for (j, r) in ranked.iter().enumerate() {
        if r.is_empty() {
            continue;
        }
        let prefix = r.len() - (threshold * r.len() as f64).ceil() as usize + 1;
        for tok in &r[..prefix.min(r.len())] {
            for &i in postings.get(tok).map(Vec::as_slice).unwrap_or(&[]) {
                if seen[i] == j {
                    continue;
                }
                seen[i] = j;
                let exact = norms[i] == norms[j];
                let sim = if exact { 1.0 } else { jaccard(&ranked[i], r) };
                if sim >= threshold {
                    out.push(Duplicate { first: i, second: j, exact, similarity: sim });
                }
            }
            postings.entry(*tok).or_default().push(j);
        }
    }
    out.sort_by_key(|a| (a.second, a.first));
    out
}

/// Jaccard similarity of two sorted, distinct lists.
fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 { 1.0 } else { common as f64 / union as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalising_folds_width_case_and_punctuation() {
        assert_eq!(normalise("配电箱（ＡＢ）门 未上锁。"), "配电箱ab门未上锁");
    }

    #[test]
    fn finds_exact_and_near_duplicates_only() {
        let texts = v(&[
            "配电箱门未关闭上锁|车间配电箱",
            "配电箱门未关闭、上锁。|车间配电箱",
            "叉车货叉磨损超过原厚度的百分之十|叉车货叉",
            "叉车货叉磨损超过原厚度百分之十|叉车货叉",
            "氨制冷机房未设置事故排风|氨制冷机房",
        ]);
        let d = find(&texts, NEAR_DUPLICATE);
        let pairs: Vec<(usize, usize)> = d.iter().map(|x| (x.first, x.second)).collect();
        assert_eq!(pairs, vec![(0, 1), (2, 3)], "{d:?}");
        assert!(d[0].exact);
        assert!(!d[1].exact && d[1].similarity >= NEAR_DUPLICATE);
    }

    #[test]
    fn prefix_filtering_misses_nothing_brute_force_finds() {
        let texts = v(&[
            "熔融金属吊运跨下方设置休息室",
            "熔融金属吊运跨下方设置操作室",
            "熔融金属吊运跨下方设置休息室和操作室",
            "煤气区域未设置一氧化碳报警",
            "煤气区域未设置固定式一氧化碳报警",
            "粉尘爆炸危险场所设在多层建筑",
        ]);
        for t in [0.5, 0.6, 0.7, 0.8, 0.9] {
            let fast: Vec<(usize, usize)> = find(&texts, t).iter().map(|d| (d.first, d.second)).collect();
            let sets: Vec<Vec<(char, char)>> = texts.iter().map(|x| bigrams(&normalise(x))).collect();
            let mut slow = Vec::new();
            for j in 0..texts.len() {
                for i in 0..j {
                    let common = sets[i].iter().filter(|g| sets[j].contains(g)).count();
                    let sim = common as f64 / (sets[i].len() + sets[j].len() - common) as f64;
                    if sim >= t {
                        slow.push((i, j));
                    }
                }
            }
            assert_eq!(fast, slow, "threshold {t}");
        }
    }
}
