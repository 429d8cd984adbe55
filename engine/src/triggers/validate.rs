//! Raw trigger files → rules: every field checked, every problem pushed with its line.

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::path::Path;

use toml::Spanned;

use super::metric::{Metric, Op, Param, Params, PercentileScope, Window};
use super::model::{CauseKind, Comparison, Condition, Level, Rule, TOP_LEVEL, TaskKind};
use super::raw::{RawCondition, RawLevels, RawRule};
use crate::catalog::Catalog;
use crate::hazards::Grade;
use crate::rule_error::{RuleError, line_of};
use crate::severity::Severity;

pub const ID_MAX_CHARS: usize = 40;
pub const DUE_MAX_DAYS: i64 = 365;
const WINDOW_MAX_DAYS: i64 = 3650;
const WINDOW_MAX_MONTHS: i64 = 120;
/// Deeper nesting than this is a mistake, not a rule.
const MAX_DEPTH: usize = 4;

/// One file being checked: where its problems go.
pub(super) struct Check<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    pub catalog: &'a Catalog,
    pub errors: &'a mut Vec<RuleError>,
}

impl Check<'_> {
    pub fn at<T>(&self, s: &Spanned<T>) -> usize {
        line_of(self.text, s.span().start)
    }

    pub fn err(&mut self, line: usize, reason: impl Into<String>) {
        self.errors.push(RuleError::new(self.file, line, reason));
    }

    fn req<'r, T>(&mut self, f: &'r Option<Spanned<T>>, name: &str, line: usize) -> Option<&'r Spanned<T>> {
        if f.is_none() {
            self.err(line, format!("missing `{name}`"));
        }
        f.as_ref()
    }

    fn text(&mut self, f: &Option<Spanned<String>>, name: &str, line: usize) -> Option<String> {
        let f = self.req(f, name, line)?;
        let t = f.get_ref().trim();
        if t.is_empty() {
            let l = self.at(f);
            self.err(l, format!("`{name}` is empty"));
            return None;
        }
        Some(t.to_string())
    }

    fn int(&mut self, f: &Spanned<i64>, name: &str, range: RangeInclusive<i64>) -> Option<u32> {
        let n = *f.get_ref();
        if range.contains(&n) {
            u32::try_from(n).ok()
        } else {
            let l = self.at(f);
            self.err(l, format!("`{name}` {n} is outside {}..={}", range.start(), range.end()));
            None
        }
    }

    fn parsed<T>(
        &mut self,
        f: &Spanned<String>,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        known: &str,
    ) -> Option<T> {
        let v = parse(f.get_ref().trim());
        if v.is_none() {
            let l = self.at(f);
            self.err(l, format!("`{name}` {:?}: expected {known}", f.get_ref()));
        }
        v
    }
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|&v| name(v)).collect::<Vec<_>>().join(", ")
}

/// The level table: each of 1..=5 exactly once.
pub(super) fn levels(c: &mut Check<'_>, raw: &RawLevels) -> Vec<Level> {
    let start = c.errors.len();
    let mut out: Vec<Level> = Vec::new();
    for l in &raw.level {
        let line = c.at(l);
        let r = l.get_ref();
        let before = c.errors.len();
        let level = c.req(&r.level, "level", line).and_then(|f| c.int(f, "level", 1..=i64::from(TOP_LEVEL)));
        let name = c.text(&r.name, "name", line);
        let task = c.req(&r.task, "task", line).and_then(|f| c.parsed(f, "task", TaskKind::parse, &task_names()));
        let due_days = c.req(&r.due_days, "due_days", line).and_then(|f| c.int(f, "due_days", 1..=DUE_MAX_DAYS));
        let escalate_to = r.escalate_to.as_ref().and_then(|f| escalate_target(c, f, level));
        if let Some(n) = level
            && out.iter().any(|o| u32::from(o.level) == n)
        {
            c.err(line, format!("level {n} is defined twice"));
        }
        if c.errors.len() > before {
            continue;
        }
        if let (Some(level), Some(name), Some(task), Some(due_days)) =
            (level.and_then(|n| u8::try_from(n).ok()), name, task, due_days)
        {
            let checklist = r.checklist.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            out.push(Level { level, name, task, due_days, checklist, escalate_to });
        }
    }
    // A level that failed its own checks is already reported; only report absent ones.
    if c.errors.len() == start {
        for n in (1..=TOP_LEVEL).filter(|n| !out.iter().any(|l| l.level == *n)) {
            c.err(0, format!("level {n} is missing; the ladder has levels 1..={TOP_LEVEL}"));
        }
    }
    out.sort_by_key(|l| l.level);
    out
}

