//! What one finding adds to its enterprise's `enterprise_progress` sums, and so what a
//! write changes in them: pure code, shared by the full recount ([`super::refresh`])
//! and the per-write deltas ([`super::apply`]), so that both count by the same rules.

use chrono::{DateTime, FixedOffset};

use crate::store::progress::FindingSums;

/// Upper bounds (days, inclusive) of the close-time buckets but the last.
const CLOSE_DAYS: [f64; 6] = [1.0, 3.0, 7.0, 15.0, 30.0, 60.0];

/// The close-time bucket of a finding reported at `reported` and accepted at
/// `accepted`: 0 for within a day … 6 for more than 60 days.
pub fn close_bucket(reported: DateTime<FixedOffset>, accepted: DateTime<FixedOffset>) -> usize {
    let days = (accepted - reported).num_seconds() as f64 / 86_400.0;
    CLOSE_DAYS.iter().position(|d| days <= *d).unwrap_or(CLOSE_DAYS.len())
}

/// A finding as the sums see it.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    pub state: &'a str,
    pub grade: &'a str,
    /// For an accepted finding, the bucket of its time to acceptance (when its
    /// rectification records one).
    pub closed_in: Option<usize>,
}

/// What the finding adds to its enterprise's sums. A draft or a cancelled finding
/// counts nowhere; every other is found, and either rectified (accepted) or open
/// (submitted but not assigned counts as open too: nobody has closed it); an overdue
/// one is also overdue; `major_*` repeat the counts for grade `major`.
pub fn sums_of(f: Counted<'_>) -> FindingSums {
    let mut s = FindingSums::default();
    if f.state == "draft" || f.state == "cancelled" {
        return s;
    }
    let major = i32::from(f.grade == "major");
    s.found = 1;
    s.major_found = major;
    if f.state == "accepted" {
        s.rectified = 1;
        if let Some(b) = f.closed_in.filter(|b| *b < s.close.len()) {
            s.close[b] = 1;
        }
        return s;
    }
    s.open = 1;
    s.major_open = major;
    if f.state == "overdue" {
        s.overdue = 1;
        s.major_overdue = major;
    }
    s
}

/// `f` applied column by column to `a` and `b`.
fn combine(a: FindingSums, b: FindingSums, f: impl Fn(i32, i32) -> i32) -> FindingSums {
    let mut close = a.close;
    for (c, d) in close.iter_mut().zip(b.close) {
        *c = f(*c, d);
    }
    FindingSums {
        found: f(a.found, b.found),
        rectified: f(a.rectified, b.rectified),
        open: f(a.open, b.open),
        overdue: f(a.overdue, b.overdue),
        major_found: f(a.major_found, b.major_found),
        major_open: f(a.major_open, b.major_open),
        major_overdue: f(a.major_overdue, b.major_overdue),
        close,
    }
}

/// `a + n × b`, column by column (the recount adds `n` findings alike at once).
pub fn plus(a: FindingSums, b: FindingSums, n: i32) -> FindingSums {
    combine(a, b, |x, y| x.saturating_add(y.saturating_mul(n)))
}

