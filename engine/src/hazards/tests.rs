//! Validation of small libraries written here, and of the committed one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::catalog::Catalog;
use crate::industry_code::IndustryCode;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

fn catalog() -> Catalog {
    Catalog::load(&rules_dir()).unwrap_or_else(|e| panic!("{e}"))
}

const VOCABULARY: &str = r#"version = "t1"
areas = [{ name = "电气安全" }, { name = "有限空间" }]
conditions = [{ name = "有限空间", note = "存在有限空间作业" }]
equipment = [{ name = "配电箱" }]
jobs = [{ name = "电工", aliases = ["维修电工"] }]
"#;

const SOURCES: &str = r#"version = "t1"
sources = [
  { id = "gb-test", document = "测试标准", number = "GB 0-2000", version = "2000", kind = "national_standard" },
]
"#;

fn text(rel: &str, body: &str) -> Text {
    Text { path: PathBuf::from("rules").join(rel), rel: PathBuf::from(rel), text: body.to_string() }
}

fn check(files: &[(&str, &str)]) -> Result<HazardLibrary, Vec<String>> {
    let files: Vec<Text> = files.iter().map(|(r, b)| text(r, b)).collect();
    from_texts(&text("hazards/vocabulary.toml", VOCABULARY), &text("hazards/sources.toml", SOURCES), &files, &catalog())
        .map_err(|e| e.0.iter().map(ToString::to_string).collect())
}

const GOOD: &str = r#"# version: t1
version = "t1"
title = "测试"
id_prefix = "HZ-T-"

[defaults]
version = 1
status = "active"
area = "电气安全"
industries = ["*"]
accident_types_86 = ["05"]
accident_types_2025 = ["触电"]
body_parts = ["A1.13"]
injury_natures = ["A2.01"]
grade = "general"
legal_basis = [{ source = "gb-test", article = "1.1" }]
deadline_days = 7
plan_required = false
evidence = ["整改后照片"]
weight = 1.0

[[item]]
id = "HZ-T-0001"
title = "配电箱门未关闭上锁"
check_point = "车间配电箱箱门"
check_method = "现场查看"
pass_criteria = "箱门关闭并上锁"
measures = ["加装门锁"]
equipment = ["配电箱"]
jobs = ["电工"]

[[item]]
id = "HZ-T-0002"
title = "有限空间未设置警示标志"
check_point = "污水井、储罐入口"
check_method = "现场查看"
pass_criteria = "入口设有有限空间警示标志"
measures = ["设置警示标志"]
area = "有限空间"
conditions = ["有限空间"]
accident_types_86 = ["19"]
accident_types_2025 = ["中毒", "窒息"]
"#;

#[test]
fn a_good_file_loads_with_defaults_applied() {
    let lib = check(&[("hazards/general/t.toml", GOOD)]).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(lib.items.len(), 2);
    let item = lib.get("HZ-T-0002").unwrap_or_else(|| panic!("missing"));
    assert_eq!(item.area, "有限空间");
    assert_eq!(item.accident_types_86, ["19"]);
    assert_eq!(item.rectification.deadline_days, 7);
    assert_eq!(item.legal_basis[0].document, "测试标准");
    assert_eq!(item.origin.line, 33);
    assert!(lib.version.starts_with("t1+"));
    let c = IndustryCode::parse("C2614").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lib.applicable_to(&c).count(), 2);
    assert_eq!(lib.vocabulary.job("维修电工"), Some("电工"));
}

#[test]
fn a_broken_file_is_reported_line_by_line() {
    let broken = GOOD
        .replace("accident_types_86 = [\"19\"]", "accident_types_86 = [\"19\", \"99\"]")
        .replace("conditions = [\"有限空间\"]", "conditions = [\"液氨制冷\"]")
        .replace("pass_criteria = \"箱门关闭并上锁\"\n", "")
        .replace("id = \"HZ-T-0002\"", "id = \"HZ-X-0002\"\ngrade = \"major\"\nsuperseded_by = \"HZ-T-0009\"");
    let errs = check(&[("hazards/general/t.toml", &broken)]).err().unwrap_or_default();
    let by_line: BTreeMap<String, &str> = errs
        .iter()
        .map(|e| {
            let (loc, reason) = e.split_once(": ").unwrap_or((e, ""));
            (loc.to_string(), reason)
        })
        .collect();
    let at = |loc: &str, needle: &str| {
        assert!(
            errs.iter().any(|e| e.starts_with(&format!("rules/hazards/general/t.toml:{loc}: ")) && e.contains(needle)),
            "no {needle:?} at line {loc}: {errs:#?}"
        );
    };
    // The first item lost its criteria (reported at its id); the second item moved up a line.
    at("23", "missing `pass_criteria`");
    at("32", "does not start with the file's id_prefix");
    at("34", "only a superseded item may have `superseded_by`");
    at("41", "\"液氨制冷\" is not in vocabulary.toml");
    at("42", "unknown code \"99\"");
    // plan_required = false comes from [defaults]: that is the line to fix.
    at("18", "plan_required = true");
    assert_eq!(errs.len(), 6, "{by_line:#?}");
}