fn task_names() -> String {
    names(&TaskKind::ALL, TaskKind::as_str)
}

fn escalate_target(c: &mut Check<'_>, f: &Spanned<i64>, level: Option<u32>) -> Option<u8> {
    let to = c.int(f, "escalate_to", 1..=i64::from(TOP_LEVEL))?;
    if let Some(level) = level
        && to <= level
    {
        let l = c.at(f);
        c.err(l, format!("`escalate_to` {to} is not above level {level}"));
        return None;
    }
    u8::try_from(to).ok()
}

/// `L2-SERIOUS-ACCIDENT`: upper-case letters and digits in dash-separated groups.
pub fn id_is_well_formed(id: &str) -> bool {
    id.chars().count() <= ID_MAX_CHARS
        && id.split('-').count() >= 2
        && id.split('-').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

/// One rule; `None` when it has problems (all of them pushed).
pub(super) fn rule(c: &mut Check<'_>, rel: &Path, line: usize, r: &RawRule, levels: &[Level]) -> Option<Rule> {
    let before = c.errors.len();
    let id = c.text(&r.id, "id", line);
    let id_line = r.id.as_ref().map_or(line, |f| c.at(f));
    if let Some(id) = &id
        && !id_is_well_formed(id)
    {
        c.err(id_line, format!("id {id:?} is not of the form L2-WHAT (upper case, digits, dashes, ≤ {ID_MAX_CHARS})"));
    }
    let version = c.req(&r.version, "version", line).and_then(|f| c.int(f, "version", 1..=i64::from(u32::MAX)));
    let name = c.text(&r.name, "name", line);
    let about = c.text(&r.about, "about", line);
    let level_n = c.req(&r.level, "level", line).and_then(|f| c.int(f, "level", 1..=i64::from(TOP_LEVEL)));
    let level = level_n.and_then(|n| levels.iter().find(|l| u32::from(l.level) == n));
    let task = match &r.task {
        Some(f) => c.parsed(f, "task", TaskKind::parse, &task_names()),
        None => level.map(|l| l.task),
    };
    let due_days = match &r.due_days {
        Some(f) => c.int(f, "due_days", 1..=DUE_MAX_DAYS),
        None => level.map(|l| l.due_days),
    };
    let cause = c
        .req(&r.cause, "cause", line)
        .and_then(|f| c.parsed(f, "cause", CauseKind::parse, &names(&CauseKind::ALL, CauseKind::as_str)));
    let escalate_to = r.escalate_to.as_ref().and_then(|f| escalate_target(c, f, level_n));
    let when = c.req(&r.when, "when", line).and_then(|w| condition(c, w, false, 0));
    let resolved_when = c.req(&r.resolved_when, "resolved_when", line).and_then(|w| condition(c, w, true, 0));
    if c.errors.len() > before {
        return None;
    }
    Some(Rule {
        id: id?,
        version: version?,
        name: name?,
        about: about?,
        level: level?.level,
        task: task?,
        due_days: due_days?,
        cause: cause?,
        when: when?,
        resolved_when: resolved_when?,
        escalate_to,
        file: rel.to_path_buf(),
        line: id_line,
    })
}

/// A comparison or a combinator; `resolution` allows the task metrics.
fn condition(c: &mut Check<'_>, s: &Spanned<RawCondition>, resolution: bool, depth: usize) -> Option<Condition> {
    let line = c.at(s);
    let r = s.get_ref();
    if depth > MAX_DEPTH {
        c.err(line, format!("conditions nest deeper than {MAX_DEPTH} levels"));
        return None;
    }
    let combinator = match (&r.all, &r.any) {
        (Some(_), Some(_)) => {
            c.err(line, "a condition has `all` or `any`, not both");
            return None;
        }
        (Some(list), None) => Some(("all", list)),
        (None, Some(list)) => Some(("any", list)),
        (None, None) => None,
    };
    let Some((kind, list)) = combinator else {
        return comparison(c, line, r, resolution).map(Condition::Compare);
    };
    let stray = comparison_fields(r);
    if let Some(first) = stray.first() {
        c.err(line, format!("`{first}` belongs to a comparison, not to `{kind}`"));
        return None;
    }
    if list.get_ref().is_empty() {
        let l = c.at(list);
        c.err(l, format!("`{kind}` is empty"));
        return None;
    }
    let before = c.errors.len();
    let parts: Vec<Condition> = list.get_ref().iter().filter_map(|p| condition(c, p, resolution, depth + 1)).collect();
    if c.errors.len() > before {
        return None;
    }
    Some(if kind == "all" { Condition::All(parts) } else { Condition::Any(parts) })
}

/// Names of the comparison fields a raw condition sets.
fn comparison_fields(r: &RawCondition) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut has = |set: bool, name| {
        if set {
            out.push(name);
        }
    };
    has(r.metric.is_some(), "metric");
    has(r.op.is_some(), "op");
    has(r.value.is_some(), "value");
    for (p, _) in param_fields(r) {
        out.push(p.as_str());
    }
    out
}

