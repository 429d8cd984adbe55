//! What the dashboard page shows, gathered from the same services as the API (the cached
//! summary and feedback, the enterprise list, the analysis report) and shaped into
//! labelled figures and SVG charts for the template.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use zhicha_engine::analysis::{Dimension, Labels};

use crate::error::ApiError;
use crate::identity::Caller;
use crate::oversight::analysis::export::text::{aim, pct, signed_pct};
use crate::oversight::analysis::figures;
use crate::oversight::charts::{self, Bars, Series};
use crate::oversight::dashboard::{self, EnterprisePage, Feedback, ListQuery, Summary};
use crate::selfcheck::targets::{FOUND_TARGET, RECOMMENDED_TARGET};
use crate::state::AppState;

/// One headline figure; `key` names the summary field it shows, for anyone checking
/// the page against the API (`data-figure`).
pub struct Kpi {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub note: String,
}

pub struct CityRow {
    pub code: String,
    pub name: String,
    pub enterprises: i64,
    pub found: i64,
    pub rectified: i64,
    pub share: String,
    pub overdue: i64,
    pub all_met: i64,
}

pub struct CountRow {
    pub label: String,
    pub count: i64,
}

pub struct EnterpriseRow {
    pub id: i64,
    pub name: String,
    pub recommended: i64,
    pub found: i64,
    pub share: String,
    pub open: i64,
    pub overdue: i64,
    pub met: String,
}

#[derive(Serialize, Deserialize)]
pub struct KeyRow {
    pub name: String,
    pub enterprises: u64,
    pub insured_workers: u64,
    pub participation: String,
    pub accidents: u64,
    pub rate: String,
    pub change: String,
    pub aim: String,
}

pub struct AreaRow {
    pub area: String,
    pub recommended: i64,
    pub found: i64,
    pub not_applicable: i64,
    pub hit_rate: String,
}

pub struct Filters {
    pub region: Option<String>,
    pub sort: String,
    pub attainment: String,
    pub q: String,
    pub page: u64,
}

pub struct DashboardView {
    pub user: String,
    pub role: &'static str,
    pub region_code: String,
    pub region_name: String,
    pub own_region: String,
    pub year: i32,
    pub generated_at: String,
    pub cities: Vec<CityRow>,
    /// A province (or wider) is shown: its cities get a table and a chart.
    pub by_city: bool,
    pub kpis: Vec<Kpi>,
    pub attainment_svg: String,
    pub funnel_svg: String,
    pub trend_svg: String,
    pub types_svg: String,
    pub cities_svg: Option<String>,
    pub escalations: Vec<CountRow>,
    pub tasks: Vec<CountRow>,
    pub receipts: Vec<CountRow>,
    pub enterprises: Vec<EnterpriseRow>,
    pub enterprise_total: u64,
    pub pages: u64,
    pub filters: Filters,
    pub key_rows: Vec<KeyRow>,
    pub areas: Vec<AreaRow>,
    pub suggestions: Vec<String>,
}

fn role_label(c: &Caller) -> &'static str {
    match c.role {
        crate::identity::Role::HrssBureau => "人社局",
        crate::identity::Role::EmergencyBureau => "应急局",
        _ => "",
    }
}

/// A task kind by the name of the ladder level that sets it (rules/triggers/levels.toml);
/// the follow-up visit belongs to no level.
fn task_label(state: &AppState, kind: &str) -> String {
    match state.triggers.levels.iter().find(|l| l.task.as_str() == kind) {
        Some(l) => l.name.clone(),
        None if kind == "follow_up" => "回访巡查".to_string(),
        None => kind.to_string(),
    }
}

fn status_label(s: &str) -> &str {
    match s {
        "open" => "进行中",
        "offered" => "待接单",
        "accepted" => "已接单",
        "done" => "已完成",
        "cancelled" => "已撤销",
        "closed" => "已关闭",
        "received" => "已接收",
        "read" => "已阅",
        "returned" => "已退回",
        other => other,
    }
}

/// `level:state`, `kind:status` or a bare status as Chinese words.
fn count_lines(counts: &[dashboard::Count], state: &AppState, escalation: bool) -> Vec<CountRow> {
    counts
        .iter()
        .map(|c| {
            let label = match c.key.split_once(':') {
                Some((a, b)) if escalation => {
                    let name = a
                        .parse::<u8>()
                        .ok()
                        .and_then(|l| state.triggers.level(l))
                        .map_or_else(|| a.to_string(), |l| l.name.clone());
                    format!("{a}级 {name} · {}", status_label(b))
                }
                Some((a, b)) => format!("{} · {}", task_label(state, a), status_label(b)),
                None => status_label(&c.key).to_string(),
            };
            CountRow { label, count: c.count }
        })
        .collect()
}

