//! Doubts about a photo, kept with the record for a reviewer; none refuses the upload
//! (a phone offline for a day, or a site bigger than the tolerance, is no fraud).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{EvidenceSettings, GeoPoint};

/// Who said when and where the photo was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The mini-program's report (`wx.getLocation`, the time it took the photo).
    Client,
    /// The camera's EXIF.
    Exif,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// Taken this many minutes before the server received it (negative: after, so
    /// the clock is wrong).
    CaptureTimeFar { source: Source, minutes_before_receipt: i64 },
    /// Taken this far from the enterprise's site.
    PositionFar { source: Source, metres: u32 },
}

pub(super) struct Claims {
    pub received_at: DateTime<Utc>,
    pub times: [(Source, Option<DateTime<Utc>>); 2],
    pub positions: [(Source, Option<GeoPoint>); 2],
    pub site: Option<GeoPoint>,
}

pub(super) fn flags(c: &Claims, s: &EvidenceSettings) -> Vec<Flag> {
    let mut flags = Vec::new();
    for (source, t) in c.times {
        if let Some(t) = t {
            let minutes = (c.received_at - t).num_minutes();
            if minutes.abs() > s.capture_time_tolerance_minutes {
                flags.push(Flag::CaptureTimeFar { source, minutes_before_receipt: minutes });
            }
        }
    }
    if let Some(site) = c.site {
        for (source, p) in c.positions {
            if let Some(p) = p {
                let metres = p.distance_m(site);
                if metres > s.site_distance_tolerance_m {
                    // Saturates at u32::MAX metres, far beyond any distance on Earth.
                    flags.push(Flag::PositionFar { source, metres: metres.round() as u32 });
                }
            }
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(minutes_before: i64) -> Option<DateTime<Utc>> {
        Some(received() - Duration::minutes(minutes_before))
    }

    fn received() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-14T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn claims(client: Option<DateTime<Utc>>, exif: Option<DateTime<Utc>>, pos: Option<GeoPoint>) -> Claims {
        Claims {
            received_at: received(),
            times: [(Source::Client, client), (Source::Exif, exif)],
            positions: [(Source::Client, pos), (Source::Exif, None)],
            site: GeoPoint::new(39.0, 106.0),
        }
    }

    #[test]
    fn times_within_the_tolerance_pass_and_far_ones_are_flagged() {
        let s = EvidenceSettings { capture_time_tolerance_minutes: 60, ..EvidenceSettings::default() };
        assert!(flags(&claims(at(60), at(-60), None), &s).is_empty());
        assert!(flags(&claims(None, None, None), &s).is_empty(), "nothing claimed, nothing flagged");
        assert_eq!(
            flags(&claims(at(61), at(-90), None), &s),
            vec![
                Flag::CaptureTimeFar { source: Source::Client, minutes_before_receipt: 61 },
                Flag::CaptureTimeFar { source: Source::Exif, minutes_before_receipt: -90 },
            ]
        );
    }

    #[test]
    fn positions_far_from_the_site_are_flagged() {
        let s = EvidenceSettings { site_distance_tolerance_m: 500.0, ..EvidenceSettings::default() };
        // 0.004° of latitude is about 445 m; 0.005° about 556 m.
        assert!(flags(&claims(None, None, GeoPoint::new(39.004, 106.0)), &s).is_empty());
        let f = flags(&claims(None, None, GeoPoint::new(39.005, 106.0)), &s);
        assert!(matches!(f.as_slice(), [Flag::PositionFar { source: Source::Client, metres: 550..=560 }]), "{f:?}");
        let mut no_site = claims(None, None, GeoPoint::new(0.0, 0.0));
        no_site.site = None;
        assert!(flags(&no_site, &s).is_empty(), "no site on file: nothing to compare");
    }

    #[test]
    fn flags_serialise_for_the_record() {
        let f = Flag::PositionFar { source: Source::Exif, metres: 1200 };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"flag": "position_far", "source": "exif", "metres": 1200})
        );
    }
}
