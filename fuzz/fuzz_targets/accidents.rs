//! The accident-history importers on any file: the whole-file checks, then the rows of
//! the OSHA, MSHA or generic profile (the first byte picks, the rest is the file).
//! Never panics; every row is either a record or a skip, each on a line of the file;
//! a record keeps what the schema requires (a key, a valid grade, no negative amounts).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zhicha_api::reference::import::{self, Profile, generic, scan};

fn demo_mapping() -> &'static generic::Mapping {
    static M: OnceLock<generic::Mapping> = OnceLock::new();
    M.get_or_init(|| {
        let rel = "seeds/demo/accidents.mapping.toml";
        generic::Mapping::parse(Path::new(rel), &zhicha_fuzz::repo_file(rel))
            .unwrap_or_else(|e| panic!("the demo mapping does not parse: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else { return };
    let (profile, mapping) = match pick % 3 {
        0 => (Profile::OshaSir, None),
        1 => (Profile::Msha, None),
        _ => (Profile::Generic, Some(demo_mapping())),
    };
    let catalog = &zhicha_fuzz::rules().catalog;
    let text = match scan::check(file) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e}");
            return;
        }
    };
    let max_line = zhicha_fuzz::max_line(text);
    let mut ticks = 0;
    let parsed = match import::parse(text, catalog, profile, mapping, |n| ticks = n) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.line <= max_line, "{e}");
            return;
        }
    };
    assert_eq!(parsed.rows_read, parsed.records.len() + parsed.skipped.len());
    assert_eq!(ticks, parsed.rows_read);
    for r in &parsed.records {
        assert!((2..=max_line).contains(&r.line), "record line {} of {max_line}", r.line);
        assert!(!r.source_key.is_empty() && r.source_key.trim() == r.source_key);
        assert!(r.lost_days.is_none_or(|d| d >= 0));
        assert!(r.fund_payout_fen.is_none_or(|f| f >= 0));
        assert!(r.disability_grade.is_none_or(|g| (1..=10).contains(&g)));
        assert!(r.injured_count >= 1);
    }
    for s in &parsed.skipped {
        assert!((2..=max_line).contains(&s.line), "skip line {} of {max_line}", s.line);
    }
});