/// The change to the sums when a finding goes from `before` (`None`: it did not exist)
/// to `after`.
pub fn change(before: Option<Counted<'_>>, after: Counted<'_>) -> FindingSums {
    let before = before.map(sums_of).unwrap_or_default();
    combine(sums_of(after), before, |x, y| x - y)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn f(state: &'static str, grade: &'static str) -> Counted<'static> {
        Counted { state, grade, closed_in: None }
    }

    fn zero() -> FindingSums {
        FindingSums::default()
    }

    #[test]
    fn buckets_are_inclusive_upper_bounds_in_days() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap().fixed_offset();
        let at = |d: i64, s: i64| t0 + Duration::days(d) + Duration::seconds(s);
        assert_eq!(close_bucket(t0, t0), 0);
        assert_eq!(close_bucket(t0, at(1, 0)), 0);
        assert_eq!(close_bucket(t0, at(1, 1)), 1);
        assert_eq!(close_bucket(t0, at(3, 0)), 1);
        assert_eq!(close_bucket(t0, at(7, 0)), 2);
        assert_eq!(close_bucket(t0, at(15, 0)), 3);
        assert_eq!(close_bucket(t0, at(30, 0)), 4);
        assert_eq!(close_bucket(t0, at(60, 0)), 5);
        assert_eq!(close_bucket(t0, at(60, 1)), 6);
        assert_eq!(close_bucket(t0, at(400, 0)), 6);
        // The same instant in another offset is the same time.
        let east = at(2, 0).with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        assert_eq!(close_bucket(t0, east), 1);
    }

    #[test]
    fn drafts_and_cancelled_findings_count_nowhere() {
        assert_eq!(sums_of(f("draft", "major")), zero());
        assert_eq!(sums_of(f("cancelled", "major")), zero());
        assert_eq!(change(None, f("draft", "general")), zero());
        assert_eq!(change(Some(f("draft", "major")), f("cancelled", "major")), zero());
    }

    #[test]
    fn every_open_state_is_found_and_open() {
        for state in ["submitted", "to_rectify", "rectification_submitted", "overdue"] {
            let s = sums_of(f(state, "general"));
            assert_eq!((s.found, s.open, s.rectified, s.major_found), (1, 1, 0, 0), "{state}");
            assert_eq!(s.overdue, i32::from(state == "overdue"), "{state}");
            let m = sums_of(f(state, "major"));
            assert_eq!((m.major_found, m.major_open), (1, 1), "{state}");
            assert_eq!(m.major_overdue, i32::from(state == "overdue"), "{state}");
        }
    }

    #[test]
    fn reporting_and_submitting_add_one_found_and_open() {
        let submitted = FindingSums { found: 1, open: 1, major_found: 1, major_open: 1, ..zero() };
        assert_eq!(change(None, f("submitted", "major")), submitted);
        assert_eq!(change(Some(f("draft", "major")), f("submitted", "major")), submitted);
        let general = FindingSums { found: 1, open: 1, ..zero() };
        assert_eq!(change(Some(f("draft", "general")), f("submitted", "general")), general);
    }

    #[test]
    fn steps_between_open_states_change_nothing_but_overdue() {
        for (from, to) in [
            ("submitted", "to_rectify"),
            ("to_rectify", "rectification_submitted"),
            ("rectification_submitted", "to_rectify"),
            ("to_rectify", "to_rectify"),
        ] {
            assert_eq!(change(Some(f(from, "major")), f(to, "major")), zero(), "{from} -> {to}");
        }
        let overdue = FindingSums { overdue: 1, major_overdue: 1, ..zero() };
        assert_eq!(change(Some(f("to_rectify", "major")), f("overdue", "major")), overdue);
        let back = FindingSums { overdue: -1, ..zero() };
        assert_eq!(change(Some(f("overdue", "general")), f("to_rectify", "general")), back);
        assert_eq!(change(Some(f("overdue", "general")), f("rectification_submitted", "general")), back);
    }

    #[test]
    fn acceptance_closes_into_its_bucket_and_reopening_takes_it_back() {
        let accepted = Counted { closed_in: Some(2), ..f("accepted", "major") };
        let mut closed = FindingSums { rectified: 1, open: -1, major_open: -1, ..zero() };
        closed.close[2] = 1;
        assert_eq!(change(Some(f("rectification_submitted", "major")), accepted), closed);
        let mut reopened = FindingSums { rectified: -1, open: 1, major_open: 1, ..zero() };
        reopened.close[2] = -1;
        assert_eq!(change(Some(accepted), f("to_rectify", "major")), reopened);
        // Accepted without a recorded time: rectified, in no bucket (as the recount).
        let untimed = change(Some(f("rectification_submitted", "general")), f("accepted", "general"));
        assert_eq!(untimed, FindingSums { rectified: 1, open: -1, ..zero() });
    }

    #[test]
    fn cancelling_takes_back_what_the_state_counted() {
        let overdue = FindingSums {
            found: -1,
            open: -1,
            overdue: -1,
            major_found: -1,
            major_open: -1,
            major_overdue: -1,
            ..zero()
        };
        assert_eq!(change(Some(f("overdue", "major")), f("cancelled", "major")), overdue);
        let submitted = FindingSums { found: -1, open: -1, ..zero() };
        assert_eq!(change(Some(f("rectification_submitted", "general")), f("cancelled", "general")), submitted);
    }

    #[test]
    fn a_life_summed_by_deltas_is_its_end_state() {
        // draft → submitted → to_rectify → overdue → rectification_submitted → accepted
        // → to_rectify (reopened) → rectification_submitted → accepted.
        let states = [
            ("draft", None),
            ("submitted", None),
            ("to_rectify", None),
            ("overdue", None),
            ("rectification_submitted", None),
            ("accepted", Some(6)),
            ("to_rectify", None),
            ("rectification_submitted", None),
            ("accepted", Some(1)),
        ];
        let mut sum = zero();
        let mut before: Option<Counted<'_>> = None;
        for (state, closed_in) in states {
            let now = Counted { state, grade: "major", closed_in };
            sum = plus(sum, change(before, now), 1);
            before = Some(now);
        }
        let end = sums_of(Counted { state: "accepted", grade: "major", closed_in: Some(1) });
        assert_eq!(sum, end);
        assert_eq!(plus(zero(), end, 3).close[1], 3);
    }
}
