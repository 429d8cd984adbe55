//! Capture time and position from the photo's EXIF, when the camera wrote them (the
//! mini-program's compressed copies often carry none).

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use exif::{Exif, In, Tag, Value};
use serde::Serialize;

use super::GeoPoint;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExifFacts {
    pub taken_at: Option<DateTime<Utc>>,
    /// The camera wrote no time zone, so the configured offset was assumed.
    pub zone_assumed: bool,
    pub position: Option<GeoPoint>,
}

/// Whatever EXIF the photo has; an absent or broken block gives no facts, not an error.
pub(super) fn read(bytes: &[u8], assumed_offset_minutes: i32) -> ExifFacts {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return ExifFacts::default();
    };
    let (taken_at, zone_assumed) = match taken_at(&exif, assumed_offset_minutes) {
        Some((t, assumed)) => (Some(t), assumed),
        None => (None, false),
    };
    ExifFacts { taken_at, zone_assumed, position: position(&exif) }
}

/// The first usable of (time, its offset): when taken, when digitised, when last written.
fn taken_at(exif: &Exif, assumed_offset_minutes: i32) -> Option<(DateTime<Utc>, bool)> {
    [
        (Tag::DateTimeOriginal, Tag::OffsetTimeOriginal),
        (Tag::DateTimeDigitized, Tag::OffsetTimeDigitized),
        (Tag::DateTime, Tag::OffsetTime),
    ]
    .into_iter()
    .find_map(|(time, offset)| {
        let mut t = exif::DateTime::from_ascii(ascii(exif, time)?).ok()?;
        if let Some(o) = ascii(exif, offset) {
            // A malformed offset counts as none.
            let _ = t.parse_offset(o);
        }
        let assumed = t.offset.is_none();
        let minutes = t.offset.map_or(assumed_offset_minutes, i32::from);
        let zone = FixedOffset::east_opt(minutes * 60)?;
        let local = NaiveDate::from_ymd_opt(t.year.into(), t.month.into(), t.day.into())?.and_hms_nano_opt(
            t.hour.into(),
            t.minute.into(),
            t.second.into(),
            t.nanosecond.unwrap_or(0),
        )?;
        Some((zone.from_local_datetime(&local).single()?.with_timezone(&Utc), assumed))
    })
}

fn position(exif: &Exif) -> Option<GeoPoint> {
    let lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    // Cameras without a fix write zeros.
    if lat == 0.0 && lon == 0.0 {
        return None;
    }
    GeoPoint::new(lat, lon)
}

/// Degrees, minutes, seconds as three rationals, negated by the `negative` reference.
fn degrees(exif: &Exif, tag: Tag, reference: Tag, negative: u8) -> Option<f64> {
    let Value::Rational(dms) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    let parts: Vec<f64> = dms.iter().take(3).map(|r| r.to_f64()).collect();
    if parts.is_empty() || parts.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let value = parts.iter().zip([1.0, 60.0, 3600.0]).map(|(v, d)| v / d).sum::<f64>();
    let sign = match ascii(exif, reference)?.first()? {
        c if c.eq_ignore_ascii_case(&negative) => -1.0,
        _ => 1.0,
    };
    Some(sign * value)
}

fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first().map(Vec::as_slice),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, ExifSpec};
    use super::*;

    #[test]
    fn time_with_its_offset_and_position() {
        let jpeg = fixtures::jpeg_with_exif(
            64,
            48,
            &ExifSpec {
                taken: Some("2026:03:14 09:26:53"),
                offset: Some("+08:00"),
                gps: Some(((39, 1, 30.0), b'N', (106, 22, 48.0), b'E')),
                ..ExifSpec::default()
            },
        );
        let f = read(&jpeg, 0);
        assert_eq!(f.taken_at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-03-14T01:26:53+00:00"));
        assert!(!f.zone_assumed);
        let p = f.position.unwrap();
        assert!((p.lat() - 39.025).abs() < 1e-9 && (p.lon() - 106.38).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn the_configured_offset_when_the_camera_wrote_none_and_west_south_are_negative() {
        let jpeg = fixtures::jpeg_with_exif(
            32,
            32,
            &ExifSpec {
                taken: Some("2026:03:14 09:26:53"),
                gps: Some(((33, 51, 0.0), b'S', (70, 30, 0.0), b'W')),
                ..ExifSpec::default()
            },
        );
        let f = read(&jpeg, 480);
        assert_eq!(f.taken_at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-03-14T01:26:53+00:00"));
        assert!(f.zone_assumed);
        let p = f.position.unwrap();
        assert!((p.lat() + 33.85).abs() < 1e-9 && (p.lon() + 70.5).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn no_or_nonsense_exif_gives_no_facts() {
        assert_eq!(read(&fixtures::jpeg(16, 16), 480), ExifFacts::default());
        assert_eq!(read(b"not an image at all", 480), ExifFacts::default());
        let bad = fixtures::jpeg_with_exif(
            16,
            16,
            &ExifSpec {
                taken: Some("2026:13:45 99:00:00"),
                gps: Some(((0, 0, 0.0), b'N', (0, 0, 0.0), b'E')),
                ..ExifSpec::default()
            },
        );
        assert_eq!(read(&bad, 480), ExifFacts::default(), "impossible date, null-island fix");
    }
}