async fn region_names(state: &AppState, codes: Vec<String>) -> HashMap<String, String> {
    match crate::reference::region_names(state, codes).await {
        Ok(names) => names,
        Err(e) => {
            tracing::warn!("dashboard page: region names unavailable: {e}");
            HashMap::new()
        }
    }
}

/// The page's query; empty fields (as a form sends them) mean "not given".
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub region: Option<String>,
    pub sort: Option<String>,
    pub attainment: Option<String>,
    pub q: Option<String>,
    pub page: Option<u64>,
    pub year: Option<i32>,
}

pub async fn gather(state: &AppState, caller: &Caller, q: PageQuery) -> Result<DashboardView, ApiError> {
    let (own, own_prefix) = dashboard::region_of(caller, None)?;
    let q = PageQuery { region: q.region.filter(|r| !r.is_empty()), sort: q.sort.filter(|s| !s.is_empty()), ..q };
    let (region, prefix) = dashboard::region_of(caller, q.region.as_deref())?;
    let summary: Summary = dashboard::cached_summary(state, &region, &prefix).await?;
    let feedback: Feedback = dashboard::cached_feedback(state, &region, &prefix).await?;
    let sort = q.sort.clone().unwrap_or_else(|| "overdue".into());
    let list_q = ListQuery {
        region: q.region.clone(),
        attainment: q.attainment.clone().filter(|a| !a.is_empty()),
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        sort: Some(sort.clone()),
        page: q.page,
        per_page: Some(20),
        ..ListQuery::default()
    };
    let list: EnterprisePage = dashboard::list(state, &own_prefix, &list_q).await?;
    let year = crate::oversight::analysis::report::year_of(q.year, Utc::now())?;
    let part = analysis_part(state, caller, q.region.as_deref(), &prefix, year).await?;

    let mut codes: Vec<String> = summary.cities.iter().map(|c| c.region_code.clone()).collect();
    codes.push(region.clone());
    codes.push(own.clone());
    let names = region_names(state, codes).await;
    let name = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_string());

    let t = &summary.total;
    let n = t.enterprises.max(1) as f64;
    let kpis = vec![
        Kpi {
            key: "enterprises",
            label: "企业",
            value: t.enterprises.to_string(),
            note: format!("重点企业 {}", t.key_enterprises),
        },
        Kpi {
            key: "recommended",
            label: "推荐隐患",
            value: t.recommended.to_string(),
            note: format!("户均 {:.0}（目标 ≥{RECOMMENDED_TARGET}）", t.recommended as f64 / n),
        },
        Kpi {
            key: "found",
            label: "发现隐患",
            value: t.found.to_string(),
            note: format!("户均 {:.1}（目标 ≥{FOUND_TARGET}）", t.found as f64 / n),
        },
        Kpi {
            key: "rectified",
            label: "已整改销号",
            value: t.rectified.to_string(),
            note: format!("整改率 {}（目标 ≥80%）", pct(t.rectified_share)),
        },
        Kpi {
            key: "overdue",
            label: "逾期未改",
            value: t.overdue.to_string(),
            note: format!("重大隐患逾期 {}", t.major_overdue),
        },
        Kpi {
            key: "all_met",
            label: "三项目标全部达成",
            value: t.all_met.to_string(),
            note: format!("占企业 {}", pct((t.enterprises > 0).then(|| t.all_met as f64 / t.enterprises as f64))),
        },
    ];
    let one = |name: &str, values: Vec<f64>| vec![Series { name: name.to_string(), values }];
    let err = |e: charts::ChartError| ApiError::internal(anyhow::anyhow!(e));
    let attainment_svg = charts::bars(
        &Bars {
            title: "目标达成（企业数）".into(),
            labels: vec![
                format!("推荐 ≥{RECOMMENDED_TARGET}"),
                format!("发现 ≥{FOUND_TARGET}"),
                "整改率 ≥80%".into(),
                "三项全部".into(),
            ],
            series: one(
                "达成",
                vec![t.recommended_met as f64, t.found_met as f64, t.rectified_met as f64, t.all_met as f64],
            ),
            unit: "家".into(),
        },
        460,
    )
    .map_err(err)?;
    let funnel_svg = charts::bars(
        &Bars {
            title: "隐患整改漏斗".into(),
            labels: vec!["发现".into(), "整改中".into(), "逾期".into(), "已整改销号".into()],
            series: one("隐患", vec![t.found as f64, t.open as f64, t.overdue as f64, t.rectified as f64]),
            unit: "项".into(),
        },
        460,
    )
    .map_err(err)?;
    let by_city = summary.cities.len() > 1 || region.ends_with("0000");
    let cities_svg = if by_city {
        Some(
            charts::bars(
                &Bars {
                    title: "各市隐患发现与整改".into(),
                    labels: summary.cities.iter().map(|c| name(&c.region_code)).collect(),
                    series: vec![
                        Series {
                            name: "发现".into(),
                            values: summary.cities.iter().map(|c| c.progress.found as f64).collect(),
                        },
                        Series {
                            name: "已整改".into(),
                            values: summary.cities.iter().map(|c| c.progress.rectified as f64).collect(),
                        },
                    ],
                    unit: "项".into(),
                },
                460,
            )
            .map_err(err)?,
        )
    } else {
        None
    };
    let cities = summary
        .cities
        .iter()
        .map(|c| CityRow {
            code: c.region_code.clone(),
            name: name(&c.region_code),
            enterprises: c.progress.enterprises,
            found: c.progress.found,
            rectified: c.progress.rectified,
            share: pct(c.progress.rectified_share),
            overdue: c.progress.overdue,
            all_met: c.progress.all_met,
        })
        .collect();
    let enterprises = list
        .enterprises
        .iter()
        .map(|e| EnterpriseRow {
            id: e.id,
            name: e.name.clone(),
            recommended: e.recommended,
            found: e.found,
            share: pct(e.rectified_share),
            open: e.open,
            overdue: e.overdue,
            met: [(e.recommended_met, "推"), (e.found_met, "查"), (e.rectified_met, "改")]
                .iter()
                .map(|(m, l)| if *m { (*l).to_string() } else { "·".to_string() })
                .collect::<Vec<_>>()
                .join(""),
        })
        .collect();
    let areas = feedback
        .areas
        .iter()
        .map(|a| AreaRow {
            area: a.area.clone(),
            recommended: a.marks.recommended,
            found: a.marks.found,
            not_applicable: a.marks.not_applicable,
            hit_rate: pct(a.marks.hit_rate),
        })
        .collect();
    let per_page = list.per_page.max(1);
    Ok(DashboardView {
        user: caller.display_name.clone(),
        role: role_label(caller),
        region_name: name(&region),
        region_code: region,
        own_region: own,
        year,
        // China Standard Time (UTC+8, no daylight saving).
        generated_at: (Utc::now() + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string(),
        cities,
        by_city,
        kpis,
        attainment_svg,
        funnel_svg,
        trend_svg: part.trend_svg,
        types_svg: part.types_svg,
        cities_svg,
        escalations: count_lines(&summary.escalations, state, true),
        tasks: count_lines(&summary.tasks, state, false),
        receipts: count_lines(&summary.report_receipts, state, false),
        enterprise_total: list.total,
        pages: list.total.div_ceil(per_page).max(1),
        enterprises,
        filters: Filters {
            region: q.region,
            sort,
            attainment: q.attainment.unwrap_or_default(),
            q: q.q.unwrap_or_default(),
            page: list.page,
        },
        key_rows: part.key_rows,
        areas,
        suggestions: part.suggestions,
    })
}

