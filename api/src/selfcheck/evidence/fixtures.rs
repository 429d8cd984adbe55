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
