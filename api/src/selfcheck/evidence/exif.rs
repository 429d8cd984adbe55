//! Capture time and position from the photo's EXIF, when the camera wrote them (the
//! mini-program's compressed copies often carry none).
//!
//! Read leniently: phone apps and libraries write EXIF that breaks the standard in
//! common ways (sub-IFDs without their next-IFD offset, values pointing past the end,
//! wrong counts, IFDs that point at each other, a garbled byte-order mark, an APP1
//! identifier without its padding, a segment cut short). kamadak-exif, with
//! `continue_on_error`, keeps every entry it could read and skips the broken ones (it
//! also refuses to visit an IFD twice, so loops end); what it cannot start on, a
//! header it does not recognise, is repaired here and read again. One broken part
//! never drops the rest.

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
pub(crate) fn read(bytes: &[u8], assumed_offset_minutes: i32) -> ExifFacts {
    let Some(exif) = parse(bytes) else {
        return ExifFacts::default();
    };
    let (taken_at, zone_assumed) = match taken_at(&exif, assumed_offset_minutes) {
        Some((t, assumed)) => (Some(t), assumed),
        None => (None, false),
    };
    ExifFacts { taken_at, zone_assumed, position: position(&exif) }
}

/// Every entry that can be read, from the container as kamadak-exif finds it or, when
/// that yields nothing, from a JPEG's EXIF segment found and repaired here.
fn parse(bytes: &[u8]) -> Option<Exif> {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    if let Some(exif) = partial(reader.read_from_container(&mut Cursor::new(bytes))) {
        return Some(exif);
    }
    partial(reader.read_raw(repaired(jpeg_exif_block(bytes)?)?))
}

/// The entries read, even when some were skipped; `None` when there are none.
fn partial(read: Result<Exif, exif::Error>) -> Option<Exif> {
    let exif = match read {
        Ok(exif) => exif,
        // The skipped parts are the writer's fault and nothing the uploader can act on.
        Err(e) => e.distill_partial_result(|_skipped| ()).ok()?,
    };
    let any = exif.fields().next().is_some();
    any.then_some(exif)
}

const SOI: [u8; 2] = [0xFF, 0xD8];
const APP1: u8 = 0xE1;
/// Start of scan, end of image: EXIF comes before either.
const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;

/// The TIFF block of a JPEG's EXIF segment, found by walking the segments up to the
/// image data. Tolerates an identifier padded with one NUL or none (`Exif\0\0` is the
/// standard) and a segment cut short by the end of the file (what is there is read).
fn jpeg_exif_block(bytes: &[u8]) -> Option<&[u8]> {
    let mut at = SOI.len();
    if !bytes.starts_with(&SOI) {
        return None;
    }
    loop {
        // Fill bytes may precede a marker.
        while bytes.get(at..at + 2) == Some(&[0xFF, 0xFF][..]) {
            at += 1;
        }
        let (&prefix, &marker) = (bytes.get(at)?, bytes.get(at + 1)?);
        if prefix != 0xFF || marker == SOS || marker == EOI {
            return None;
        }
        // Markers without a length: TEM and the restart markers.
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            at += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]));
        let end = (at + 2 + len).min(bytes.len());
        let payload = bytes.get(at + 4..end)?;
        if marker == APP1
            && let Some(id) = payload.strip_prefix(b"Exif")
        {
            return tiff_start(id);
        }
        at = at.checked_add(2 + len.max(2))?;
    }
}

/// Where the TIFF header starts after `Exif`: behind the two NULs of the standard, or
/// where fewer padding bytes put the magic number 42 (in either byte order).
fn tiff_start(after_id: &[u8]) -> Option<&[u8]> {
    let magic_at = |skip: usize| matches!(after_id.get(skip + 2..skip + 4), Some([0x2A, 0] | [0, 0x2A]));
    // The standard place first: a NUL byte-order mark would match one byte earlier.
    let skip = [2, 1, 0].into_iter().find(|&s| magic_at(s)).unwrap_or(2);
    after_id.get(skip..)
}