/// The page's share of the analysis report (trend and accident-type charts, the
/// key-industry table, the suggestions), cached with the region's other answers.
#[derive(Serialize, Deserialize)]
struct AnalysisPart {
    trend_svg: String,
    types_svg: String,
    key_rows: Vec<KeyRow>,
    suggestions: Vec<String>,
}

async fn analysis_part(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    prefix: &str,
    year: i32,
) -> Result<AnalysisPart, ApiError> {
    let key = format!("page-analysis:{year}");
    // Kept no longer than the staleness of the database it was read from.
    state.dashboard.cached_within(prefix, &key, analysis_part_of(state, caller, region, year)).await
}

async fn analysis_part_of(
    state: &AppState,
    caller: &Caller,
    region: Option<&str>,
    year: i32,
) -> Result<(AnalysisPart, Option<std::time::Duration>), ApiError> {
    let (report, staleness) = crate::oversight::analysis::report_fresh(state, caller, region, Some(year), None).await?;
    let labels = Labels::from_catalog(&state.catalog);
    let err = |e: charts::ChartError| ApiError::internal(anyhow::anyhow!(e));
    // The same figures as the report PDF's, drawn by the same code.
    let trend_svg = charts::line(&figures::monthly(&report), 940, 300).map_err(err)?;
    let types_svg =
        charts::bars(&figures::by_dimension(&report, &labels, Dimension::AccidentType), 460).map_err(err)?;
    let key_rows = report
        .key_industries
        .rows
        .iter()
        .chain(std::iter::once(&report.key_industries.total))
        .map(|r| KeyRow {
            name: if r.id.is_none() { "重点行业合计".to_string() } else { r.name.clone() },
            enterprises: r.enterprises,
            insured_workers: r.insured_workers,
            participation: pct(r.participation_rate),
            accidents: r.accidents,
            rate: r.accident_rate.map_or_else(|| "—".into(), |v| format!("{v:.2}‰")),
            change: signed_pct(r.rate_change),
            aim: aim(r.aim_met).to_string(),
        })
        .collect();
    let part = AnalysisPart {
        trend_svg,
        types_svg,
        key_rows,
        suggestions: report.summary.suggestions.iter().map(|s| s.text.clone()).collect(),
    };
    Ok((part, staleness))
}
