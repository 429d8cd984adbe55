//! Injury severity as GB 6441-86 grades it, plus the work-injury disability grades.

use serde::{Deserialize, Serialize};

/// Lost working days from which an injury counts as serious (重伤), GB 6441-86.
pub const SERIOUS_LOST_DAYS: i64 = 105;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 轻伤: fewer than 105 lost days.
    Minor,
    /// 重伤: 105 lost days or more, or an injury the standard lists as serious.
    Serious,
    /// 伤残: a work-injury disability grade, 1 (most severe) to 10.
    Disability,
    /// 死亡.
    Death,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Minor, Self::Serious, Self::Disability, Self::Death];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minor => "minor",
            Self::Serious => "serious",
            Self::Disability => "disability",
            Self::Death => "death",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Minor or serious from lost days alone, for sources that give nothing better.
    pub fn from_lost_days(days: i64) -> Self {
        if days >= SERIOUS_LOST_DAYS { Self::Serious } else { Self::Minor }
    }

    /// Serious injury, disability or death: what the trigger rules call "serious".
    pub fn is_serious_or_worse(self) -> bool {
        !matches!(self, Self::Minor)
    }
}

/// Disability grade 1–10 (1 is the most severe).
pub fn valid_disability_grade(grade: i16) -> bool {
    (1..=10).contains(&grade)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_days_threshold_is_105() {
        assert_eq!(Severity::from_lost_days(104), Severity::Minor);
        assert_eq!(Severity::from_lost_days(105), Severity::Serious);
    }

    #[test]
    fn round_trips_names() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        assert_eq!(Severity::parse("fatal"), None);
        assert!(!valid_disability_grade(0) && valid_disability_grade(10) && !valid_disability_grade(11));
    }
}
