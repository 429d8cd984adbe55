//! The EXIF reader of photo evidence on any bytes (JPEG, PNG, WebP or bare TIFF):
//! never panics, never hangs, and a position it reports is on the globe.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let facts = zhicha_api::fuzzing::exif(data, 480);
    if let Some(p) = facts.position {
        assert!((-90.0..=90.0).contains(&p.lat()), "latitude {p:?}");
        assert!((-180.0..=180.0).contains(&p.lon()), "longitude {p:?}");
        assert!(p.lat() != 0.0 || p.lon() != 0.0, "a null-island fix is no position");
    }
    assert!(!facts.zone_assumed || facts.taken_at.is_some(), "a zone assumed for no time");
});