#[test]
fn ids_are_unique_across_files_and_references_resolve() {
    let other = GOOD
        .replace("HZ-T-0002", "HZ-T-0003")
        .replace("id = \"HZ-T-0003\"", "id = \"HZ-T-0003\"\nstatus = \"superseded\"\nsuperseded_by = \"HZ-T-0404\"");
    let errs = check(&[("hazards/general/a.toml", GOOD), ("hazards/general/b.toml", &other)]).err().unwrap_or_default();
    assert!(
        errs.iter().any(|e| e.starts_with("rules/hazards/general/b.toml:23: ")
            && e.contains("HZ-T-0001 repeats rules/hazards/general/a.toml:23")),
        "{errs:#?}"
    );
    assert!(errs.iter().any(|e| e.contains("b.toml:33: superseded_by \"HZ-T-0404\": no such item")), "{errs:#?}");
}

#[test]
fn duplicate_texts_are_detected() {
    let dup = GOOD
        .replace("HZ-T-0001", "HZ-U-0001")
        .replace("HZ-T-0002", "HZ-U-0002")
        .replace("HZ-T-", "HZ-U-")
        .replace("有限空间未设置警示标志", "有限空间入口标志")
        .replace("污水井、储罐入口", "储罐人孔")
        .replace("配电箱门未关闭上锁", "配电箱门未关闭、上锁。");
    let errs = check(&[("hazards/general/a.toml", GOOD), ("hazards/general/b.toml", &dup)]).err().unwrap_or_default();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0]
            .starts_with("rules/hazards/general/b.toml:23: HZ-U-0001 has the same title and check point as HZ-T-0001")
    );

    let near = dup.replace("配电箱门未关闭、上锁。", "配电箱箱门未关闭上锁");
    let errs = check(&[("hazards/general/a.toml", GOOD), ("hazards/general/b.toml", &near)]).err().unwrap_or_default();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].contains("nearly the same title and check point"), "{errs:#?}");
}

#[test]
fn syntax_errors_and_unknown_keys_carry_their_line() {
    let bad = GOOD.replace(
        "check_method = \"现场查看\"\npass_criteria = \"入口",
        "check_methd = \"现场查看\"\npass_criteria = \"入口",
    );
    let errs = check(&[("hazards/general/t.toml", &bad)]).err().unwrap_or_default();
    assert!(
        errs.iter().any(|e| e.starts_with("rules/hazards/general/t.toml:36: ") && e.contains("check_methd")),
        "{errs:#?}"
    );
    let bad = GOOD.replace("title = \"测试\"", "title = \"测试");
    let errs = check(&[("hazards/general/t.toml", &bad)]).err().unwrap_or_default();
    assert!(errs.iter().any(|e| e.starts_with("rules/hazards/general/t.toml:3: ")), "{errs:#?}");
}

/// Divisions of the key industries (brief: mining 06–12, manufacturing 13–43 with
/// hazardous chemicals, pharmaceuticals, building materials, metallurgy and machinery
/// among them, construction 47–50, transport, warehousing and postal 53–60).
fn key_divisions() -> Vec<String> {
    [(6, 12), (13, 43), (47, 50), (53, 60)].iter().flat_map(|&(a, b)| (a..=b).map(|d| format!("{d:02}"))).collect()
}

fn committed() -> HazardLibrary {
    load(&rules_dir(), &catalog()).unwrap_or_else(|e| panic!("{} problem(s):\n{e}", e.0.len()))
}

#[test]
fn the_committed_library_loads_without_problems() {
    let lib = committed();
    assert!(lib.active().count() > 0);
    // Every source and vocabulary term that items cite exists (checked by load); every
    // major item carries the 五落实 plan.
    assert!(lib.active().filter(|i| i.grade == Grade::Major).all(|i| i.rectification.plan_required));
}

pub const MIN_ITEMS: usize = 1500;
pub const MIN_PER_ENTERPRISE: usize = 250;

#[test]
fn the_committed_library_is_large_enough() {
    let catalog = catalog();
    let started = std::time::Instant::now();
    let lib = load(&rules_dir(), &catalog).unwrap_or_else(|e| panic!("{} problem(s):\n{e}", e.0.len()));
    println!("loaded and validated in {:?}", started.elapsed());
    let active = lib.active().count();
    let mut by_file: BTreeMap<String, usize> = BTreeMap::new();
    for i in lib.active() {
        *by_file.entry(i.origin.file.display().to_string()).or_default() += 1;
    }
    let mut by_source: BTreeMap<&str, usize> = BTreeMap::new();
    for i in lib.active() {
        for s in i.legal_basis.iter().map(|b| b.source.as_str()).collect::<std::collections::BTreeSet<_>>() {
            *by_source.entry(s).or_default() += 1;
        }
    }
    println!("library {} — {active} active items of {}", lib.version, lib.items.len());
    for (f, n) in &by_file {
        println!("  {n:5}  {f}");
    }
    for (s, n) in &by_source {
        println!("  {n:5}  cite {s}");
    }
    let mut short = Vec::new();
    for d in key_divisions() {
        let code = IndustryCode::parse(&d).unwrap_or_else(|e| panic!("{e}"));
        let all = lib.applicable_to(&code).count();
        let unconditional = lib.applicable_to(&code).filter(|i| i.applicability.is_unconditional()).count();
        println!("  division {d}: {all} applicable, {unconditional} without condition or equipment gates");
        if unconditional < MIN_PER_ENTERPRISE {
            short.push(format!("{d}: {unconditional}"));
        }
    }
    assert!(active >= MIN_ITEMS, "{active} active items, want at least {MIN_ITEMS}");
    assert!(short.is_empty(), "divisions under {MIN_PER_ENTERPRISE} unconditional items: {short:?}");
}
