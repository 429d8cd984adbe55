//! Test photos made on the spot: encoded by the `image` crate, EXIF written with
//! kamadak-exif's writer and spliced into the JPEG as an APP1 segment.

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ImageEncoder, RgbImage, RgbaImage};

type Dms = (u32, u32, f64);

#[derive(Debug, Default)]
pub struct ExifSpec {
    /// `YYYY:MM:DD HH:MM:SS`, written as DateTimeOriginal.
    pub taken: Option<&'static str>,
    /// `+08:00`, written as OffsetTimeOriginal.
    pub offset: Option<&'static str>,
    /// (latitude, `N`/`S`, longitude, `E`/`W`).
    pub gps: Option<(Dms, u8, Dms, u8)>,
    /// EXIF orientation, 1-8.
    pub orientation: Option<u16>,
}

/// A gradient, so the encoders have something to compress.
pub fn rgb(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]))
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(&rgb(width, height), width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(&rgb(width, height), width, height, image::ExtendedColorType::Rgb8).unwrap();
    out
}

/// Half-transparent red, to see that the display copy is flattened onto white.
pub fn png_rgba(width: u32, height: u32) -> Vec<u8> {
    let img = RgbaImage::from_pixel(width, height, image::Rgba([255, 0, 0, 128]));
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(&img, width, height, image::ExtendedColorType::Rgba8).unwrap();
    out
}

pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(&rgb(width, height), width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn jpeg_with_exif(width: u32, height: u32, spec: &ExifSpec) -> Vec<u8> {
    let ascii = |tag, s: &str| Field { tag, ifd_num: In::PRIMARY, value: Value::Ascii(vec![s.as_bytes().to_vec()]) };
    let dms = |tag, (d, m, s): Dms| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Rational(vec![
            Rational { num: d, denom: 1 },
            Rational { num: m, denom: 1 },
            Rational { num: (s * 1000.0).round() as u32, denom: 1000 },
        ]),
    };
    let mut fields = Vec::new();
    if let Some(t) = spec.taken {
        fields.push(ascii(Tag::DateTimeOriginal, t));
    }
    if let Some(o) = spec.offset {
        fields.push(ascii(Tag::OffsetTimeOriginal, o));
    }
    if let Some((lat, lat_ref, lon, lon_ref)) = spec.gps {
        fields.push(dms(Tag::GPSLatitude, lat));
        fields.push(ascii(Tag::GPSLatitudeRef, &(lat_ref as char).to_string()));
        fields.push(dms(Tag::GPSLongitude, lon));
        fields.push(ascii(Tag::GPSLongitudeRef, &(lon_ref as char).to_string()));
    }
    if let Some(o) = spec.orientation {
        fields.push(Field { tag: Tag::Orientation, ifd_num: In::PRIMARY, value: Value::Short(vec![o]) });
    }
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    with_app1(&jpeg(width, height), &[b"Exif\0\0".as_slice(), tiff.get_ref()].concat())
}

/// A JPEG carrying `tiff` as its EXIF (an APP1 segment `Exif\0\0` + `tiff`).
pub fn jpeg_with_tiff(width: u32, height: u32, tiff: &[u8]) -> Vec<u8> {
    with_app1(&jpeg(width, height), &[b"Exif\0\0".as_slice(), tiff].concat())
}

/// One IFD entry as laid out by hand: tag, TIFF type and count, and the value's bytes
/// in the block's byte order (kept in the entry when 4 bytes or fewer).
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub tag: u16,
    pub kind: u16,
    pub count: u32,
    pub value: Vec<u8>,
}

/// A TIFF block (what follows `Exif\0\0`) laid out by hand, to write what kamadak-exif's
/// writer never would: IFD0, then the Exif and the GPS sub-IFD with their values right
/// behind each. IFD0 gets the two pointer entries unless it has its own.
#[derive(Debug, Clone)]
pub struct RawTiff {
    pub little_endian: bool,
    pub ifd0: Vec<RawEntry>,
    pub exif: Vec<RawEntry>,
    pub gps: Vec<RawEntry>,
    /// Whether the sub-IFDs end with the 4-byte next-IFD offset the standard asks for
    /// (some phone apps and libraries leave it out).
    pub sub_ifd_next_offset: bool,
}

pub const EXIF_POINTER: u16 = 0x8769;
pub const GPS_POINTER: u16 = 0x8825;

impl RawEntry {
    pub fn ascii(tag: u16, s: &str) -> Self {
        let mut value = s.as_bytes().to_vec();
        value.push(0);
        Self { tag, kind: 2, count: value.len() as u32, value }
    }

    /// RATIONALs, in the byte order of the block they go into.
    pub fn rationals(tag: u16, parts: &[(u32, u32)], little_endian: bool) -> Self {
        let value = parts.iter().flat_map(|&(n, d)| [n, d]).flat_map(|v| u32_bytes(v, little_endian)).collect();
        Self { tag, kind: 5, count: parts.len() as u32, value }
    }

