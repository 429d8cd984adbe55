use std::path::{Path, PathBuf};

use super::NarrativeJobs;

fn committed() -> NarrativeJobs {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules").join(super::FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    NarrativeJobs::parse(&path, &text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn label(rules: &NarrativeJobs, narrative: &str) -> Option<String> {
    rules.job_of(narrative).map(|m| m.job.label.clone())
}

const SMALL: &str = r#"# version: t1
version = "t1"
ignore = ["a", "an", "the"]
unnamed = ["employee", "worker"]
apposition = ["as"]
new_person = ["an employee", "injured employee"]
others_within = 3
others = ["helping", "coworker", "another employee"]

[[job]]
label = "货车司机"
name_en = "Truck driver"
titles = ["truck driver"]
tasks = ["driving a truck"]

[[job]]
label = "自卸车司机"
name_en = "Dump truck driver"
titles = ["dump truck driver"]

[[job]]
label = "屋面工"
name_en = "Roofer"
titles = ["roofer"]
tasks = ["roofing"]

[[job]]
label = "叉车司机"
name_en = "Forklift operator"
titles = ["forklift operator"]
tasks = ["operating a forklift"]
"#;

fn small() -> NarrativeJobs {
    NarrativeJobs::parse(Path::new("jobs.toml"), SMALL).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn whole_words_any_case_and_plurals() {
    let r = small();
    assert_eq!(label(&r, "A TRUCK DRIVER fell approximately 4 feet").as_deref(), Some("货车司机"));
    assert_eq!(label(&r, "Two roofers fell through a skylight.").as_deref(), Some("屋面工"));
    assert_eq!(label(&r, "The truck driver's hand was caught.").as_deref(), Some("货车司机"));
    assert_eq!(label(&r, "A truckdriver fell."), None, "not a whole word");
    assert_eq!(label(&r, "Roofs of the plant"), None);
}

#[test]
fn the_earliest_phrase_wins_and_the_longest_at_one_word() {
    let r = small();
    assert_eq!(label(&r, "A dump truck driver fell off the bed.").as_deref(), Some("自卸车司机"));
    let m = r.job_of("A roofer was driving a truck when he fell.").unwrap_or_else(|| panic!("no match"));
    assert_eq!((m.job.label.as_str(), m.phrase, m.word), ("屋面工", "roofer", 0));
    // Articles are skipped in phrases and narratives alike.
    assert_eq!(label(&r, "An employee was operating the forklift.").as_deref(), Some("叉车司机"));
}

#[test]
fn workers_without_a_job_get_none() {
    let r = small();
    for n in ["An employee fell from a ladder.", "Employees were burned.", "The worker was hospitalized.", ""] {
        assert_eq!(label(&r, n), None, "{n}");
    }
}

#[test]
fn phrases_that_name_someone_else_are_skipped() {
    let r = small();
    // After `others`.
    assert_eq!(label(&r, "An employee was helping a truck driver unload."), None);
    assert_eq!(label(&r, "A coworker operating a forklift struck the employee."), None);
    assert_eq!(label(&r, "He was hit when another employee operating a forklift backed up."), None);
    // A title after an unnamed worker, or followed by a new person.
    assert_eq!(label(&r, "An employee was walking when a forklift operator backed into him."), None);
    assert_eq!(label(&r, "A forklift operator struck an employee in the aisle."), None);
    // ... but not in an apposition, and tasks of the unnamed worker count.
    assert_eq!(label(&r, "The employee, a roofer, fell 10 feet.").as_deref(), Some("屋面工"));
    assert_eq!(label(&r, "An employee was working as a roofer when he fell.").as_deref(), Some("屋面工"));
    assert_eq!(label(&r, "An employee was roofing when a forklift operator hit him.").as_deref(), Some("屋面工"));
    // A skipped match lets a later one count.
    assert_eq!(label(&r, "Helping a truck driver unload pallets, the roofer fell.").as_deref(), Some("屋面工"));
}

#[test]
fn the_committed_file_reads_osha_narratives() {
    let r = committed();
    assert!(r.jobs.len() >= 30 && r.listed_phrases >= 200, "{} jobs, {} phrases", r.jobs.len(), r.listed_phrases);
    let cases = [
        ("A truck driver fell approximately 4 feet while descending from the cab.", Some("道路货运汽车驾驶员")),
        ("An employee was working as a roofer on a residential job.", Some("屋面工")),
        ("A laborer was cutting down a piece of metal ductwork and cut his forearm.", Some("建筑普工")),
        ("An employee was operating a stand-up forklift near rack storage.", Some("叉车司机")),
        ("An employee amputated a finger while operating a brake press.", Some("冲压工")),
        ("A maintenance employee slipped from a railing.", Some("机修工")),
        ("An employee was delivering mail when a dog bit her.", Some("邮政投递员")),
        ("An employee was walking to the restroom when a forklift operator ran over his foot.", None),
        ("A forklift driver hit an employee, crushing him.", None),
        ("An employee was struck by another employee operating a pallet jack.", None),
        ("An employee fell from a ladder and fractured his wrist.", None),
    ];
    for (narrative, want) in cases {
        assert_eq!(label(&r, narrative).as_deref(), want, "{narrative}");
    }
}

fn errors_of(text: &str) -> Vec<String> {
    match NarrativeJobs::parse(&PathBuf::from("jobs.toml"), text) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_broken_file_names_each_line_at_fault() {
    let text = SMALL
        .replace("# version: t1", "# version: t0")
        .replace("label = \"屋面工\"", "label = \"\"")
        .replace("titles = [\"forklift operator\"]", "titles = [\"forklift operator\", \"truck drivers\"]");
    assert_eq!(
        errors_of(&text),
        [
            "jobs.toml:1: `# version:` \"t0\" differs from `version`",
            "jobs.toml:22: empty `label`",
            "jobs.toml:30: phrase \"truck drivers\" repeats line 13 (plurals count)",
        ]
    );
}

#[test]
fn words_that_are_not_jobs_and_bad_keys_are_refused() {
    let text = SMALL
        .replace("tasks = [\"roofing\"]", "tasks = [\"the\", \"employees\"]")
        .replace("others_within = 3", "others_within = 99");
    assert_eq!(
        errors_of(&text),
        [
            "jobs.toml:7: `others_within` must be 0 to 10 words",
            "jobs.toml:25: phrase \"the\" has no words but ignored ones",
            "jobs.toml:25: \"employees\" is in `unnamed`: it names no job",
        ]
    );
    let unknown = SMALL.replace("name_en = \"Roofer\"", "name_en = \"Roofer\"\nkind = \"trade\"");
    let errs = errors_of(&unknown);
    assert!(errs.len() == 1 && errs[0].starts_with("jobs.toml:24: unknown field `kind`"), "{errs:?}");
}
