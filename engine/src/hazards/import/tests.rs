//! Import of the example library under `seeds/hazard-import-example/` into the committed
//! library, and of broken variants of it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::*;
use crate::hazards::{Grade, load};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

fn example(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds/hazard-import-example").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (PathBuf::from("seeds/hazard-import-example").join(name), text)
}

fn committed() -> &'static (Catalog, HazardLibrary) {
    static L: OnceLock<(Catalog, HazardLibrary)> = OnceLock::new();
    L.get_or_init(|| {
        let catalog = Catalog::load(&rules_dir()).unwrap_or_else(|e| panic!("{e}"));
        let library = load(&rules_dir(), &catalog).unwrap_or_else(|e| panic!("{e}"));
        (catalog, library)
    })
}

fn mapping(text: &str) -> Result<ImportMapping, Vec<String>> {
    let (catalog, library) = committed();
    ImportMapping::parse(Path::new("mapping.toml"), text, library, catalog)
        .map_err(|e| e.0.iter().map(ToString::to_string).collect())
}

fn run(mapping_text: &str, file: &Path, data: &str) -> ImportReport {
    let (catalog, library) = committed();
    let m = mapping(mapping_text).unwrap_or_else(|e| panic!("{e:#?}"));
    import(file, data, &m, library, catalog).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_example_imports_as_drafts() {
    let (_, m) = example("mapping.toml");
    let (file, csv) = example("hazards.csv");
    let report = run(&m, &file, &csv);
    let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert!(rejected.is_empty(), "{rejected:#?}");
    assert_eq!((report.rows, report.items.len()), (15, 15));
    let first = &report.items[0];
    assert_eq!(
        (first.item.id.as_str(), first.line, first.source_key.as_deref()),
        ("HZ-IMP-EX-0001", 4, Some("EX-001"))
    );
    assert!(report.items.iter().all(|i| i.item.status == Status::Draft));
    assert_eq!(first.item.area, "电气安全");
    assert_eq!(first.item.accident_types_86, ["05"]);
    assert_eq!(first.item.accident_types_2025, ["触电"]);
    assert_eq!(first.item.body_parts, ["A1.13", "A1.12"]);
    assert_eq!(first.item.legal_basis[0].source, "gb-13869-2017");
    assert_eq!(first.item.rectification.measures, ["更换为安全电压灯具", "加装灯具防护罩"]);
    assert_eq!(first.item.origin.line, 4);
    // 中毒和窒息 carries both 2025 categories; aliases become canonical jobs; a major
    // grade brings the 五落实 plan.
    let by_key =
        |k: &str| report.items.iter().find(|i| i.source_key.as_deref() == Some(k)).unwrap_or_else(|| panic!("no {k}"));
    assert_eq!(by_key("EX-007").item.accident_types_2025, ["高处坠落", "中毒", "窒息"]);
    assert_eq!(by_key("EX-005").item.applicability.jobs, ["车工"]);
    assert_eq!(by_key("EX-015").item.applicability.equipment, ["桥门式起重机"]);
    let major = &by_key("EX-010").item;
    assert!(major.grade == Grade::Major && major.rectification.plan_required);
    assert_eq!(report.items.last().map(|i| i.item.id.as_str()), Some("HZ-IMP-EX-0015"));
}

#[test]
fn broken_rows_are_reported_at_their_line_and_the_rest_imported() {
    let (_, m) = example("mapping.toml");
    let (file, csv) = example("hazards.csv");
    let broken = csv
        .replace(
            ",机械伤害,上肢、腕及手,操作工、维修工,输送机,一般隐患,",
            ",机械伤,上肢、腕及手,操作工、维修工,输送带,一般隐患,",
        )
        .replace(
            "中华人民共和国安全生产法,第二十二条,建立考核办法并开展考核,30",
            "某某管理办法,第二十二条,建立考核办法并开展考核,一个月",
        );
    let report = run(&m, &file, &broken);
    let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    let at = |line: usize, needle: &str| {
        let prefix = format!("seeds/hazard-import-example/hazards.csv:{line}: ");
        assert!(
            rejected.iter().any(|e| e.starts_with(&prefix) && e.contains(needle)),
            "no {needle:?} at {line}: {rejected:#?}"
        );
    };
    at(6, "`accident_types_86`: unknown code \"机械伤\"");
    at(6, "`equipment`: \"输送带\" is not in vocabulary.toml");
    at(12, "deadline_days \"一个月\" is not a whole number of days");
    at(12, "source \"某某管理办法\" is not in sources.toml");
    assert_eq!(rejected.len(), 4, "{rejected:#?}");
    assert_eq!(report.items.len(), 13);
    // Ids stay dense over the accepted rows.
    assert_eq!(report.items[2].item.id, "HZ-IMP-EX-0003");
    assert_eq!(report.items[2].line, 7);
}

#[test]
fn repeats_of_the_library_or_of_earlier_rows_are_rejected() {
    let (_, m) = example("mapping.toml");
    let (file, csv) = example("hazards.csv");
    let (_, library) = committed();
    let known = library.get("HZ-ELEC-0011").unwrap_or_else(|| panic!("HZ-ELEC-0011"));
    let mut data = csv.clone();
    data.push_str(&format!(
        "EX-016,用电安全,{},{},现场查看,合格,全行业,触电,,,,一般隐患,用电安全导则,第6章,整改,7\n",
        known.title, known.check_point
    ));
    data.push_str(&csv.lines().nth(3).unwrap_or_default().replacen("EX-001", "EX-017", 1));
    data.push('\n');
    let report = run(&m, &file, &data);
    let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(rejected.len(), 2, "{rejected:#?}");
    assert!(rejected[0].starts_with("seeds/hazard-import-example/hazards.csv:19: the same title and check point as HZ-ELEC-0011 at hazards/general/"), "{rejected:#?}");
    assert!(rejected[1].ends_with(":20: the same title and check point as the row at line 4"), "{rejected:#?}");
}

#[test]
fn json_sources_map_keys_like_columns() {
    let (_, m) = example("mapping.toml");
    let m = m.replace("format = \"csv\"", "format = \"json\"");
    let data = r#"[
  {"序号": 1, "隐患类别": "消防", "隐患名称": "消防水泵房未设置应急照明", "检查部位": "消防水泵房",
   "检查方法": "断电试验", "合格标准": "水泵房设置应急照明，照度满足操作需要", "适用行业": ["全行业"],
   "事故类型": ["火灾"], "受伤部位": [], "涉及岗位": null, "涉及设备": "", "隐患级别": "一般隐患",
   "依据文件": "建筑防火通用规范", "依据条款": "消防应急照明", "整改措施": ["增设应急照明"], "整改期限": 15},
  {"序号": 2, "隐患类别": "消防", "隐患名称": "", "检查部位": "", "检查方法": "", "合格标准": "", "适用行业": "全行业",
   "事故类型": "火灾", "受伤部位": "", "涉及岗位": "", "涉及设备": "", "隐患级别": "一般",
   "依据文件": "建筑防火通用规范", "依据条款": "x", "整改措施": "x", "整改期限": "7天"}
]"#;
    let report = run(&m, Path::new("lib.json"), data);
    let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(report.items.len(), 1, "{rejected:#?}");
    assert_eq!(report.items[0].source_key.as_deref(), Some("1"));
    assert_eq!(report.items[0].item.rectification.deadline_days, 15);
    assert!(rejected.iter().all(|e| e.starts_with("lib.json:6: ")), "{rejected:#?}");
    assert!(rejected.iter().any(|e| e.contains("missing `title`")), "{rejected:#?}");
}