/// The parameters a raw condition sets, with their lines' spans.
fn param_fields(r: &RawCondition) -> Vec<(Param, usize)> {
    let mut out = Vec::new();
    let mut add = |p, span: Option<std::ops::Range<usize>>| {
        if let Some(s) = span {
            out.push((p, s.start));
        }
    };
    add(Param::Window, r.window_days.as_ref().map(Spanned::span));
    add(Param::Window, r.window_months.as_ref().map(Spanned::span));
    add(Param::Severity, r.severity.as_ref().map(Spanned::span));
    add(Param::AccidentTypes, r.accident_types.as_ref().map(Spanned::span));
    add(Param::BodyParts, r.body_parts.as_ref().map(Spanned::span));
    add(Param::MaxDisabilityGrade, r.max_disability_grade.as_ref().map(Spanned::span));
    add(Param::Grade, r.grade.as_ref().map(Spanned::span));
    add(Param::MinAgeDays, r.min_age_days.as_ref().map(Spanned::span));
    add(Param::SelfReported, r.self_reported.as_ref().map(Spanned::span));
    add(Param::Scope, r.scope.as_ref().map(Spanned::span));
    add(Param::MinDaysLate, r.min_days_late.as_ref().map(Spanned::span));
    out
}

fn comparison(c: &mut Check<'_>, line: usize, r: &RawCondition, resolution: bool) -> Option<Comparison> {
    let Some(m) = &r.metric else {
        c.err(line, "a condition needs `metric` (with `op` and `value`) or `all` / `any`");
        return None;
    };
    let before = c.errors.len();
    let metric = c.parsed(m, "metric", Metric::parse, &names(&Metric::ALL, Metric::as_str));
    if let Some(metric) = metric
        && metric.resolution_only()
        && !resolution
    {
        let l = c.at(m);
        c.err(l, format!("metric `{}` describes an escalation's tasks: only in `resolved_when`", metric.as_str()));
    }
    let op = c.req(&r.op, "op", line).and_then(|f| c.parsed(f, "op", Op::parse, &names(&Op::ALL, Op::as_str)));
    let value = c.req(&r.value, "value", line).map(|f| (*f.get_ref(), c.at(f)));
    if let (Some(metric), Some((v, l))) = (metric, value) {
        let (lo, hi) = metric.range();
        if !(lo..=hi).contains(&v) {
            c.err(l, format!("`value` {v} is outside {lo}..={hi} for `{}`", metric.as_str()));
        }
    }
    let params = metric.and_then(|m| params(c, r, m));
    if c.errors.len() > before {
        return None;
    }
    Some(Comparison { metric: metric?, params: params?, op: op?, value: value?.0 })
}

