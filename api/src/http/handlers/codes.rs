//! Reference code tables and crosswalks, as loaded from `rules/`. Public data: no
//! enterprise's records pass through here.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhicha_engine::codes::CodeTable;
use zhicha_engine::mapping::MappingTable;

use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::extract::Json;
use crate::state::AppState;

/// The published code tables.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TableName {
    /// GB 6441-86 accident types (20).
    AccidentTypeGb6441_86,
    /// GB 6441-2025 accident categories (27), keyed by name.
    AccidentTypeGb6441_2025,
    /// GB 6441-86 annex A1 injured body parts.
    BodyPart,
    /// GB 6441-86 annex A2 injury natures.
    InjuryNature,
    /// GB/T 4754-2017 sections and divisions.
    Industry,
    /// GB/T 2260 administrative divisions.
    Region,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only entries whose parent is this code (the divisions of a section, the
    /// counties of a city).
    pub parent: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CodeList {
    pub table: String,
    pub version: String,
    pub entries: Vec<CodeItem>,
}

#[derive(Serialize, ToSchema)]
pub struct CodeItem {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub parent: Option<String>,
}

fn table(state: &AppState, name: TableName) -> &CodeTable {
    let c = &state.catalog;
    match name {
        TableName::AccidentTypeGb6441_86 => &c.accident_type_86,
        TableName::AccidentTypeGb6441_2025 => &c.accident_type_2025,
        TableName::BodyPart => &c.body_part,
        TableName::InjuryNature => &c.injury_nature,
        TableName::Industry => &c.industry,
        TableName::Region => &c.region,
    }
}

/// One code table.
#[utoipa::path(
    get, path = "/v1/codes/{table}", tag = "reference",
    params(("table" = inline(TableName), Path, description = "which table"), ListQuery),
    responses((status = 200, body = CodeList), (status = 400, body = ErrorBody))
)]
pub async fn list(
    state: web::Data<AppState>,
    path: web::Path<TableName>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let t = table(&state, name);
    let entries = t
        .entries
        .iter()
        .filter(|e| query.parent.as_deref().is_none_or(|p| e.parent.as_deref() == Some(p)))
        .map(|e| CodeItem {
            code: e.code.clone(),
            name_zh: e.name_zh.clone(),
            name_en: e.name_en.clone(),
            parent: e.parent.clone(),
        })
        .collect();
    let label = serde_json::to_value(name).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    Ok(HttpResponse::Ok().json(CodeList { table: label, version: t.version.clone(), entries }))
}

/// The crosswalks from source code systems to the Chinese ones.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Crosswalk {
    OiicsEvent,
    OiicsNature,
    OiicsBodyPart,
    Naics,
    MshaAccidentType,
    MshaNature,
    MshaBodyPart,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrosswalkRequest {
    pub crosswalk: Crosswalk,
    /// The source code, e.g. OIICS event `6411` or NAICS `325199`.
    #[schema(pattern = "^[A-Za-z0-9]{1,16}$")]
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct CrosswalkAnswer {
    pub crosswalk: Crosswalk,
    pub code: String,
    /// The row that matched (the longest prefix for hierarchical sources).
    pub matched: String,
    pub matched_title: String,
    pub target: String,
    pub target_name_zh: String,
    /// GB 6441-2025 category, for accident-type crosswalks.
    pub target_2025: Option<String>,
    pub version: String,
}

fn crosswalk_table(state: &AppState, c: Crosswalk) -> (&MappingTable, &CodeTable) {
    let k = &state.catalog;
    match c {
        Crosswalk::OiicsEvent => (&k.oiics_event, &k.accident_type_86),
        Crosswalk::OiicsNature => (&k.oiics_nature, &k.injury_nature),
        Crosswalk::OiicsBodyPart => (&k.oiics_body_part, &k.body_part),
        Crosswalk::Naics => (&k.naics, &k.industry),
        Crosswalk::MshaAccidentType => (&k.msha_accident_type, &k.accident_type_86),
        Crosswalk::MshaNature => (&k.msha_nature, &k.injury_nature),
        Crosswalk::MshaBodyPart => (&k.msha_body_part, &k.body_part),
    }
}

/// Maps one source code to its Chinese code.
#[utoipa::path(
    post, path = "/v1/codes/crosswalk", tag = "reference",
    request_body = CrosswalkRequest,
    responses(
        (status = 200, body = CrosswalkAnswer),
        (status = 400, description = "malformed JSON", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "unknown field, bad value, or a code no row maps", body = ErrorBody),
    )
)]
pub async fn crosswalk(state: web::Data<AppState>, body: Json<CrosswalkRequest>) -> Result<HttpResponse, ApiError> {
    let req = body.0;
    let code = req.code.trim();
    if code.is_empty() || code.len() > 16 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::field(ErrorCode::InvalidField, "code", "code: expected 1-16 letters or digits"));
    }
    let (mapping, targets) = crosswalk_table(&state, req.crosswalk);
    let row = mapping.lookup(code).ok_or_else(|| {
        ApiError::field(ErrorCode::InvalidField, "code", format!("code: no row of this crosswalk maps {code:?}"))
    })?;
    Ok(HttpResponse::Ok().json(CrosswalkAnswer {
        crosswalk: req.crosswalk,
        code: code.to_string(),
        matched: row.source_code.clone(),
        matched_title: row.source_title.clone(),
        target: row.target.clone(),
        target_name_zh: targets.get(&row.target).map(|e| e.name_zh.clone()).unwrap_or_default(),
        target_2025: row.target_2025.clone(),
        version: mapping.version.clone(),
    }))
}
