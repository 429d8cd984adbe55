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
    let r = zhicha_api::reference::rules::load(&rules_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.hazards.active().count() >= 1500);
    let summary = zhicha_api::reference::rules::summary(&r);
    assert!(summary.iter().any(|l| l.contains("hazards/general/electrical.toml")), "{summary:?}");
    assert!(summary.iter().any(|l| l.contains("triggers/ladder.toml")), "{summary:?}");
    assert!(summary.iter().any(|l| l.starts_with("osha narrative jobs ")), "{summary:?}");
    assert!(r.triggers.rules.len() >= 15);
}

/// What start-up says when the rules under `dir` are broken (an empty string if it starts).
async fn start_up_error(tmp: &std::path::Path, dir: std::path::PathBuf) -> String {
    let keys = tempfile::tempdir().unwrap();
    let mut settings = TestApp::settings(
        &format!("sqlite://{}?mode=rwc", tmp.join("t.db").display()),
        &Opts::default(),
        &keys.path().join("k.toml"),
    );
    settings.rules.dir = dir;
    zhicha_api::startup::Application::build(settings).await.err().map(|e| format!("{e:#}")).unwrap_or_default()
}

#[tokio::test]
async fn a_broken_trigger_file_stops_start_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    copy_dir(&rules_dir(), &dir);
    let file = dir.join("triggers/ladder.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let (line, _) = text.lines().enumerate().find(|(_, l)| l.contains(r#"metric = "risk_percentile""#)).unwrap();
    std::fs::write(&file, text.replacen(r#"metric = "risk_percentile""#, r#"metric = "risk_score""#, 1)).unwrap();

    let e = zhicha_api::reference::rules::load(&dir).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains(&format!("ladder.toml:{}: `metric` \"risk_score\"", line + 1)), "{e}");

    let err = start_up_error(tmp.path(), dir).await;
    assert!(err.contains("ladder.toml"), "{err}");
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

    let e = zhicha_api::reference::rules::load(&dir).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains(&format!("electrical.toml:{}", ids[1].0)), "names the file and line of the duplicate: {e}");

    let err = start_up_error(tmp.path(), dir).await;
    assert!(err.contains("electrical.toml"), "{err}");
}

#[tokio::test]
async fn a_broken_narrative_jobs_file_stops_start_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    copy_dir(&rules_dir(), &dir);
    // The truck driver's "trucker" becomes "mechanic", which the maintenance mechanic lists later.
    let file = dir.join("mappings/osha_narrative_jobs.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let (first, again) = (line_of(r#""trucker""#), line_of(r#""mechanic", "maintenance employee""#));
    std::fs::write(&file, text.replacen(r#""trucker""#, r#""mechanic""#, 1)).unwrap();

    let e = zhicha_api::reference::rules::load(&dir).err().map(|e| e.to_string()).unwrap_or_default();
    let want = format!("osha_narrative_jobs.toml:{again}: phrase \"mechanic\" repeats line {first}");
    assert!(e.contains(&want), "{e}");

    let err = start_up_error(tmp.path(), dir).await;
    assert!(err.contains("osha_narrative_jobs.toml"), "{err}");
}

/// Another organisation's library lands as drafts; a broken row is reported by line
/// while the others are kept; a second file may not take the first one's ids.
#[tokio::test]
async fn a_third_party_library_lands_as_drafts() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use zhicha_api::entities::hazard_items;

    let example = zhicha_tests::workspace_dir().join("seeds/hazard-import-example");
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("hazards.csv");
    let mut text = std::fs::read_to_string(example.join("hazards.csv")).unwrap();
    let last = text.lines().last().unwrap().to_string();
    // The same row again with an accident type no edition has.
    let broken: Vec<String> = last.split(',').map(str::to_string).collect();
    let type_col =
        text.lines().find(|l| l.starts_with("序号")).unwrap().split(',').position(|c| c == "事故类型").unwrap();
    let mut row = broken.clone();
    row[0] = "999".into();
    row[2] = "示例：编造的事故类型".into();
    row[type_col] = "99".into();
    text.push_str(&row.join(","));
    text.push('\n');
    std::fs::write(&csv, &text).unwrap();
    let broken_line = text.lines().count();

    let db = zhicha_tests::TestDb::create(zhicha_tests::Backend::Sqlite).await.unwrap();
    let conn = db.connect().await;
    zhicha_api::platform::db::migrate(&conn, None).await.unwrap();
    let rules = zhicha_api::reference::rules::load_once(&rules_dir()).unwrap();
    let o =
        zhicha_api::reference::hazard_import::drafts(&conn, &rules, &example.join("mapping.toml"), &csv).await.unwrap();
    assert_eq!(o.stored, 15, "{o:?}");
    assert!(o.rejected.iter().any(|r| r.contains(&format!("hazards.csv:{broken_line}"))), "{o:?}");
    let drafts =
        hazard_items::Entity::find().filter(hazard_items::Column::Status.eq("draft")).all(&conn).await.unwrap();
    assert_eq!(drafts.len(), 15);

    // A different file with the same id prefix would reuse the ids: refused, nothing stored.
    std::fs::write(&csv, text.replace("示例", "另一示例")).unwrap();
    let e = zhicha_api::reference::hazard_import::drafts(&conn, &rules, &example.join("mapping.toml"), &csv).await;
    assert!(e.as_ref().err().is_some_and(|e| e.to_string().contains("id_prefix")), "{e:?}");
    assert_eq!(hazard_items::Entity::find().all(&conn).await.unwrap().len(), 15);
    conn.close().await.unwrap();
    db.cleanup().await;
}
