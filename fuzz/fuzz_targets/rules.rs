//! The rule-file loaders: any text as one file of `rules/` (the first byte picks which
//! kind), the other files as committed. Never panics; every problem names a line of
//! the file (0 for the file as a whole), as `zhicha rules check` prints it.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zhicha_api::reference::import::generic;
use zhicha_engine::codes::CodeTable;
use zhicha_engine::hazards::{self, Sources, Text, Vocabulary};
use zhicha_engine::mapping::{MappingTable, Match};
use zhicha_engine::names::NameRules;
use zhicha_engine::narrative_jobs::NarrativeJobs;
use zhicha_engine::recommend::IndustryProfiles;
use zhicha_engine::{RuleError, analysis, triggers};

/// A file as the loaders see it; `origin` (`committed` or `fuzzed`) prefixes the path
/// errors name, so the fuzzed file's own errors can be told apart.
fn text(origin: &str, rel: &str, body: String) -> Text {
    Text { path: Path::new(origin).join(rel), rel: PathBuf::from(rel), text: body }
}

/// The committed files the fuzzed one is checked together with.
struct Committed {
    vocabulary: Text,
    sources: Text,
    levels: Text,
    /// As `from_texts` takes the trigger files.
    ladder: [Text; 1],
    key_industries: Text,
    new_employment: Text,
}

fn committed() -> &'static Committed {
    static C: OnceLock<Committed> = OnceLock::new();
    C.get_or_init(|| {
        let read = |rel: &str| text("committed", rel, zhicha_fuzz::repo_file(&format!("rules/{rel}")));
        Committed {
            vocabulary: read("hazards/vocabulary.toml"),
            sources: read("hazards/sources.toml"),
            levels: read("triggers/levels.toml"),
            ladder: [read("triggers/ladder.toml")],
            key_industries: read("analysis/key_industries.toml"),
            new_employment: read("analysis/new_employment.toml"),
        }
    })
}

fn lines_ok(errors: &[RuleError], body: &str) {
    let max = zhicha_fuzz::max_line(body);
    for e in errors {
        assert!(e.line <= max, "line {} of {max}: {e}", e.line);
        assert!(!e.reason.trim().is_empty(), "an error without a reason: {e:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(body) = std::str::from_utf8(rest) else { return };
    let rules = zhicha_fuzz::rules();
    let (catalog, c) = (&rules.catalog, committed());
    let fuzzed = |rel: &str| text("fuzzed", rel, body.to_string());
    let file = Path::new("fuzzed/file");
    let errors: Vec<RuleError> = match pick % 12 {
        0 => hazards::from_texts(&c.vocabulary, &c.sources, &[fuzzed("hazards/general/fuzzed.toml")], catalog)
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
        1 => Vocabulary::parse(file, body).err().unwrap_or_default(),
        2 => Sources::parse(file, body).err().unwrap_or_default(),
        3 => IndustryProfiles::parse(file, body, &rules.hazards.vocabulary, catalog)
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
        4 => triggers::from_texts(&c.levels, &[fuzzed("triggers/fuzzed.toml")], catalog)
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
        5 => triggers::from_texts(&fuzzed("triggers/levels.toml"), &c.ladder, catalog)
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
        6 => analysis::rules::from_texts(&fuzzed("analysis/key_industries.toml"), &c.new_employment)
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
        7 => analysis::rules::from_texts(&c.key_industries, &fuzzed("analysis/new_employment.toml"))
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
        8 => CodeTable::parse(file, body, |_| Ok(())).err().unwrap_or_default(),
        9 => MappingTable::parse(
            file,
            body,
            Match::LongestPrefix,
            &catalog.accident_type_86,
            Some(&catalog.accident_type_2025),
        )
        .err()
        .unwrap_or_default(),
        10 => NameRules::parse(file, body).err().unwrap_or_default(),
        _ => {
            // Not under rules/, but a rule-like file of the same kind: the generic
            // accident importer's column mapping, and the narrative-job rules.
            if let Err(e) = generic::Mapping::parse(file, body) {
                assert!(!e.to_string().is_empty());
            }
            NarrativeJobs::parse(file, body).err().unwrap_or_default()
        }
    };
    // Errors in the committed companions (an item the fuzzed file breaks, say) are
    // not the fuzzed file's lines.
    let own: Vec<RuleError> = errors.into_iter().filter(|e| e.file.starts_with("fuzzed")).collect();
    lines_ok(&own, body);
});
