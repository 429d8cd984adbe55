//! The rules library as the service loads it: the committed one is valid, and a broken
//! file stops start-up with file:line instead of serving part of the library.

use std::path::Path;

use zhicha_tests::{Opts, TestApp, rules_dir};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_committed_rules_load() {
    let r = zhicha_api::rules::load(&rules_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.hazards.active().count() >= 1500);
    let summary = zhicha_api::rules::summary(&r);
    assert!(summary.iter().any(|l| l.contains("hazards/general/electrical.toml")), "{summary:?}");
}

#[tokio::test]
async fn a_broken_hazard_file_stops_start_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    copy_dir(&rules_dir(), &dir);
    // The second item of the electrical file takes the first one's id.
    let file = dir.join("hazards/general/electrical.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let ids: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("id = "))
        .map(|(i, l)| (i + 1, l.to_string()))
        .take(2)
        .collect();
    let broken = text.replacen(&ids[1].1, &ids[0].1, 1);
    std::fs::write(&file, broken).unwrap();

    let e = zhicha_api::rules::load(&dir).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains(&format!("electrical.toml:{}", ids[1].0)), "names the file and line of the duplicate: {e}");

    let keys = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.db");
    let mut settings = TestApp::settings(
        &format!("sqlite://{}?mode=rwc", db.display()),
        &Opts::default(),
        &keys.path().join("k.toml"),
    );
    settings.rules.dir = dir;
    let err =
        zhicha_api::startup::Application::build(settings).await.err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err.contains("electrical.toml"), "{err}");
}
