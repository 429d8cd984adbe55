use std::time::Instant;

use super::fixtures::{self, ExifSpec};
use super::*;

fn received() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-14T02:00:00Z").unwrap().with_timezone(&Utc)
}

fn upload(bytes: &[u8]) -> Upload<'_> {
    Upload { bytes, received_at: received(), client_taken_at: None, client_position: None, site: None }
}

fn check(bytes: &[u8]) -> Result<CheckedPhoto, EvidenceError> {
    inspect(&upload(bytes), &EvidenceSettings::default())
}

fn decode_display(photo: &CheckedPhoto) -> image::DynamicImage {
    image::load_from_memory_with_format(&photo.display.jpeg, image::ImageFormat::Jpeg).unwrap()
}

#[test]
fn a_phone_photo_with_exif_passes_with_every_fact() {
    let jpeg = fixtures::jpeg_with_exif(
        320,
        240,
        &ExifSpec {
            taken: Some("2026:03:14 09:40:00"),
            offset: Some("+08:00"),
            gps: Some(((39, 0, 0.0), b'N', (106, 0, 0.0), b'E')),
            ..ExifSpec::default()
        },
    );
    let up = Upload {
        client_taken_at: Some(received() - chrono::Duration::minutes(5)),
        client_position: GeoPoint::new(39.0001, 106.0),
        site: GeoPoint::new(39.0, 106.0),
        ..upload(&jpeg)
    };
    let p = inspect(&up, &EvidenceSettings::default()).unwrap();
    assert_eq!((p.kind, p.width, p.height), (PhotoKind::Jpeg, 320, 240));
    assert_eq!(p.size_bytes, jpeg.len() as u64);
    assert_eq!(p.sha256, hex(&Sha256::digest(&jpeg)));
    assert_eq!(p.exif.taken_at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-03-14T01:40:00+00:00"));
    assert!(p.exif.position.is_some());
    assert!(p.flags.is_empty(), "{:?}", p.flags);
    assert_eq!((p.display.width, p.display.height), (320, 240), "small photos keep their size");
}

#[test]
fn sha256_is_lowercase_hex() {
    assert_eq!(hex(&Sha256::digest(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn the_display_copy_is_a_smaller_jpeg_without_exif() {
    let jpeg = fixtures::jpeg_with_exif(
        2000,
        1000,
        &ExifSpec {
            taken: Some("2026:03:14 09:40:00"),
            gps: Some(((39, 0, 0.0), b'N', (106, 0, 0.0), b'E')),
            ..ExifSpec::default()
        },
    );
    let p = check(&jpeg).unwrap();
    assert_eq!((p.display.width, p.display.height), (1600, 800));
    assert_eq!(decode_display(&p).width(), 1600);
    assert!(!p.display.jpeg.windows(6).any(|w| w == b"Exif\0\0"), "no EXIF in the display copy");
    assert_eq!(exif::read(&p.display.jpeg, 0), ExifFacts::default());
    assert_eq!(PhotoKind::sniff(&p.display.jpeg), Some(PhotoKind::Jpeg));
}

#[test]
fn the_display_copy_is_turned_upright() {
    // Orientation 6: the camera was held turned; viewers rotate 90° clockwise.
    let jpeg = fixtures::jpeg_with_exif(64, 32, &ExifSpec { orientation: Some(6), ..ExifSpec::default() });
    let p = check(&jpeg).unwrap();
    assert_eq!((p.width, p.height), (64, 32), "the original's own dimensions");
    assert_eq!((p.display.width, p.display.height), (32, 64));
}

#[test]
fn png_and_webp_are_accepted_and_transparency_becomes_white() {
    let p = check(&fixtures::png(40, 30)).unwrap();
    assert_eq!((p.kind, p.width, p.height), (PhotoKind::Png, 40, 30));
    let w = check(&fixtures::webp(40, 30)).unwrap();
    assert_eq!((w.kind, w.width, w.height), (PhotoKind::Webp, 40, 30));
    let t = check(&fixtures::png_rgba(8, 8)).unwrap();
    let px = decode_display(&t).to_rgb8().get_pixel(4, 4).0;
    // Half-transparent red over white is pink, not dark red over black.
    assert!(px[0] > 240 && (110..=145).contains(&px[1]) && (110..=145).contains(&px[2]), "{px:?}");
}

#[test]
fn size_cap() {
    let s = EvidenceSettings { max_bytes: 1024, ..EvidenceSettings::default() };
    let big = fixtures::png(200, 200);
    assert!(big.len() > 1024);
    let e = inspect(&upload(&big), &s).unwrap_err();
    assert_eq!(e, EvidenceError::TooLarge { size: big.len() as u64, max: 1024 });
    assert_eq!(e.http_status(), 413);
    assert_eq!(check(b"").unwrap_err(), EvidenceError::Empty);
    assert_eq!(check_size(10 * 1024 * 1024, &EvidenceSettings::default()), Ok(()));
    assert!(check_size(10 * 1024 * 1024 + 1, &EvidenceSettings::default()).is_err(), "10 MiB by default");
}

#[test]
fn a_text_file_named_jpg_is_refused_by_its_content() {
    let e = check(b"this is a holiday snap.jpg, honestly\n").unwrap_err();
    assert_eq!((e.clone(), e.http_status()), (EvidenceError::NotAPhoto, 415));
    for other in [&b"GIF89a\x01\0\x01\0\0\0\0;"[..], b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7"] {
        assert_eq!(check(other).unwrap_err(), EvidenceError::NotAPhoto);
    }
}

#[test]
fn magic_bytes_with_garbage_behind_them_do_not_decode() {
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend_from_slice(b"not really a jpeg at all");
    let e = check(&fake).unwrap_err();
    assert!(matches!(e, EvidenceError::Undecodable(_)), "{e:?}");
    assert_eq!(e.http_status(), 422);
    let png = fixtures::png(64, 64);
    let e = check(&png[..png.len() / 2]).unwrap_err();
    assert!(matches!(e, EvidenceError::Undecodable(_)), "a truncated PNG: {e:?}");
}

#[test]
fn decompression_bombs_are_refused_before_inflating() {
    let started = Instant::now();
    // A header claiming 60000×60000 (14 GB of pixels) in a file of a few dozen bytes.
    let bomb = fixtures::png_claiming(60_000, 60_000);
    assert!(bomb.len() < 100);
    let e = check(&bomb).unwrap_err();
    assert!(matches!(e, EvidenceError::TooManyPixels(_)), "{e:?}");
    // Within the dimension limits, but 400 MB to decode: over the memory limit.
    let e = check(&fixtures::png_claiming(10_000, 10_000)).unwrap_err();
    assert!(matches!(&e, EvidenceError::TooManyPixels(m) if m.contains("MiB")), "{e:?}");
    assert!(started.elapsed().as_secs() < 2, "refused from the header, nothing inflated");
    // A real one: 2000×2000 of one colour compresses to a few KB and inflates to 12 MB.
    let s = EvidenceSettings { max_decode_bytes: 8 << 20, ..EvidenceSettings::default() };
    let flat = {
        let img = image::RgbImage::new(2000, 2000);
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    };
    assert!(flat.len() < 64 * 1024, "{}", flat.len());
    let e = inspect(&upload(&flat), &s).unwrap_err();
    assert!(matches!(e, EvidenceError::TooManyPixels(_)), "{e:?}");
    assert_eq!(e.http_status(), 422);
}

#[test]
fn far_times_and_places_are_flagged_from_both_sources() {
    let jpeg = fixtures::jpeg_with_exif(
        32,
        32,
        &ExifSpec {
            // Three days before receipt, at a place 11 km north of the site.
            taken: Some("2026:03:11 10:00:00"),
            offset: Some("+08:00"),
            gps: Some(((39, 6, 0.0), b'N', (106, 0, 0.0), b'E')),
            ..ExifSpec::default()
        },
    );
    let up = Upload {
        client_taken_at: Some(received() + chrono::Duration::hours(2)),
        client_position: GeoPoint::new(39.0, 106.0),
        site: GeoPoint::new(39.0, 106.0),
        ..upload(&jpeg)
    };
    let p = inspect(&up, &EvidenceSettings::default()).unwrap();
    assert_eq!(
        p.flags,
        vec![
            Flag::CaptureTimeFar { source: Source::Client, minutes_before_receipt: -120 },
            Flag::CaptureTimeFar { source: Source::Exif, minutes_before_receipt: 3 * 24 * 60 },
            Flag::PositionFar { source: Source::Exif, metres: 11_120 },
        ]
    );
    let record = serde_json::to_value(&p).unwrap();
    assert_eq!(record["kind"], "jpeg");
    assert_eq!(record["flags"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_position_in_a_sub_ifd_without_its_next_ifd_offset_is_flagged_far_from_the_site() {
    // As some phone apps write it: the GPS IFD's values right behind its entries,
    // without the 4-byte next-IFD offset. 39°6′N is 11 km north of the site.
    let tiff = fixtures::RawTiff {
        sub_ifd_next_offset: false,
        ..fixtures::RawTiff::with_gps(true, (39, 6), "N", (106, 0), "E")
    };
    let jpeg = fixtures::jpeg_with_tiff(32, 32, &tiff.bytes());
    let up = Upload { site: GeoPoint::new(39.0, 106.0), ..upload(&jpeg) };
    let p = inspect(&up, &EvidenceSettings::default()).unwrap();
    assert!(p.exif.position.is_some(), "{:?}", p.exif);
    assert_eq!(p.flags, vec![Flag::PositionFar { source: Source::Exif, metres: 11_120 }]);
}

#[test]
fn keys_are_chosen_by_the_server() {
    let id = Uuid::parse_str("0b6f11aa-2c3d-4e5f-8a9b-0c1d2e3f4a5b").unwrap();
    let k = object_keys(42, id).unwrap();
    assert_eq!(k.original.as_str(), "evidence/42/0b6f11aa-2c3d-4e5f-8a9b-0c1d2e3f4a5b");
    assert_eq!(k.display.as_str(), "evidence/42/0b6f11aa-2c3d-4e5f-8a9b-0c1d2e3f4a5b.display.jpg");
}
