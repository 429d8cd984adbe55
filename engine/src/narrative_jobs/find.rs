//! Finding the job in one narrative: the earliest phrase that names the injured worker,
//! the longest at the same word.

use super::words::words;
use super::{JobMatch, Kind, NarrativeJobs, Phrase};

impl NarrativeJobs {
    /// The job the narrative names for the injured worker, if any.
    pub fn job_of(&self, narrative: &str) -> Option<JobMatch<'_>> {
        let all = words(narrative);
        // Positions in `all` of the words phrases are matched on.
        let kept: Vec<usize> = (0..all.len()).filter(|&i| !self.ignore.contains(&all[i])).collect();
        let w: Vec<&str> = kept.iter().map(|&i| all[i].as_str()).collect();
        for i in 0..w.len() {
            let Some(candidates) = self.by_first.get(w[i]) else { continue };
            let Some(p) = candidates
                .iter()
                .map(|&k| &self.phrases[k])
                .filter(|p| starts_at(&w, i, &p.words))
                .max_by_key(|p| p.words.len())
            else {
                continue;
            };
            if self.after_others(&w, i) {
                continue;
            }
            if p.kind == Kind::Title && !self.title_is_the_injured(&all, &kept, &w, i, p) {
                continue;
            }
            return Some(JobMatch { job: &self.jobs[p.job], phrase: &p.text, word: i });
        }
        None
    }

    /// An `others` phrase ends within `others_within` words before word `i`.
    fn after_others(&self, w: &[&str], i: usize) -> bool {
        (i.saturating_sub(self.others_within)..i)
            .any(|end| self.others.iter().any(|o| end + 1 >= o.len() && starts_at(w, end + 1 - o.len(), o)))
    }

    /// A title names the injured unless an unnamed worker came first (outside an
    /// apposition) or a new person follows it.
    fn title_is_the_injured(&self, all: &[String], kept: &[usize], w: &[&str], i: usize, p: &Phrase) -> bool {
        let apposition = i > 0 && (self.unnamed.contains(w[i - 1]) || self.apposition.contains(w[i - 1]));
        if apposition {
            return true;
        }
        if w[..i].iter().any(|x| self.unnamed.contains(*x)) {
            return false;
        }
        let after = &all[kept[i + p.words.len() - 1] + 1..];
        !self.new_person.iter().any(|q| (0..after.len()).any(|k| starts_at_owned(after, k, q)))
    }
}

fn starts_at(w: &[&str], i: usize, phrase: &[String]) -> bool {
    w.len() >= i + phrase.len() && w[i..i + phrase.len()].iter().zip(phrase).all(|(a, b)| *a == b.as_str())
}

fn starts_at_owned(w: &[String], i: usize, phrase: &[String]) -> bool {
    w.len() >= i + phrase.len() && w[i..i + phrase.len()] == *phrase
}
