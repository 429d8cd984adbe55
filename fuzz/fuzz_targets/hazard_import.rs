//! A third-party hazard library's import (隐患库导入): the example mapping over any
//! CSV, or any mapping over the example CSV (the first byte picks). Never panics;
//! rejected rows and mapping errors name a line of their file; imported items are
//! drafts numbered with the mapping's prefix.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use zhicha_engine::hazards::Status;
use zhicha_engine::hazards::import::{ImportMapping, import};

const MAPPING: &str = "seeds/hazard-import-example/mapping.toml";
const CSV: &str = "seeds/hazard-import-example/hazards.csv";

fn texts() -> &'static (String, String) {
    static T: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    T.get_or_init(|| (zhicha_fuzz::repo_file(MAPPING), zhicha_fuzz::repo_file(CSV)))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(fuzzed) = std::str::from_utf8(rest) else { return };
    let (example_mapping, example_csv) = texts();
    let (mapping_text, csv_text) =
        if pick % 2 == 0 { (example_mapping.as_str(), fuzzed) } else { (fuzzed, example_csv.as_str()) };
    let rules = zhicha_fuzz::rules();
    let mapping = match ImportMapping::parse(Path::new(MAPPING), mapping_text, &rules.hazards, &rules.catalog) {
        Ok(m) => m,
        Err(e) => {
            let max = zhicha_fuzz::max_line(mapping_text);
            assert!(e.0.iter().all(|e| e.line <= max), "{e}");
            return;
        }
    };
    let Ok(report) = import(Path::new(CSV), csv_text, &mapping, &rules.hazards, &rules.catalog) else { return };
    let max = zhicha_fuzz::max_line(csv_text);
    assert!(report.rejected.iter().all(|e| e.line <= max), "{:?}", report.rejected);
    assert!(report.items.len() <= report.rows);
    for i in &report.items {
        assert_eq!(i.item.status, Status::Draft, "{}", i.item.id);
    }
});
