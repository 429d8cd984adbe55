//! Deadlines are dates in China time (`rectifications.deadline` is a `date`): a hazard
//! due on 3 March is overdue from 4 March 00:00 (UTC+8), not from some UTC midnight.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::Finding;

/// China Standard Time; no daylight saving since 1991.
const CHINA_OFFSET_SECS: i32 = 8 * 3600;
/// Reminders before the deadline go out at the start of the working day.
const REMINDER_HOUR: u32 = 9;

fn offset() -> Duration {
    Duration::seconds(i64::from(CHINA_OFFSET_SECS))
}

/// The calendar date in China at `now`.
pub fn local_date(now: DateTime<Utc>) -> NaiveDate {
    (now.naive_utc() + offset()).date()
}

/// The instant `time` (China time) on `date`, in UTC.
fn at_local(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(date.and_time(time) - offset(), Utc)
}

/// When a rectification due on `deadline` becomes overdue: the end of that day in China.
pub fn overdue_at(deadline: NaiveDate) -> DateTime<Utc> {
    let next = deadline.checked_add_days(Days::new(1)).unwrap_or(deadline);
    at_local(next, NaiveTime::MIN)
}

/// Whether the deadline day has ended at `now`.
pub fn deadline_passed(deadline: NaiveDate, now: DateTime<Utc>) -> bool {
    now >= overdue_at(deadline)
}

/// Rectification is owed and its deadline has passed: what the overdue job looks for
/// (it marks those still in `to_rectify`; `overdue` ones already are).
pub fn is_overdue(finding: &Finding, now: DateTime<Utc>) -> bool {
    finding.state.is_open_rectification() && finding.deadline.is_some_and(|d| deadline_passed(d, now))
}

/// The default deadline for a library item with `deadline_days`: counted from today in China.
pub fn default_deadline(deadline_days: u32, now: DateTime<Utc>) -> NaiveDate {
    let today = local_date(now);
    today.checked_add_days(Days::new(u64::from(deadline_days))).unwrap_or(today)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    ThreeDaysBefore,
    OneDayBefore,
    Overdue,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThreeDaysBefore => "three_days_before",
            Self::OneDayBefore => "one_day_before",
            Self::Overdue => "overdue",
        }
    }
}

/// A reminder to the assignee. (finding, kind, deadline) identifies it, so an outbox
/// keyed on that sends each once and an extension (a new deadline) schedules new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub kind: ReminderKind,
    pub at: DateTime<Utc>,
    pub deadline: NaiveDate,
}

/// The reminders for a deadline, in time order: 09:00 three days and one day before,
/// and the moment it becomes overdue.
pub fn reminder_schedule(deadline: NaiveDate) -> [Reminder; 3] {
    let nine = NaiveTime::from_hms_opt(REMINDER_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    let before = |days: u64, kind| Reminder {
        kind,
        at: at_local(deadline.checked_sub_days(Days::new(days)).unwrap_or(deadline), nine),
        deadline,
    };
    [
        before(3, ReminderKind::ThreeDaysBefore),
        before(1, ReminderKind::OneDayBefore),
        Reminder { kind: ReminderKind::Overdue, at: overdue_at(deadline), deadline },
    ]
}

/// The reminders that fell due in `(since, now]` for a finding whose rectification is
/// owed; a job passes its previous run time as `since`, so each is picked up once.
pub fn due_reminders(finding: &Finding, since: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Reminder> {
    let Some(deadline) = finding.deadline.filter(|_| finding.state.is_open_rectification()) else {
        return Vec::new();
    };
    reminder_schedule(deadline).into_iter().filter(|r| r.at > since && r.at <= now).collect()
}
