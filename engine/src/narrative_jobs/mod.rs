//! The injured worker's job read from an accident narrative (OSHA's "Final Narrative",
//! which has no job column) by the phrases of `rules/mappings/osha_narrative_jobs.toml`.
//! The file's header states the matching rules; [`NarrativeJobs::job_of`] applies them.

mod find;
mod parse;
mod words;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// Where the file lives under the rules directory.
pub const FILE: &str = "mappings/osha_narrative_jobs.toml";

/// A job the narratives can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Chinese occupation name, stored as the accident's job.
    pub label: String,
    pub name_en: String,
    /// Line of the job's `label` in the file.
    pub line: usize,
}

/// A person (`titles`) or work only that job does (`tasks`); titles are checked for
/// naming someone other than the injured worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Title,
    Task,
}

#[derive(Debug, Clone)]
struct Phrase {
    /// Words without `ignore` words; the plural form is a phrase of its own.
    words: Vec<String>,
    job: usize,
    kind: Kind,
    /// As written in the file.
    text: String,
}

#[derive(Debug, Clone)]
pub struct NarrativeJobs {
    pub version: String,
    pub jobs: Vec<Job>,
    /// Phrases as listed (plurals not counted).
    pub listed_phrases: usize,
    phrases: Vec<Phrase>,
    /// Phrase indices by their first word.
    by_first: HashMap<String, Vec<usize>>,
    ignore: HashSet<String>,
    unnamed: HashSet<String>,
    apposition: HashSet<String>,
    /// Matched on every word, `ignore` words included.
    new_person: Vec<Vec<String>>,
    others: Vec<Vec<String>>,
    others_within: usize,
}

/// The job a narrative names and the phrase that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobMatch<'a> {
    pub job: &'a Job,
    pub phrase: &'a str,
    /// Index of the phrase's first word among the narrative's words (`ignore` words left out).
    pub word: usize,
}
