//! Words as the narrative-job rules see them.

/// Lower-cased runs of ASCII letters and digits; everything else separates words.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase).collect()
}

/// The regular English plural of a lower-case word (irregular ones must be listed).
pub(super) fn plural(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("man") {
        return format!("{stem}men");
    }
    let b = word.as_bytes();
    let consonant_y = b.len() >= 2 && b[b.len() - 1] == b'y' && !b"aeiou".contains(&b[b.len() - 2]);
    if consonant_y {
        return format!("{}ies", &word[..word.len() - 1]);
    }
    if ["s", "x", "z", "ch", "sh"].iter().any(|s| word.ends_with(s)) {
        return format!("{word}es");
    }
    format!("{word}s")
}

/// A phrase's words and the same with its last word in the plural.
pub(super) fn forms(words: &[String]) -> [Vec<String>; 2] {
    let mut plural_form = words.to_vec();
    if let Some(last) = plural_form.last_mut() {
        *last = plural(last);
    }
    [words.to_vec(), plural_form]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_and_split_on_punctuation() {
        assert_eq!(words("A co-worker's FORKLIFT, #2."), ["a", "co", "worker", "s", "forklift", "2"]);
        assert!(words(" -- ").is_empty());
    }

    #[test]
    fn plurals_follow_the_regular_rules() {
        let p: Vec<String> =
            ["driver", "lineman", "nursery", "day", "press", "box", "couch", "bush"].map(plural).into();
        assert_eq!(p, ["drivers", "linemen", "nurseries", "days", "presses", "boxes", "couches", "bushes"]);
    }
}