fn params(c: &mut Check<'_>, r: &RawCondition, metric: Metric) -> Option<Params> {
    let before = c.errors.len();
    for (p, start) in param_fields(r) {
        if !metric.params().contains(&p) {
            let l = line_of(c.text, start);
            c.err(l, format!("`{}` does not apply to metric `{}`", p.as_str(), metric.as_str()));
        }
    }
    let window = match (&r.window_days, &r.window_months) {
        (Some(d), Some(_)) => {
            let l = c.at(d);
            c.err(l, "give `window_days` or `window_months`, not both");
            None
        }
        (Some(d), None) => c.int(d, "window_days", 1..=WINDOW_MAX_DAYS).map(Window::Days),
        (None, Some(m)) => c.int(m, "window_months", 1..=WINDOW_MAX_MONTHS).map(Window::Months),
        (None, None) => None,
    };
    let severity = list(c, &r.severity, "severity", |s| {
        Severity::parse(s).ok_or_else(|| format!("expected {}", names(&Severity::ALL, Severity::as_str)))
    });
    let catalog = c.catalog;
    let accident_types = list(c, &r.accident_types, "accident_types", |s| {
        let known = catalog.accident_type_86.contains(s);
        if known { Ok(s.to_string()) } else { Err("not a GB 6441-86 accident type code (01..20)".into()) }
    });
    let body_parts = list(c, &r.body_parts, "body_parts", |s| {
        let known = catalog.body_part.contains(s);
        if known { Ok(s.to_string()) } else { Err("not a GB 6441-86 body part code (A1.01..A1.15)".into()) }
    });
    let max_disability_grade = r
        .max_disability_grade
        .as_ref()
        .and_then(|f| c.int(f, "max_disability_grade", 1..=10))
        .and_then(|n| u8::try_from(n).ok());
    let grade = r.grade.as_ref().and_then(|f| c.parsed(f, "grade", Grade::parse, "general or major"));
    let min_age_days = r.min_age_days.as_ref().and_then(|f| c.int(f, "min_age_days", 0..=WINDOW_MAX_DAYS));
    let scope = r.scope.as_ref().and_then(|f| {
        let parse = |s: &str| match s {
            "industry" => Some(PercentileScope::Industry),
            "region" => Some(PercentileScope::Region),
            _ => None,
        };
        c.parsed(f, "scope", parse, "industry or region")
    });
    let min_days_late = r.min_days_late.as_ref().and_then(|f| c.int(f, "min_days_late", 1..=WINDOW_MAX_DAYS));
    let out = Params {
        window,
        severity,
        accident_types,
        body_parts,
        max_disability_grade,
        grade,
        min_age_days,
        self_reported: r.self_reported.as_ref().map(|f| *f.get_ref()),
        scope: scope.unwrap_or_default(),
        min_days_late,
    };
    (c.errors.len() == before).then_some(out)
}

/// A list parameter: no blanks, no repeats, each entry parsed.
fn list<T>(
    c: &mut Check<'_>,
    f: &Option<Spanned<Vec<String>>>,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Vec<T> {
    let Some(f) = f else { return Vec::new() };
    let line = c.at(f);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    if f.get_ref().is_empty() {
        c.err(line, format!("`{name}` is empty; leave it out to mean any"));
    }
    for v in f.get_ref() {
        let v = v.trim();
        if !seen.insert(v) {
            c.err(line, format!("`{name}` repeats {v:?}"));
            continue;
        }
        match parse(v) {
            Ok(x) => out.push(x),
            Err(why) => c.err(line, format!("`{name}`: {v:?}: {why}")),
        }
    }
    out
}
