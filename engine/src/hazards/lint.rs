//! Warnings on a library that loads: what an inspector cannot act on. A title that
//! ends in a vague word (防护不足, 缺陷, 风险) does not say what is wrong; a legal basis
//! without an article or clause sends the reader to a whole standard; a pass criterion
//! without a number is judged by feel. Warnings do not stop the library; `rules check`
//! prints them with `file:line` and the counts the library is measured by.

use super::model::{HazardItem, HazardLibrary, Status};
use crate::rule_error::RuleError;

/// Title endings that name a kind of problem instead of the problem.
pub const VAGUE_ENDINGS: [&str; 9] =
    ["防护不足", "缺陷", "风险", "不到位", "不完善", "不规范", "隐患", "存在问题", "管理不善"];

/// Counts the library is measured by (active items only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub items: usize,
    pub legal_basis: usize,
    /// Legal-basis entries that cite an article, clause, item or annex.
    pub with_article: usize,
    /// Pass criteria that state a figure (a number, with or without a unit).
    pub quantitative: usize,
    pub vague_titles: usize,
}

/// Whether a citation names an article or clause: `第十二条`, `第4.2.1条`, `4.2.1`,
/// `第三款`, `第（五）项`, `附录A`, `表3.1.1`.
pub fn cites_article(article: &str) -> bool {
    let a = article.trim();
    if a.contains("附录") || a.contains('表') && a.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    if let Some(i) = a.find('第') {
        let rest = &a[i + '第'.len_utf8()..];
        let marker = ['条', '款', '项', '章', '节'];
        if rest.chars().take(12).any(|c| marker.contains(&c)) {
            return true;
        }
    }
    // A clause number: digits with at least one dot (3.3.1, 8.2).
    let b = a.as_bytes();
    b.windows(3).any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit())
}

/// Whether a pass criterion states a figure: an Arabic numeral, or a Chinese numeral
/// followed by a unit or measure word.
pub fn is_quantitative(criteria: &str) -> bool {
    if criteria.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    let numerals = "一二两三四五六七八九十百千";
    let units = ["米", "年", "月", "日", "天", "次", "小时", "分钟", "人", "个", "倍", "层", "名", "处", "级", "道"];
    let chars: Vec<char> = criteria.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        numerals.contains(*c) && {
            let rest: String = chars[i + 1..].iter().take(2).collect();
            units.iter().any(|u| rest.starts_with(u))
        }
    })
}

/// The vague word a title ends in, if any.
pub fn vague_ending(title: &str) -> Option<&'static str> {
    let t = title.trim_end_matches(['。', '；', ' ']);
    VAGUE_ENDINGS.iter().copied().find(|w| t.ends_with(w))
}

/// Warnings (active items) and the library's counts.
pub fn lint(library: &HazardLibrary) -> (Vec<RuleError>, Counts) {
    let mut warnings = Vec::new();
    let mut n = Counts::default();
    for item in library.items.iter().filter(|i| i.status == Status::Active) {
        n.items += 1;
        check(item, &mut warnings, &mut n);
    }
    (warnings, n)
}

fn check(item: &HazardItem, warnings: &mut Vec<RuleError>, n: &mut Counts) {
    let at = |reason: String| RuleError::new(&item.origin.file, item.origin.line, format!("{}: {reason}", item.id));
    if let Some(w) = vague_ending(&item.title) {
        n.vague_titles += 1;
        warnings.push(at(format!("the title ends in the vague {w:?}: say what is wrong")));
    }
    for b in &item.legal_basis {
        n.legal_basis += 1;
        if cites_article(&b.article) {
            n.with_article += 1;
        } else {
            warnings.push(at(format!("《{}》 is cited without an article or clause ({:?})", b.document, b.article)));
        }
    }
    n.quantitative += usize::from(is_quantitative(&item.pass_criteria));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_and_clauses_are_told_from_topics() {
        for a in ["第十二条", "第4.2.1条", "3.3.1", "第三条第（五）项", "附录A", "表3.1.1", "第二十八条第一款"]
        {
            assert!(cites_article(a), "{a}");
        }
        for a in ["必须安装剩余电流保护装置的设备和场所", "消防设施", "第", "2018年版"] {
            assert!(!cites_article(a), "{a}");
        }
    }

    #[test]
    fn figures_are_told_from_words() {
        assert!(is_quantitative("额定动作电流不大于30 mA"));
        assert!(is_quantitative("每三年至少检验一次"));
        assert!(!is_quantitative("防护装置完好有效"));
        assert_eq!(vague_ending("皮带输送机防护不足"), Some("防护不足"));
        assert_eq!(vague_ending("皮带输送机头部滚筒未设防护罩"), None);
    }
}