    pub fn long(tag: u16, v: u32, little_endian: bool) -> Self {
        Self { tag, kind: 4, count: 1, value: u32_bytes(v, little_endian).to_vec() }
    }
}

fn u32_bytes(v: u32, little_endian: bool) -> [u8; 4] {
    if little_endian { v.to_le_bytes() } else { v.to_be_bytes() }
}

impl RawTiff {
    /// GPS at (latitude, `N`/`S`, longitude, `E`/`W`) in whole degrees and minutes, and
    /// a capture time in the Exif sub-IFD.
    pub fn with_gps(little_endian: bool, lat: (u32, u32), ns: &str, lon: (u32, u32), ew: &str) -> Self {
        let dms = |tag, (d, m): (u32, u32)| RawEntry::rationals(tag, &[(d, 1), (m, 1), (0, 1)], little_endian);
        Self {
            little_endian,
            ifd0: vec![RawEntry::ascii(0x010F, "Phone")],
            exif: vec![RawEntry::ascii(0x9003, "2026:03:14 09:40:00")],
            gps: vec![RawEntry::ascii(0x0001, ns), dms(0x0002, lat), RawEntry::ascii(0x0003, ew), dms(0x0004, lon)],
            sub_ifd_next_offset: true,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.laid_out().0
    }

    /// Where the GPS IFD lands, for tests that break it further.
    pub fn gps_ifd(&self) -> usize {
        self.laid_out().1
    }

    fn laid_out(&self) -> (Vec<u8>, usize) {
        let le = self.little_endian;
        let size = |entries: &[RawEntry], next: bool| {
            let values: usize =
                entries.iter().filter(|e| e.value.len() > 4).map(|e| e.value.len().next_multiple_of(2)).sum();
            2 + 12 * entries.len() + if next { 4 } else { 0 } + values
        };
        let mut ifd0 = self.ifd0.clone();
        let pointers = [EXIF_POINTER, GPS_POINTER];
        let own_pointers = ifd0.iter().any(|e| pointers.contains(&e.tag));
        // The pointers' values are placeholders until the sub-IFDs' places are known.
        if !own_pointers {
            ifd0.extend(pointers.map(|tag| RawEntry::long(tag, 0, le)));
        }
        let exif_ifd = 8 + size(&ifd0, true);
        let gps_ifd = exif_ifd + size(&self.exif, self.sub_ifd_next_offset);
        if !own_pointers {
            let n = ifd0.len();
            ifd0[n - 2] = RawEntry::long(EXIF_POINTER, exif_ifd as u32, le);
            ifd0[n - 1] = RawEntry::long(GPS_POINTER, gps_ifd as u32, le);
        }
        let mut out = if le { b"II\x2a\0".to_vec() } else { b"MM\0\x2a".to_vec() };
        out.extend_from_slice(&u32_bytes(8, le));
        write_ifd(&mut out, &ifd0, Some(0), le);
        write_ifd(&mut out, &self.exif, self.sub_ifd_next_offset.then_some(0), le);
        write_ifd(&mut out, &self.gps, self.sub_ifd_next_offset.then_some(0), le);
        (out, gps_ifd)
    }
}

/// An IFD at the end of `out`, its longer values right behind it.
fn write_ifd(out: &mut Vec<u8>, entries: &[RawEntry], next: Option<u32>, le: bool) {
    let u16_bytes = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let values_at = out.len() + 2 + 12 * entries.len() + if next.is_some() { 4 } else { 0 };
    out.extend_from_slice(&u16_bytes(entries.len() as u16));
    let mut values = Vec::new();
    for e in entries {
        out.extend_from_slice(&u16_bytes(e.tag));
        out.extend_from_slice(&u16_bytes(e.kind));
        out.extend_from_slice(&u32_bytes(e.count, le));
        if e.value.len() <= 4 {
            let mut inline = e.value.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&u32_bytes((values_at + values.len()) as u32, le));
            values.extend_from_slice(&e.value);
            // Values start on a word boundary.
            if e.value.len() % 2 == 1 {
                values.push(0);
            }
        }
    }
    if let Some(n) = next {
        out.extend_from_slice(&u32_bytes(n, le));
    }
    out.extend_from_slice(&values);
}

/// `jpeg` with an APP1 segment carrying `payload` right after SOI.
fn with_app1(jpeg: &[u8], payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PNG whose header claims `width`×`height` RGBA8 pixels, with one tiny compressed
/// row behind it: what a decompression bomb looks like before anything is inflated.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 6 (RGBA), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of one stored empty block.
    chunk(&mut out, b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), bit by bit: a few hundred bytes in tests.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn crc32_matches_the_png_specification_example() {
    // The CRC of an IEND chunk is AE 42 60 82 in every PNG.
    assert_eq!(crc32(b"IEND"), 0xAE42_6082);
}
