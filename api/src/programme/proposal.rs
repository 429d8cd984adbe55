//! A region's proposal of key enterprises, and its confirmation into enrolments.
//!
//! The proposal reads what the analysis report reads (`oversight::analysis::rows`, the
//! region's enterprises and accidents) plus the current risk fit's scores, and ranks
//! with `zhicha_engine::analysis::propose` (whose focus part is the report's own
//! focus score). It is stored whole, so what the bureau confirms is what it was shown.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;
use zhicha_engine::analysis::{self as ea, ReasonKind, RiskFigures};

use super::enrolment::{self, EnrolmentView};
use crate::domain::input;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::oversight::analysis::{report, rows};
use crate::platform::audit::{self, Entry};
use crate::platform::events::{Event, RegionCode as EventRegion};
use crate::state::AppState;
use crate::store::{programme, regions, risk};

/// Proposed enterprises when the bureau does not say.
pub const DEFAULT_COUNT: u32 = 30;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ProgrammeProposalRequest)]
pub struct ProposalRequest {
    /// The region (GB/T 2260, six digits) within the caller's jurisdiction.
    #[schema(pattern = "^[0-9]{6}$", example = "640200")]
    pub region_code: String,
    /// How many enterprises to propose (1-500, default 30).
    #[validate(range(min = 1, max = 500))]
    #[schema(minimum = 1, maximum = 500, default = 30)]
    pub count: Option<u32>,
    /// The accident year read (and the year before it, for the trend); default this year.
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalReasonKind {
    /// The current risk fit's expected accidents.
    RiskModel,
    /// The analysis report's next-year focus score (severity-weighted accidents × trend × rate).
    AccidentFocus,
    /// The enterprise's GB/T 4754 division is in the key-industry table.
    KeyIndustry,
    /// Serious injuries or deaths in the year.
    SeriousAccident,
    /// The year's work-injury fund payout.
    FundPayout,
    /// A unit first seen in a roster, an accident file or through the API within the
    /// last 30 days (as the dashboard counts new units); adds no points: it is proposed
    /// when its other reasons (the model's prior for its industry and region) call for it.
    NewUnit,
}

impl From<ReasonKind> for ProposalReasonKind {
    fn from(k: ReasonKind) -> Self {
        match k {
            ReasonKind::RiskModel => Self::RiskModel,
            ReasonKind::AccidentFocus => Self::AccidentFocus,
            ReasonKind::KeyIndustry => Self::KeyIndustry,
            ReasonKind::SeriousAccident => Self::SeriousAccident,
            ReasonKind::FundPayout => Self::FundPayout,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalReason {
    pub kind: ProposalReasonKind,
    /// The reason in Chinese, with its numbers.
    pub text: String,
    /// Expected accidents, focus score, the key industry's accidents per 1,000 insured
    /// workers, serious-or-worse accidents, or the fund payout in yuan.
    pub figure: f64,
    /// What it adds to the score (risk ≤ 35, focus ≤ 25, key industry 15, serious ≤ 15, fund ≤ 10).
    pub points: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalItem {
    pub enterprise_id: i64,
    pub name: String,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    /// 1 for the first.
    pub rank: usize,
    /// 0-100: the sum of the reasons' points.
    pub score: f64,
    /// Enrolled already when proposed (confirming leaves that enrolment as it is).
    pub enrolled: bool,
    /// A newly registered unit (see `new_unit` among the reasons).
    #[serde(default)]
    pub new_unit: bool,
    pub reasons: Vec<ProposalReason>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalChange {
    pub enterprise_id: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProgrammeProposal)]
pub struct ProposalView {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    /// How many were asked for; `items` holds fewer when fewer enterprises have any signal.
    pub count: i32,
    pub year: i32,
    pub rules_version: String,
    /// The risk fit read, if any.
    pub fit_id: Option<i64>,
    pub created_at: DateTime<FixedOffset>,
    pub created_by: i64,
    pub confirmed_at: Option<DateTime<FixedOffset>>,
    pub confirmed_by: Option<i64>,
    /// The removals and additions the confirmation made (`{"remove": […], "add": […]}`).
    #[schema(value_type = Option<Object>)]
    pub confirmation: Option<serde_json::Value>,
    pub items: Vec<ProposalItem>,
}

/// One removal or addition, with why.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ProgrammeChange)]
pub struct ChangeRequest {
    pub enterprise_id: i64,
    /// Why (2-500 characters, recorded and audited). Required: a missing reason reads
    /// as an empty one, so the error names `remove[i].reason` / `add[i].reason`.
    #[serde(default)]
    #[validate(length(min = 2, max = 500), custom(function = "input::not_blank"))]
    #[schema(required = true, min_length = 2, max_length = 500, pattern = "\\S[\\s\\S]*\\S")]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ProgrammeConfirmRequest)]
pub struct ConfirmRequest {
    /// Proposed enterprises left out.
    #[serde(default)]
    #[validate(length(max = 500), nested)]
    #[schema(max_items = 500)]
    pub remove: Vec<ChangeRequest>,
    /// Enterprises of the proposal's region added.
    #[serde(default)]
    #[validate(length(max = 500), nested)]
    #[schema(max_items = 500)]
    pub add: Vec<ChangeRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProgrammeConfirmed)]
pub struct Confirmed {
    pub proposal_id: i64,
    pub confirmed_at: DateTime<FixedOffset>,
    /// The enrolments made, in the proposal's order, additions last.
    pub enrolments: Vec<EnrolmentView>,
    /// Kept or added enterprises that were enrolled already (left as they are).
    pub already_enrolled: Vec<i64>,
    /// Proposed enterprises deactivated since the proposal was made (not enrolled).
    pub inactive: Vec<i64>,
}

fn view(p: programme::Proposal, region_name: String) -> Result<ProposalView, ApiError> {
    let items: Vec<ProposalItem> = serde_json::from_value(p.items).map_err(ApiError::internal)?;
    Ok(ProposalView {
        id: p.id,
        region_code: p.region_code,
        region_name,
        count: p.count,
        year: p.year,
        rules_version: p.rules_version,
        fit_id: p.fit_id,
        created_at: p.created_at,
        created_by: p.created_by,
        confirmed_at: p.confirmed_at,
        confirmed_by: p.confirmed_by,
        confirmation: p.confirmation,
        items,
    })
}

/// The caller's region and `code` within it, parsed: `region_code` at fault when
/// malformed or unknown, not found outside the caller's jurisdiction.
async fn region_within(state: &AppState, caller: &Caller, code: &str) -> Result<(String, String), ApiError> {
    if zhicha_engine::RegionCode::parse(code).is_err() {
        return Err(ApiError::field(ErrorCode::InvalidField, "region_code", "a 6-digit GB/T 2260 code"));
    }
    let (code, prefix) = crate::oversight::dashboard::region_of(caller, Some(code))
        .map_err(|e| if e.code == ErrorCode::NotFound { ApiError::not_found("region") } else { e })?;
    if regions::by_code(&state.db, &code).await?.is_none() {
        return Err(ApiError::field(ErrorCode::InvalidField, "region_code", "not a GB/T 2260 code in the rules"));
    }
    Ok((code, prefix))
}

/// Ranks the region's active enterprises and stores the best `count` as a proposal.
pub async fn propose(
    state: &AppState,
    caller: &Caller,
    req: &ProposalRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<ProposalView, ApiError> {
    req.validate()?;
    let (code, prefix) = region_within(state, caller, &req.region_code).await?;
    let count = req.count.unwrap_or(DEFAULT_COUNT);
    let year = req.year.unwrap_or_else(|| now.year());
    let db = &state.db;

    let active = programme::active_in_region(db, &prefix).await?;
    let by_key: HashMap<String, &programme::CandidateRow> = active.iter().map(|r| (r.0.to_string(), r)).collect();
    let (firms, accidents) = rows::load(db, Some(&prefix), report::first_of(year - 1), report::last_of(year)).await?;
    let firms: Vec<_> = firms.into_iter().filter(|f| by_key.contains_key(&f.key)).collect();
    let accidents: Vec<_> = accidents.into_iter().filter(|a| by_key.contains_key(&a.enterprise)).collect();
    let fit = risk::current_fit(db).await?;
    let mut risks = HashMap::new();
    if let Some(f) = &fit {
        for (id, expected, p_serious) in programme::scores_in_region(db, f.id, &prefix).await? {
            let figures = RiskFigures { expected_accidents: expected, p_serious, horizon_months: f.horizon_months };
            risks.insert(id.to_string(), figures);
        }
    }
    let rules = state.analysis.clone();
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    let proposed = tokio::task::spawn_blocking(move || ea::propose(&rules, &firms, &accidents, &risks, year, n))
        .await
        .map_err(ApiError::internal)?;

    let ids: Vec<i64> = proposed.iter().filter_map(|p| p.key.parse().ok()).collect();
    let enrolled: HashSet<i64> = programme::current_of(db, ids).await?.into_iter().map(|e| e.enterprise_id).collect();
    let items: Vec<ProposalItem> = proposed
        .into_iter()
        .filter_map(|p| {
            let row = by_key.get(&p.key)?;
            let new_unit = new_unit(row, now);
            let mut reasons: Vec<ProposalReason> = p
                .reasons
                .into_iter()
                .map(|r| ProposalReason { kind: r.kind.into(), text: r.text, figure: r.figure, points: r.points })
                .collect();
            if let (Some(days), Some(seen)) = (new_unit, row.5) {
                reasons.push(ProposalReason {
                    kind: ProposalReasonKind::NewUnit,
                    text: format!(
                        "新登记单位：{}首次出现（来源：{}），已按行业和地区先验评分",
                        seen.date_naive(),
                        origin_zh(row.4.as_deref())
                    ),
                    figure: days as f64,
                    points: 0.0,
                });
            }
            Some(ProposalItem {
                enterprise_id: row.0,
                name: row.1.clone(),
                industry_code: row.2.clone(),
                region_code: row.3.clone(),
                rank: p.rank,
                score: p.score,
                enrolled: enrolled.contains(&row.0),
                new_unit: new_unit.is_some(),
                reasons,
            })
        })
        .collect();

    let txn = crate::platform::db::begin_write(db).await?;
    let row = programme::NewProposal {
        region_code: code.clone(),
        count: i32::try_from(count).unwrap_or(i32::MAX),
        year,
        rules_version: state.analysis.version.clone(),
        fit_id: fit.map(|f| f.id),
        created_by: caller.user_id,
        items: serde_json::to_value(&items).map_err(ApiError::internal)?,
    };
    let stored = programme::insert_proposal(&txn, row, now).await?;
    let detail = format!("region {code}, year {year}: {} of {count} asked, from {} active", items.len(), active.len());
    audit::append(
        &txn,
        Entry::by(caller, origin, "programme.propose", "programme_proposal").object(stored.id).detail(detail),
    )
    .await?;
    txn.commit().await?;
    view(stored, crate::oversight::analysis::region_name(db, &code).await)
}

/// Days a unit counts as new after it is first seen (the dashboard's new units).
pub const NEW_UNIT_DAYS: i64 = 30;

/// Days since a unit that came in through a roster, an accident file or the API was
/// first seen, if that is within [`NEW_UNIT_DAYS`]; `None` for any other.
fn new_unit(row: &programme::CandidateRow, now: DateTime<Utc>) -> Option<i64> {
    let registered = matches!(row.4.as_deref(), Some("api" | "roster" | "accidents"));
    let days = (now - row.5?.with_timezone(&Utc)).num_days();
    (registered && (0..=NEW_UNIT_DAYS).contains(&days)).then_some(days)
}

fn origin_zh(origin: Option<&str>) -> &'static str {
    match origin {
        Some("roster") => "参保单位名单",
        Some("accidents") => "工伤事故数据",
        Some("api") => "直接登记",
        _ => "其他",
    }
}

/// Proposal `id` of the caller's region.
pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<ProposalView, ApiError> {
    let (_, prefix) = crate::oversight::dashboard::region_of(caller, None)?;
    let p =
        programme::proposal_in_region(&state.db, id, &prefix).await?.ok_or_else(|| ApiError::not_found("proposal"))?;
    let name = crate::oversight::analysis::region_name(&state.db, &p.region_code).await;
    view(p, name)
}

/// Duplicates in a list of changes: the second one's `enterprise_id` is at fault.
fn no_duplicates(list: &str, changes: &[ChangeRequest]) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for (i, c) in changes.iter().enumerate() {
        if !seen.insert(c.enterprise_id) {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                &format!("{list}[{i}].enterprise_id"),
                "this enterprise is listed twice",
            ));
        }
    }
    Ok(())
}

/// Confirms proposal `id`: its items less `remove`, plus `add`, are enrolled (those
/// enrolled already are left as they are). Once only.
pub async fn confirm(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &ConfirmRequest,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Confirmed, ApiError> {
    req.validate()?;
    let (_, prefix) = crate::oversight::dashboard::region_of(caller, None)?;
    let db = &state.db;
    let p = programme::proposal_in_region(db, id, &prefix).await?.ok_or_else(|| ApiError::not_found("proposal"))?;
    if p.confirmed_at.is_some() {
        return Err(ApiError::new(ErrorCode::Conflict, "the proposal is confirmed already"));
    }
    let items: Vec<ProposalItem> = serde_json::from_value(p.items.clone()).map_err(ApiError::internal)?;
    let proposed: HashSet<i64> = items.iter().map(|i| i.enterprise_id).collect();
    no_duplicates("remove", &req.remove)?;
    no_duplicates("add", &req.add)?;
    let mut removed = HashMap::new();
    for (i, c) in req.remove.iter().enumerate() {
        let field = format!("remove[{i}].reason");
        let reason = super::reason_of(&field, &c.reason)?;
        if !proposed.contains(&c.enterprise_id) {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                &format!("remove[{i}].enterprise_id"),
                "not among the proposal's enterprises",
            ));
        }
        removed.insert(c.enterprise_id, reason);
    }
    // Additions: active enterprises of the proposal's region in the caller's scope.
    let region_prefix = zhicha_engine::RegionCode::parse(&p.region_code).map_or(prefix.clone(), |r| r.scope_prefix());
    let wanted: Vec<i64> = req.add.iter().map(|c| c.enterprise_id).collect();
    let found: HashMap<i64, programme::Firm> =
        programme::firms_in_scope(db, caller, wanted).await?.into_iter().map(|e| (e.id, e)).collect();
    let mut added = Vec::new();
    for (i, c) in req.add.iter().enumerate() {
        let reason = super::reason_of(&format!("add[{i}].reason"), &c.reason)?;
        let field = format!("add[{i}].enterprise_id");
        if proposed.contains(&c.enterprise_id) {
            return Err(ApiError::field(ErrorCode::InvalidField, &field, "proposed already: keep it, do not add it"));
        }
        let ok = found
            .get(&c.enterprise_id)
            .is_some_and(|e| e.active && e.region_code.as_deref().is_some_and(|r| r.starts_with(&region_prefix)));
        if !ok {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                &field,
                "no active enterprise of the proposal's region has this id",
            ));
        }
        added.push((c.enterprise_id, reason));
    }

    let chosen: Vec<(i64, &'static str, Option<String>)> = items
        .iter()
        .filter(|i| !removed.contains_key(&i.enterprise_id))
        .map(|i| (i.enterprise_id, "proposed", None))
        .chain(added.iter().map(|(id, r)| (*id, "added", Some(r.clone()))))
        .collect();
    let confirmation = json!({
        "remove": req.remove.iter().map(|c| json!({ "enterprise_id": c.enterprise_id, "reason": removed.get(&c.enterprise_id) })).collect::<Vec<_>>(),
        "add": added.iter().map(|(id, r)| json!({ "enterprise_id": id, "reason": r })).collect::<Vec<_>>(),
    });

    let txn = crate::platform::db::begin_write(db).await?;
    if !programme::confirm_proposal(&txn, p.id, caller.user_id, confirmation.clone(), now).await? {
        return Err(ApiError::new(ErrorCode::Conflict, "the proposal is confirmed already"));
    }
    let ids: Vec<i64> = chosen.iter().map(|c| c.0).collect();
    let current: HashSet<i64> =
        programme::current_of(&txn, ids.clone()).await?.into_iter().map(|e| e.enterprise_id).collect();
    let firms: HashMap<i64, programme::Firm> =
        programme::firms_by_id(&txn, ids).await?.into_iter().map(|e| (e.id, e)).collect();
    let mut made = Vec::new();
    let mut already = Vec::new();
    let mut inactive = Vec::new();
    for (enterprise_id, basis, reason) in chosen {
        let Some(firm) = firms.get(&enterprise_id) else { continue };
        if current.contains(&enterprise_id) {
            already.push(enterprise_id);
            continue;
        }
        if !firm.active {
            inactive.push(enterprise_id);
            continue;
        }
        let new = enrolment::Enrol { proposal_id: p.id, basis, reason };
        made.push(enrolment::enrol(&txn, state, caller, origin, firm, new, now).await?);
    }
    let detail = json!({
        "enrolled": made.len(), "already_enrolled": already, "inactive": inactive, "confirmation": confirmation,
    });
    audit::append(
        &txn,
        Entry::by(caller, origin, "programme.confirm", "programme_proposal").object(p.id).detail(detail.to_string()),
    )
    .await?;
    txn.commit().await?;
    for e in &made {
        let region = e.region_code.as_deref().and_then(EventRegion::parse);
        state.publish(Event::FiguresChanged { enterprise_id: e.enterprise_id, region }).await;
    }
    Ok(Confirmed {
        proposal_id: p.id,
        confirmed_at: now.fixed_offset(),
        enrolments: made,
        already_enrolled: already,
        inactive,
    })
}