/// The block with a header kamadak-exif accepts: the byte order judged by the magic
/// number (the mark when the number is garbled too), and IFD0 where it nearly always
/// is, right after the header, when the offset points outside the block.
fn repaired(block: &[u8]) -> Option<Vec<u8>> {
    const HEADER: usize = 8;
    let little_endian = match (block.get(2..4)?, block.first()?) {
        ([0x2A, 0], _) => true,
        ([0, 0x2A], _) => false,
        (_, b'I' | b'i') => true,
        (_, b'M' | b'm') => false,
        _ => return None,
    };
    let offset: [u8; 4] = block.get(4..HEADER)?.try_into().ok()?;
    let ifd0 = if little_endian { u32::from_le_bytes(offset) } else { u32::from_be_bytes(offset) };
    let ifd0 = match usize::try_from(ifd0) {
        Ok(o) if o >= HEADER && o.checked_add(2).is_some_and(|end| end <= block.len()) => ifd0,
        _ => HEADER as u32,
    };
    let mut tiff = Vec::with_capacity(block.len());
    tiff.extend_from_slice(if little_endian { b"II\x2a\0" } else { b"MM\0\x2a" });
    tiff.extend_from_slice(&if little_endian { ifd0.to_le_bytes() } else { ifd0.to_be_bytes() });
    tiff.extend_from_slice(block.get(HEADER..)?);
    Some(tiff)
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

/// Degrees, minutes, seconds as up to three rationals (some writers use the signed
/// type, or fewer parts), negated by the `negative` reference.
fn degrees(exif: &Exif, tag: Tag, reference: Tag, negative: u8) -> Option<f64> {
    let parts: Vec<f64> = match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(dms) => dms.iter().take(3).map(|r| r.to_f64()).collect(),
        Value::SRational(dms) => dms.iter().take(3).map(|r| r.to_f64().abs()).collect(),
        _ => return None,
    };
    if parts.is_empty() || parts.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let value = parts.iter().zip([1.0, 60.0, 3600.0]).map(|(v, d)| v / d).sum::<f64>();
    let sign = match letter(exif, reference)? {
        c if c.eq_ignore_ascii_case(&negative) => -1.0,
        _ => 1.0,
    };
    Some(sign * value)
}

/// The first character of a reference (`N`, `S`, `E`, `W`), written as ASCII or, by
/// some writers, as bytes.
fn letter(exif: &Exif, tag: Tag) -> Option<u8> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first()?.first().copied(),
        Value::Byte(v) | Value::Undefined(v, _) => v.first().copied(),
        _ => None,
    }
}

fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first().map(Vec::as_slice),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, ExifSpec, RawEntry, RawTiff};
    use super::*;

    fn at(f: &ExifFacts) -> Option<(f64, f64)> {
        f.position.map(|p| ((p.lat() * 1e6).round() / 1e6, (p.lon() * 1e6).round() / 1e6))
    }

    fn patch_u32(tiff: &mut [u8], at: usize, v: u32, little_endian: bool) {
        let b = if little_endian { v.to_le_bytes() } else { v.to_be_bytes() };
        tiff[at..at + 4].copy_from_slice(&b);
    }

    /// 39°6′N 106°0′E, 11 km north of a site at 39°N 106°E.
    fn far(little_endian: bool) -> RawTiff {
        RawTiff::with_gps(little_endian, (39, 6), "N", (106, 0), "E")
    }

    #[test]
    fn sub_ifds_without_their_next_ifd_offset_are_read() {
        for le in [true, false] {
            let tiff = RawTiff { sub_ifd_next_offset: false, ..far(le) };
            let f = read(&fixtures::jpeg_with_tiff(16, 16, &tiff.bytes()), 480);
            assert_eq!(at(&f), Some((39.1, 106.0)), "little endian {le}");
            assert_eq!(f.taken_at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-03-14T01:40:00+00:00"));
            // The standard layout reads the same.
            assert_eq!(read(&fixtures::jpeg_with_tiff(16, 16, &far(le).bytes()), 480), f);
        }
    }

    #[test]
    fn an_entry_pointing_past_the_end_is_skipped_and_the_others_kept() {
        let tiff = RawTiff { sub_ifd_next_offset: false, ..far(true) };
        let mut bytes = tiff.bytes();
        // IFD0's first entry (Make, 6 bytes, kept out of line): its value offset.
        patch_u32(&mut bytes, 8 + 2 + 8, 0xFFFF_FF00, true);
        let f = read(&fixtures::jpeg_with_tiff(16, 16, &bytes), 480);
        assert_eq!(at(&f), Some((39.1, 106.0)));
        assert!(f.taken_at.is_some());
        // The latitude's value past the end: no position, the time still read.
        let mut bytes = tiff.bytes();
        patch_u32(&mut bytes, tiff.gps_ifd() + 2 + 12 + 8, 0xFFFF_FF00, true);
        let f = read(&fixtures::jpeg_with_tiff(16, 16, &bytes), 480);
        assert_eq!((f.position, f.taken_at.is_some()), (None, true));
    }

    #[test]
    fn wrong_counts_read_what_is_there() {
        let tiff = far(false);
        // The GPS IFD claims 40 entries: the 4 real ones, then its values read as
        // entries, then the end of the block.
        let mut bytes = tiff.bytes();
        let gps = tiff.gps_ifd();
        bytes[gps..gps + 2].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(at(&read(&fixtures::jpeg_with_tiff(16, 16, &bytes), 480)), Some((39.1, 106.0)));
        // The latitude claims 2 rationals of its 3: degrees and minutes still read.
        let mut short = tiff.clone();
        short.gps[1] = RawEntry { count: 2, ..short.gps[1].clone() };
        assert_eq!(at(&read(&fixtures::jpeg_with_tiff(16, 16, &short.bytes()), 480)), Some((39.1, 106.0)));
    }

    #[test]
    fn loops_between_ifds_end() {
        let tiff = RawTiff { sub_ifd_next_offset: false, ..far(true) };
        let mut bytes = tiff.bytes();
        // IFD0 is Make, the Exif pointer, the GPS pointer, then its next-IFD offset:
        // the Exif pointer and the next IFD both lead back to IFD0.
        patch_u32(&mut bytes, 8 + 2 + 12 + 8, 8, true);
        patch_u32(&mut bytes, 8 + 2 + 3 * 12, 8, true);
        let f = read(&fixtures::jpeg_with_tiff(16, 16, &bytes), 480);
        assert_eq!((at(&f), f.taken_at), (Some((39.1, 106.0)), None));
    }

    #[test]
    fn odd_byte_order_marks_are_judged_by_the_magic_number() {
        for (le, mark) in [(true, b"MM"), (true, b"\0\0"), (false, b"II"), (false, b"ii")] {
            let mut bytes = RawTiff { sub_ifd_next_offset: false, ..far(le) }.bytes();
            bytes[..2].copy_from_slice(mark);
            let f = read(&fixtures::jpeg_with_tiff(16, 16, &bytes), 480);
            assert_eq!(at(&f), Some((39.1, 106.0)), "{:?} on a little-endian {le} block", mark);
        }
        // The magic number garbled, the mark right.
        let mut bytes = far(true).bytes();
        bytes[2..4].copy_from_slice(b"??");
        assert_eq!(at(&read(&fixtures::jpeg_with_tiff(16, 16, &bytes), 480)), Some((39.1, 106.0)));
    }

    #[test]
    fn an_exif_identifier_without_its_padding_and_a_cut_segment_are_read() {
        let tiff = far(true).bytes();
        let jpeg = fixtures::jpeg(16, 16);
        let mut one_nul = jpeg[..2].to_vec();
        let payload = [b"Exif\0".as_slice(), &tiff].concat();
        one_nul.extend_from_slice(&[0xFF, 0xE1]);
        one_nul.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        one_nul.extend_from_slice(&payload);
        one_nul.extend_from_slice(&jpeg[2..]);
        assert_eq!(at(&read(&one_nul, 480)), Some((39.1, 106.0)));
        // Padded, as some writers leave room to edit in place, and the file ends inside
        // the padding: the segment is shorter than its length says.
        let padded = [tiff.as_slice(), &[0; 64]].concat();
        let whole = fixtures::jpeg_with_tiff(16, 16, &padded);
        let cut = &whole[..2 + 4 + 6 + tiff.len() + 10];
        assert_eq!(at(&read(cut, 480)), Some((39.1, 106.0)));
    }

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
