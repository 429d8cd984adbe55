//! Every check an uploaded photo goes through (size, magic bytes, EXIF, a decode under
//! limits, the display copy, the flags): refused with one of the three statuses or
//! accepted with a display copy that is a JPEG within the size limit.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use zhicha_api::selfcheck::evidence::{EvidenceSettings, GeoPoint, PhotoKind, Upload, inspect};

fuzz_target!(|data: &[u8]| {
    // Limits well under the service's, so one input cannot take seconds or gigabytes.
    let s = EvidenceSettings {
        max_bytes: 1 << 20,
        max_width: 2048,
        max_height: 2048,
        max_decode_bytes: 16 << 20,
        display_max_edge: 256,
        ..EvidenceSettings::default()
    };
    let received_at = Utc.with_ymd_and_hms(2026, 3, 14, 2, 0, 0).single().unwrap_or_default();
    let up = Upload {
        bytes: data,
        received_at,
        client_taken_at: None,
        client_position: None,
        site: GeoPoint::new(39.0, 106.0),
    };
    match inspect(&up, &s) {
        Ok(p) => {
            assert_eq!(Some(p.kind), PhotoKind::sniff(data));
            assert_eq!(PhotoKind::sniff(&p.display.jpeg), Some(PhotoKind::Jpeg));
            assert!(p.display.width >= 1 && p.display.height >= 1);
            assert!(p.display.width.max(p.display.height) <= s.display_max_edge);
            assert!(p.width <= s.max_width && p.height <= s.max_height);
            assert_eq!(p.size_bytes, data.len() as u64);
        }
        Err(e) => assert!([413, 415, 422].contains(&e.http_status()), "{e:?}"),
    }
});
