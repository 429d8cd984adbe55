//! The rules library (`rules/`) and the demo city (`seeds/demo/`) as built into the
//! binary by `api/build.rs`: what runs when `rules.dir` / `demo.dir` are empty (the
//! defaults), so the binary needs no checkout beside it.

use std::path::PathBuf;

use zhicha_engine::RuleSource;

mod files {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

/// The built-in rules library; its files are reported as `rules/<path>` (their place
/// in the checkout they were built from).
pub fn rules() -> RuleSource {
    RuleSource::Files { label: PathBuf::from("rules"), files: files::RULES }
}

/// Every built-in demo file: (name, text).
pub fn demo_files() -> &'static [(&'static str, &'static str)] {
    files::DEMO
}

/// A built-in demo file by name (`city.toml`, `accidents.csv`, ...).
pub fn demo_file(name: &str) -> Option<&'static str> {
    files::DEMO.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// Where built-in demo files are reported (`seeds/demo/<name>`).
pub fn demo_path(name: &str) -> PathBuf {
    PathBuf::from("seeds/demo").join(name)
}
