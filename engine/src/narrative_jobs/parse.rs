//! Reading and validating `osha_narrative_jobs.toml`; every problem is one `file:line:
//! reason` and nothing partial is returned.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::words::{forms, words};
use super::{Job, Kind, NarrativeJobs, Phrase};
use crate::rule_error::{RuleError, line_of, toml_error, version_header};

/// More than this many words between a phrase and what points at someone else would
/// reach into the previous clause.
const MAX_OTHERS_WITHIN: i64 = 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    version: Spanned<String>,
    ignore: Vec<Spanned<String>>,
    unnamed: Vec<Spanned<String>>,
    apposition: Vec<Spanned<String>>,
    new_person: Vec<Spanned<String>>,
    others_within: Spanned<i64>,
    others: Vec<Spanned<String>>,
    #[serde(default)]
    job: Vec<RawJob>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    label: Spanned<String>,
    name_en: Spanned<String>,
    #[serde(default)]
    titles: Vec<Spanned<String>>,
    #[serde(default)]
    tasks: Vec<Spanned<String>>,
}

struct Check<'a> {
    file: &'a Path,
    text: &'a str,
    errors: Vec<RuleError>,
}

impl Check<'_> {
    fn line<T>(&self, v: &Spanned<T>) -> usize {
        line_of(self.text, v.span().start)
    }

    fn err<T>(&mut self, at: &Spanned<T>, reason: impl Into<String>) {
        let line = self.line(at);
        self.errors.push(RuleError::new(self.file, line, reason));
    }

    /// Single lower-case words (`ignore`, `unnamed`, `apposition`), each once.
    fn word_list(&mut self, key: &str, list: &[Spanned<String>]) -> Vec<String> {
        let mut out = Vec::new();
        for s in list {
            match words(s.get_ref()).as_slice() {
                [w] if !out.contains(w) => out.push(w.clone()),
                [w] => self.err(s, format!("`{key}` lists {w:?} twice")),
                _ => self.err(s, format!("`{key}` entries are single words, got {:?}", s.get_ref())),
            }
        }
        out
    }
}

impl NarrativeJobs {
    pub fn parse(file: &Path, text: &str) -> Result<Self, Vec<RuleError>> {
        let raw: Raw = toml::from_str(text).map_err(|e| vec![toml_error(file, text, &e)])?;
        let mut c = Check { file, text, errors: Vec::new() };
        let version = version_header(file, text, &raw.version).map_err(|e| c.errors.push(e)).unwrap_or_default();
        let ignore: HashSet<String> = c.word_list("ignore", &raw.ignore).into_iter().collect();
        let kept = |s: &str| -> Vec<String> { words(s).into_iter().filter(|w| !ignore.contains(w)).collect() };

        // `unnamed` words count in the plural too.
        let mut unnamed = HashSet::new();
        for w in c.word_list("unnamed", &raw.unnamed) {
            unnamed.extend(forms(&[w]).into_iter().flatten());
        }
        let apposition: HashSet<String> = c.word_list("apposition", &raw.apposition).into_iter().collect();
        let mut new_person = Vec::new();
        for s in &raw.new_person {
            match words(s.get_ref()) {
                w if w.is_empty() => c.err(s, "empty `new_person` phrase"),
                w => new_person.push(w),
            }
        }
        let within = *raw.others_within.get_ref();
        if !(0..=MAX_OTHERS_WITHIN).contains(&within) {
            c.err(&raw.others_within, format!("`others_within` must be 0 to {MAX_OTHERS_WITHIN} words"));
        }
        let mut others = Vec::new();
        let mut seen_others: HashMap<Vec<String>, usize> = HashMap::new();
        for s in &raw.others {
            let w = kept(s.get_ref());
            if w.is_empty() {
                c.err(s, format!("`others` phrase {:?} has no words", s.get_ref()));
                continue;
            }
            for f in forms(&w) {
                if let Some(&first) = seen_others.get(&f) {
                    c.err(s, format!("`others` phrase {:?} repeats line {first}", s.get_ref()));
                    break;
                }
                seen_others.insert(f.clone(), c.line(s));
                others.push(f);
            }
        }

        let mut jobs = Vec::new();
        let mut phrases = Vec::new();
        let mut labels: HashMap<String, usize> = HashMap::new();
        let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
        let mut listed = 0;
        for j in &raw.job {
            let label = j.label.get_ref().trim();
            if label.is_empty() {
                c.err(&j.label, "empty `label`");
            } else if !label.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)) {
                c.err(&j.label, format!("`label` {label:?} is not a Chinese occupation name"));
            } else if let Some(&first) = labels.get(label) {
                c.err(&j.label, format!("label {label} repeats line {first}"));
            } else {
                labels.insert(label.to_string(), c.line(&j.label));
            }
            if j.name_en.get_ref().trim().is_empty() {
                c.err(&j.name_en, "empty `name_en`");
            }
            if j.titles.is_empty() && j.tasks.is_empty() {
                c.err(&j.label, format!("job {label:?} has no `titles` or `tasks`"));
            }
            let index = jobs.len();
            for (kind, list) in [(Kind::Title, &j.titles), (Kind::Task, &j.tasks)] {
                for s in list {
                    listed += 1;
                    let w = kept(s.get_ref());
                    if w.is_empty() {
                        c.err(s, format!("phrase {:?} has no words but ignored ones", s.get_ref()));
                        continue;
                    }
                    if let [one] = w.as_slice()
                        && unnamed.contains(one)
                    {
                        c.err(s, format!("{one:?} is in `unnamed`: it names no job"));
                        continue;
                    }
                    for f in forms(&w) {
                        if let Some(&first) = seen.get(&f) {
                            c.err(s, format!("phrase {:?} repeats line {first} (plurals count)", s.get_ref()));
                            break;
                        }
                        seen.insert(f.clone(), c.line(s));
                        phrases.push(Phrase { words: f, job: index, kind, text: s.get_ref().trim().to_string() });
                    }
                }
            }
            jobs.push(Job {
                label: label.to_string(),
                name_en: j.name_en.get_ref().trim().to_string(),
                line: c.line(&j.label),
            });
        }
        if raw.job.is_empty() {
            c.errors.push(RuleError::new(file, 0, "no [[job]]"));
        }
        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, p) in phrases.iter().enumerate() {
            if let Some(first) = p.words.first() {
                by_first.entry(first.clone()).or_default().push(k);
            }
        }
        Ok(Self {
            version,
            jobs,
            listed_phrases: listed,
            phrases,
            by_first,
            ignore,
            unnamed,
            apposition,
            new_person,
            others,
            others_within: usize::try_from(within).unwrap_or(0),
        })
    }
}
