//! What the fuzz targets share: the committed rules, loaded once per process (the
//! importers and rule parsers are checked against the real code tables and library).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use zhicha_api::reference::rules::{self, Rules};

/// The repository's `rules/`.
pub fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

/// A file of the repository, read once per call (targets read their fixed inputs once).
pub fn repo_file(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The committed rules; a target cannot run without them.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| rules::load(&rules_dir()).unwrap_or_else(|e| panic!("the committed rules do not load: {e}")))
}

/// Lines a 1-based line number may name in `text`: one more than its line breaks
/// (`\n`, or `\r` alone as old Mac files end lines).
pub fn max_line(text: &str) -> usize {
    let b = text.as_bytes();
    (0..b.len()).filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n'))).count() + 1
}
