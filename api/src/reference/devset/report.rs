//! Figures of a measured development set, per industry group and per half.

use std::collections::BTreeMap;
use std::fmt;

use super::{Half, Outcome};

/// Counts of one group of findings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub findings: usize,
    pub covered: usize,
    /// Findings with a demo enterprise of their division to rank for.
    pub testable: usize,
    /// Over the testable findings, the share of their division's demo enterprises with
    /// an expected item in the top 150, summed (a finding counts 1 when all of them do).
    pub reached: f64,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        self.findings += 1;
        self.covered += usize::from(o.covered);
        if let Some((n, hits)) = o.reached {
            self.testable += 1;
            self.reached += hits as f64 / n.max(1) as f64;
        }
    }

    /// Covered findings / findings.
    pub fn covered_share(&self) -> f64 {
        if self.findings == 0 { 0.0 } else { self.covered as f64 / self.findings as f64 }
    }

    /// Reached / testable findings (an uncovered finding counts as not reached).
    pub fn reached_share(&self) -> f64 {
        if self.testable == 0 { 0.0 } else { self.reached / self.testable as f64 }
    }
}

/// One industry group's tallies: both halves, and each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub all: Tally,
    pub tune: Tally,
    pub held: Tally,
}

impl Group {
    fn add(&mut self, o: &Outcome) {
        self.all.add(o);
        match o.half {
            Half::Tune => self.tune.add(o),
            Half::Held => self.held.add(o),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub groups: BTreeMap<String, Group>,
    pub total: Group,
    /// Findings whose record is wrong (an item not in the library, a bad code).
    pub problems: Vec<String>,
}

impl Report {
    pub fn of(outcomes: &[Outcome], group: impl Fn(&Outcome) -> String) -> Self {
        let mut r = Report::default();
        for o in outcomes {
            r.groups.entry(group(o)).or_default().add(o);
            r.total.add(o);
            r.problems.extend(o.problems.iter().map(|p| format!("{}: {p}", o.id)));
        }
        r
    }
}

fn cell(t: &Tally) -> String {
    if t.findings == 0 {
        return format!("{:>26}", "-");
    }
    let reached = if t.testable == 0 { "   -  ".to_string() } else { format!("{:>5.1}%", 100.0 * t.reached_share()) };
    format!("{:>4} {:>5.1}% {:>4} {reached}", t.findings, 100.0 * t.covered_share(), t.testable)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!("{:>4} {:>6} {:>4} {:>6}", "n", "cover", "test", "top150");
        writeln!(f, "{:<22} | {:<26} | {:<26} | {:<26}", "industry", "both halves", "tune half", "held half")?;
        writeln!(f, "{:<22} | {head:<26} | {head:<26} | {head:<26}", "")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, g: &Group| {
            // Chinese names are two columns wide on a terminal.
            let width = name.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>();
            let pad = " ".repeat(22usize.saturating_sub(width));
            writeln!(f, "{name}{pad} | {:<26} | {:<26} | {:<26}", cell(&g.all), cell(&g.tune), cell(&g.held))
        };
        for (name, g) in &self.groups {
            row(f, name, g)?;
        }
        row(f, "total", &self.total)?;
        for p in &self.problems {
            writeln!(f, "problem: {p}")?;
        }
        Ok(())
    }
}
