//! The analysis report as downloads: the PDF read back with poppler (section titles,
//! figures of the JSON report, every chart drawn and painted, one embedded font) and the
//! workbook read back with calamine (sheets, and cells equal to the JSON report's
//! figures); who may download what, and the PDF without its font.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use calamine::{Data, Range, Reader, Xlsx};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use zhicha_api::entities::audit_log;
use zhicha_tests::{Opts, TestApp, both};

use crate::findings::{get, mp_token};
use crate::support;
use crate::wechat::staff_token;

const SHEETS: [&str; 12] = [
    "总体",
    "重点行业",
    "月度趋势",
    "年度",
    "按事故类型",
    "按受伤部位",
    "按伤害性质",
    "按岗位",
    "专题",
    "培训覆盖",
    "重点关注",
    "改进建议",
];

const SECTIONS: [&str; 8] = [
    "一、总体情况",
    "二、重点行业",
    "三、趋势",
    "四、事故类型、受伤部位、伤害性质与岗位",
    "五、专题",
    "六、培训覆盖计划",
    "七、明年工作重点",
    "八、改进建议",
];

/// The chart titles: drawn only inside the charts' SVG, never in the body text.
const CHART_TITLES: [&str; 5] = ["工伤事故月度趋势（", "按事故类型：", "按受伤部位：", "按伤害性质：", "按岗位："];

async fn fetch(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// A successful download: its headers checked, its bytes returned.
async fn download(app: &TestApp, path: &str, token: &str, content_type: &str, ext: &str) -> Vec<u8> {
    let res = fetch(app, path, token).await;
    assert_eq!(res.status().as_u16(), 200, "{path}");
    assert_eq!(header(&res, "content-type"), content_type);
    assert_eq!(header(&res, "cache-control"), "no-store");
    let cd = header(&res, "content-disposition").to_string();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(cd.contains(&format!("filename=\"zhicha-analysis-640200-2025.{ext}\"")), "ASCII fallback: {cd}");
    // RFC 5987: the UTF-8 name percent-encoded after `filename*=UTF-8''`.
    let encoded = cd.split("filename*=UTF-8''").nth(1).unwrap_or_else(|| panic!("no filename*: {cd}"));
    let url = reqwest::Url::parse(&format!("http://x/?n={}", encoded.trim_end_matches(';'))).unwrap();
    let name = url.query_pairs().next().map(|(_, v)| v.to_string()).unwrap_or_default();
    assert_eq!(name, format!("石嘴山市2025年工伤大数据分析报告.{ext}"), "{cd}");
    res.bytes().await.unwrap().to_vec()
}

/// A poppler tool's output on `file` (pdftotext is told to write to standard output;
/// the others do without being told).
fn run(cmd: &str, args: &[&str], file: &Path) -> Vec<u8> {
    let mut c = Command::new(cmd);
    c.args(args).arg(file);
    if cmd == "pdftotext" {
        c.arg("-");
    }
    let out = c.output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Whether poppler's tools are installed (`.ci/run` installs poppler-utils).
fn poppler() -> bool {
    let found = Command::new("pdftotext").arg("-v").output().is_ok();
    assert!(found || std::env::var("CI").is_err(), "CI installs poppler-utils");
    found
}

/// Pixels of a binary PPM (`P6`, 8-bit) close to `rgb`.
fn pixels_near(ppm: &[u8], rgb: [u8; 3]) -> usize {
    // The header: magic, width, height, max value, each followed by one whitespace byte.
    let mut fields = 0;
    let mut start = 0;
    let mut in_field = false;
    for (i, b) in ppm.iter().enumerate() {
        if b.is_ascii_whitespace() {
            if in_field {
                fields += 1;
                in_field = false;
                if fields == 4 {
                    start = i + 1;
                    break;
                }
            }
        } else {
            in_field = true;
        }
    }
    assert!(ppm.starts_with(b"P6") && start > 0, "not a binary PPM");
    ppm[start..].chunks_exact(3).filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 12)).count()
}

fn cell(range: &Range<Data>, row: usize, col: usize) -> &Data {
    range.get((row, col)).unwrap_or(&Data::Empty)
}