#[test]
fn a_wrong_mapping_is_reported_at_its_lines() {
    let (_, m) = example("mapping.toml");
    let bad = m
        .replace("source_key = \"序号\"", "id = \"序号\"")
        .replace("status = \"draft\"", "status = \"active\"")
        .replace("weight = 1.0", "weight = 1.0\nlegal_basis = [{ source = \"no-such-doc\", article = \"1\" }]")
        .replace("deadline_days = \"整改期限\"\n", "");
    let errs = mapping(&bad).err().unwrap_or_default();
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).map_or(0, |i| i + 1);
    let has = |e: &str| errs.iter().any(|x| x == e);
    assert!(
        has(&format!(
            "mapping.toml:{}: `id` is not a field an import can fill (id, version and status are the importer's)",
            line_of("id = \"序号\"")
        )),
        "{errs:#?}"
    );
    assert!(
        has(&format!(
            "mapping.toml:{}: imported items land as drafts for review: status must be \"draft\"",
            line_of("status = \"active\"")
        )),
        "{errs:#?}"
    );
    assert!(has("mapping.toml: `deadline_days` is neither mapped to a column nor in [defaults]"), "{errs:#?}");
    assert!(
        errs.iter()
            .any(|e| e.starts_with(&format!("mapping.toml:{}: ", line_of("no-such-doc"))) && e.contains("no-such-doc")),
        "{errs:#?}"
    );
}

#[test]
fn a_file_missing_a_mapped_column_is_refused_whole() {
    let (_, m) = example("mapping.toml");
    let (file, csv) = example("hazards.csv");
    let (catalog, library) = committed();
    let mapping = ImportMapping::parse(Path::new("m.toml"), &m, library, catalog).unwrap_or_else(|e| panic!("{e}"));
    let data = csv.replace("整改期限", "期限");
    let err = import(&file, &data, &mapping, library, catalog).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(err, "seeds/hazard-import-example/hazards.csv:3: no column `整改期限` in the header");
    let err = import(&file, "# only\n", &mapping, library, catalog).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("no column"), "{err}");
}
