//! The layout of `api/src` keeps its architecture: the top-level modules depend on
//! each other without a loop (contexts talk after commit through `platform::events`),
//! and only `store/` and `entities/` name an entity.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn api_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`selfcheck` for `selfcheck/findings/act.rs`).
fn top_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// Names after `crate::` (and in `use crate::{a, b::c}` groups) that are top-level modules.
fn uses(body: &str, tops: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in body.match_indices("crate::") {
        let rest = &body[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find("};").unwrap_or(group.len())];
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars().chain(std::iter::once(',')) {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let name: String =
                            item.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                        if tops.contains(&name) {
                            out.insert(name);
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if tops.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn top_level_modules_have_no_import_loop() {
    let src = api_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let tops: BTreeSet<String> = files.iter().map(|f| top_of(&src, f)).filter(|t| t != "main" && t != "lib").collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let top = top_of(&src, f);
        let body = std::fs::read_to_string(f).unwrap();
        let edges = graph.entry(top.clone()).or_default();
        edges.extend(uses(&body, &tops).into_iter().filter(|u| *u != top));
    }
    // A loop exists when some module reaches itself.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = graph[start].iter().collect();
        while let Some(m) = stack.pop() {
            assert!(m != start, "{start} reaches itself through its imports: {graph:#?}");
            if seen.insert(m.clone()) {
                stack.extend(graph.get(m).into_iter().flatten());
            }
        }
    }
    // The contexts never depend on the HTTP layer.
    for context in ["identity", "selfcheck", "governance", "oversight", "reference", "store", "platform", "domain"] {
        assert!(!graph.get(context).is_some_and(|e| e.contains("http")), "{context} imports http");
    }
}

#[test]
fn only_the_store_names_an_entity() {
    let src = api_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut naming = BTreeSet::new();
    for f in &files {
        let top = top_of(&src, f);
        if top == "store" || top == "entities" {
            continue;
        }
        if std::fs::read_to_string(f).unwrap().contains("entities::") {
            naming.insert(f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
    assert!(naming.is_empty(), "outside store/, these files name an entity: {naming:?}");
}

/// Handlers parse, call one use case and shape the answer: none holds the database
/// connection, except the readiness probe, whose whole job is to ping it.
#[test]
fn handlers_hold_no_database_connection() {
    let mut files = Vec::new();
    rust_files(&api_src().join("http/handlers"), &mut files);
    rust_files(&api_src().join("http/page"), &mut files);
    let holding: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("health.rs"))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("state.db"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(holding.is_empty(), "handlers reaching the database: {holding:?}");
}