fn float(range: &Range<Data>, row: usize, col: usize) -> f64 {
    match cell(range, row, col) {
        Data::Float(v) => *v,
        Data::Int(v) => *v as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

fn text(range: &Range<Data>, row: usize, col: usize) -> String {
    match cell(range, row, col) {
        Data::String(s) => s.clone(),
        other => panic!("({row}, {col}) is not text: {other:?}"),
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn check_workbook(bytes: Vec<u8>, report: &Value) {
    assert!(bytes.starts_with(b"PK"), "a zip container");
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), SHEETS.map(String::from).to_vec());

    // 年度: one row per year, the accidents a number equal to the JSON's.
    let years = wb.worksheet_range("年度").unwrap();
    assert_eq!(text(&years, 0, 0), "年度");
    let json_years = report["trends"]["years"].as_array().unwrap();
    assert_eq!(years.height(), json_years.len() + 1, "a header and one row per year");
    for (i, y) in json_years.iter().enumerate() {
        assert_eq!(float(&years, i + 1, 0), num(&y["year"]));
        assert_eq!(float(&years, i + 1, 2), num(&y["accidents"]), "accidents of {}", y["year"]);
        assert_eq!(float(&years, i + 1, 4), num(&y["deaths"]));
    }

    // 重点行业: the total row last, its figures the JSON total's.
    let ki = wb.worksheet_range("重点行业").unwrap();
    let total = &report["key_industries"]["total"];
    let last = ki.height() - 1;
    assert_eq!(last, report["key_industries"]["rows"].as_array().unwrap().len() + 1);
    assert_eq!(text(&ki, last, 1), "重点行业合计");
    for (col, key) in [
        (2, "enterprises"),
        (3, "insured_enterprises"),
        (4, "workforce"),
        (5, "insured_workers"),
        (8, "accidents"),
        (10, "previous_accidents"),
    ] {
        assert_eq!(float(&ki, last, col), num(&total[key]), "{key}");
    }
    // Rates as numbers (the fraction, shown as a percentage by the cell's format).
    assert!((float(&ki, last, 7) - num(&total["participation_rate"])).abs() < 1e-12);
    assert!((float(&ki, last, 9) - num(&total["accident_rate"])).abs() < 1e-12);

    // 培训覆盖: the pairs in order with their counts and cumulative shares.
    let cov = wb.worksheet_range("培训覆盖").unwrap();
    let pairs = report["coverage"]["pairs"].as_array().unwrap();
    assert!(!pairs.is_empty());
    for (i, p) in pairs.iter().enumerate() {
        assert_eq!(float(&cov, i + 1, 0), (i + 1) as f64);
        assert_eq!(float(&cov, i + 1, 4), num(&p["accidents"]), "pair {i}");
        assert!((float(&cov, i + 1, 5) - num(&p["cumulative_share"])).abs() < 1e-12, "pair {i}");
    }
    assert_eq!(cell(&cov, pairs.len() + 1, 0), &Data::Empty, "exactly the plan's pairs");

    // 改进建议: every suggestion, in order.
    let sug = wb.worksheet_range("改进建议").unwrap();
    let json_sug = report["summary"]["suggestions"].as_array().unwrap();
    assert!(!json_sug.is_empty());
    for (i, s) in json_sug.iter().enumerate() {
        assert_eq!(text(&sug, i + 1, 2), s["text"].as_str().unwrap());
    }
}

fn check_pdf(bytes: &[u8], report: &Value) {
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    if !poppler() {
        eprintln!("analysis export: pdftotext missing; install poppler-utils to read the PDF back");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("analysis.pdf");
    std::fs::write(&file, bytes).unwrap();
    let all = String::from_utf8(run("pdftotext", &[], &file)).unwrap();
    for s in SECTIONS {
        assert!(all.contains(s), "section {s} in the PDF");
    }
    let total = &report["key_industries"]["total"];
    let line = format!("重点行业2025年工伤事故 {} 起", total["accidents"]);
    assert!(all.contains(&line), "the key-industry total from the JSON report: {line}");
    let first: String = report["summary"]["suggestions"][0]["text"].as_str().unwrap().chars().take(12).collect();
    assert!(all.contains(&first), "the first suggestion begins: {first}");

    // Every chart is drawn (its title is text only the SVG has) and painted: each page
    // that carries a chart has pixels of the charts' first series colour (#1F5FA8),
    // which nothing else in the report uses.
    let info = String::from_utf8(run("pdfinfo", &[], &file)).unwrap();
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count: {info}"));
    let mut charts = 0;
    for p in 1..=pages {
        let n = p.to_string();
        let page = String::from_utf8(run("pdftotext", &["-f", &n, "-l", &n], &file)).unwrap();
        let here = CHART_TITLES.iter().filter(|t| page.contains(**t)).count();
        let ppm = run("pdftoppm", &["-r", "50", "-f", &n, "-l", &n], &file);
        let blue = pixels_near(&ppm, [0x1f, 0x5f, 0xa8]);
        if here > 0 {
            assert!(blue >= 40 * here, "page {p}: {here} charts but {blue} pixels of their colour");
        } else {
            assert_eq!(blue, 0, "page {p}: the chart colour without a chart");
        }
        charts += here;
    }
    assert_eq!(charts, CHART_TITLES.len(), "every chart once");

    // Body and chart text share the one embedded face (the chart family is mapped to it).
    let fonts = String::from_utf8(run("pdffonts", &[], &file)).unwrap();
    let faces: Vec<&str> = fonts.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
    assert!(!faces.is_empty() && faces.iter().all(|l| l.contains("+NotoSansCJK")), "{fonts}");
}

both!(
    analysis_report_downloads,
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let city = staff_token(app, "hrss.city").await;
        let (s, report) = get(app, "/gov/analysis/report?year=2025", &city).await;
        assert_eq!(s, 200, "{report}");

        let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        check_workbook(download(app, "/gov/analysis/report.xlsx?year=2025", &city, xlsx, "xlsx").await, &report);
        let pdf_path = "/gov/analysis/report.pdf?year=2025";
        if app.state.settings.reports.font_path.exists() {
            check_pdf(&download(app, pdf_path, &city, "application/pdf", "pdf").await, &report);
        } else {
            assert!(std::env::var("CI").is_err(), "CI installs fonts-noto-cjk (.ci/run)");
            support::error(fetch(app, pdf_path, &city).await, 503, "report_font_unavailable").await;
        }

        // Each download is audited with its format, region and year.
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("analysis.export"))
            .order_by_asc(audit_log::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let details: Vec<String> = audited.iter().map(|a| a.detail.clone().unwrap_or_default()).collect();
        assert!(details[0].starts_with("format=xlsx region=640200 year=2025"), "{details:?}");
        if app.state.settings.reports.font_path.exists() {
            assert_eq!(audited.len(), 2, "{details:?}");
            assert!(details[1].starts_with("format=pdf region=640200 year=2025"), "{details:?}");
        }
        assert!(audited.iter().all(|a| a.object_kind == "analysis_report" && a.actor_role == "hrss_bureau"));

        // An enterprise's officer may not; a city bureau cannot reach another city.
        let (officer, _) = mp_token(app, "demo-officer-e01").await;
        for ext in ["pdf", "xlsx"] {
            let path = format!("/gov/analysis/report.{ext}?year=2025");
            support::error(fetch(app, &path, &officer).await, 403, "forbidden").await;
            let other = format!("/gov/analysis/report.{ext}?year=2025&region=640100");
            support::error(fetch(app, &other, &city).await, 404, "not_found").await;
        }
        let after =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("analysis.export")).all(&app.db).await;
        assert_eq!(after.unwrap().len(), audited.len(), "refused downloads leave no export record");
    }
);

both!(
    analysis_pdf_without_its_font,
    Opts { demo: true, standin: true, font_path: Some("/nonexistent/NotoSansCJK.ttc".into()), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let city = staff_token(app, "hrss.city").await;
        support::error(fetch(app, "/gov/analysis/report.pdf?year=2025", &city).await, 503, "report_font_unavailable")
            .await;
        // The workbook needs no font.
        let res = fetch(app, "/gov/analysis/report.xlsx?year=2025", &city).await;
        assert_eq!(res.status().as_u16(), 200);
        let bytes = res.bytes().await.unwrap();
        let wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
        assert_eq!(wb.sheet_names().len(), SHEETS.len());
    }
);
