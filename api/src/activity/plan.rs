//! How each demo enterprise takes part: four kinds of participant, so that the city
//! shows enterprises meeting all three targets (≥150 recommended, ≥50 found, ≥80% of
//! what was found rectified) beside ones that fall short in each way.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// China Standard Time, in which days (and deadlines) are counted.
pub const CHINA: i64 = 8 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Inspects everything, finds 50+, rectifies nearly all: meets every target.
    Exemplary,
    /// Finds 50+ but leaves a third unrectified: misses the 80%.
    SlowToRectify,
    /// Inspects everything, rectifies well, finds fewer than 50.
    FindsLittle,
    /// Inspects part of the list, finds little, lets deadlines pass: misses all but the list.
    Lagging,
}

impl Tier {
    /// Three, three, twelve and twelve of every thirty, interleaved by order: few
    /// enterprises reach 50 hazards in the programme's first half year (and every
    /// hazard is a dozen use-case calls to simulate, so the load stays quick).
    pub fn of(index: usize) -> Self {
        match index % 10 {
            0 => Self::Exemplary,
            4 => Self::SlowToRectify,
            1 | 3 | 6 | 8 => Self::FindsLittle,
            _ => Self::Lagging,
        }
    }

    /// How many hazards it finds (inclusive range).
    pub fn found(self) -> (usize, usize) {
        match self {
            Self::Exemplary => (52, 62),
            Self::SlowToRectify => (50, 56),
            Self::FindsLittle => (14, 32),
            Self::Lagging => (3, 9),
        }
    }

    /// The share of findings nobody rectifies (they go overdue).
    pub fn neglect(self) -> f64 {
        match self {
            Self::Exemplary => 0.03,
            Self::SlowToRectify => 0.33,
            Self::FindsLittle => 0.08,
            Self::Lagging => 0.45,
        }
    }

    /// The share of rectifications the officer refuses once before accepting.
    pub fn rejected(self) -> f64 {
        match self {
            Self::Exemplary | Self::FindsLittle => 0.07,
            Self::SlowToRectify | Self::Lagging => 0.15,
        }
    }

    /// The share of the checklist it marks.
    pub fn marked(self) -> f64 {
        if self == Self::Lagging { 0.6 } else { 1.0 }
    }

    /// Major hazards (重大隐患) it reports at most.
    pub fn majors(self) -> usize {
        match self {
            Self::FindsLittle => 0,
            _ => 1,
        }
    }

    /// Whether it does the tasks the trigger rules give it.
    pub fn does_its_tasks(self) -> bool {
        self != Self::Lagging
    }

    pub fn reports(self) -> bool {
        self != Self::Lagging
    }
}

/// The programme's start: the latest half-year start (1 January or 1 July, China time)
/// at least 90 days before `now`, so the activity spans three to nine months and the
/// half-year checkpoints and report periods fall as the rules expect.
pub fn programme_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = local_date(now);
    let latest = today - Duration::days(90);
    let start = if latest.month() >= 7 {
        NaiveDate::from_ymd_opt(latest.year(), 7, 1)
    } else {
        NaiveDate::from_ymd_opt(latest.year(), 1, 1)
    };
    start.map_or(now - Duration::days(182), |d| at_local(d, 0, 0))
}

/// `day` at `hour:minute` China time.
pub fn at_local(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = day.and_hms_opt(hour, minute, 0).unwrap_or_default();
    Utc.from_utc_datetime(&local) - Duration::seconds(CHINA)
}

pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::seconds(CHINA)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_programme_starts_at_a_half_year_at_least_90_days_back() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap();
        assert_eq!(local_date(programme_start(now)), NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        let now = Utc.with_ymd_and_hms(2027, 2, 10, 8, 0, 0).unwrap();
        assert_eq!(local_date(programme_start(now)), NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        let now = Utc.with_ymd_and_hms(2027, 5, 10, 8, 0, 0).unwrap();
        assert_eq!(local_date(programme_start(now)), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    }

    #[test]
    fn the_thirty_split_three_three_twelve_twelve() {
        let count = |t: Tier| (0..30).filter(|i| Tier::of(*i) == t).count();
        assert_eq!(
            [count(Tier::Exemplary), count(Tier::SlowToRectify), count(Tier::FindsLittle), count(Tier::Lagging)],
            [3, 3, 12, 12]
        );
    }
}
