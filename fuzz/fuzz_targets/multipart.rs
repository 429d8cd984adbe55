//! The upload form of `POST /mp/evidence` (multipart/form-data) from any body, split
//! into network-sized chunks (the first byte sets their size). Never panics, never
//! waits on a body already in memory; an accepted form has every required field and a
//! photo within the size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zhicha_api::selfcheck::evidence::EvidenceSettings;

/// The boundary the seeds use; a fixed one lets the fuzzer reach the fields.
const CONTENT_TYPE: &str = "multipart/form-data; boundary=zhichafuzz";

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else { return };
    let settings = EvidenceSettings { max_bytes: 4096, ..EvidenceSettings::default() };
    // 0: the whole body at once; otherwise chunks of 1-255 bytes.
    let chunks: Vec<Vec<u8>> = match split {
        0 => vec![body.to_vec()],
        n => body.chunks(usize::from(n)).map(<[u8]>::to_vec).collect(),
    };
    let read = zhicha_api::fuzzing::upload_form(CONTENT_TYPE, chunks, &settings);
    let Some(result) = read else { panic!("the form reader waited on an in-memory body") };
    if let Ok((claim, photo)) = result {
        assert!(photo.len() as u64 <= settings.max_bytes);
        assert!(!claim.client_id.trim().is_empty());
        if let Some(p) = claim.position {
            assert!((-90.0..=90.0).contains(&p.lat()) && (-180.0..=180.0).contains(&p.lon()));
        }
    }
});
