//! Reporting a finding: during a round (against one of its items, which becomes
//! `found`) or on its own; as a draft or submitted at once. The phone names it with a
//! `client_id`, so an offline queue replayed later makes it once.

use chrono::SubsecRound;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;
use zhicha_engine::findings::{self as machine, Actor, State};
use zhicha_engine::hazards::{Grade, HazardItem};

use super::act::engine_role;
use super::view::{FindingDetail, detail, reported};
use crate::domain::input::{self, GradeInput};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::events::{Event, RegionCode};
use crate::platform::sync;
use crate::selfcheck::progress::{self, Counted};
use crate::state::AppState;
use crate::store::enterprises::Enterprise;
use crate::store::findings::{self as rows, NewFindingRow, NewTransition};
use crate::store::hazard_items::insert_versions as store_items;
use crate::store::inspections::InspectionItem;
use crate::store::{hazard_items, inspections, scope};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewFinding {
    /// The phone's id for this finding; sending it again returns the same finding.
    #[validate(custom(function = "input::client_id"))]
    #[schema(min_length = 8, max_length = 64, pattern = "^[!-~]{8,64}$")]
    pub client_id: String,
    /// The round it was found in.
    pub inspection_id: Option<i64>,
    /// The round's checklist item it answers (marked `found`); implies the round.
    pub inspection_item_id: Option<i64>,
    /// A library item (`HZ-ELEC-0011`) when not given through `inspection_item_id`.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub item_id: Option<String>,
    /// Where: workshop, line, equipment (1-200 characters, not blank).
    #[validate(length(min = 1, max = 200), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub location: String,
    /// What is wrong (1-2000 characters, not blank).
    #[validate(length(min = 1, max = 2000), custom(function = "input::not_blank"))]
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub description: String,
    /// Defaults to the library item's grade.
    pub grade: Option<GradeInput>,
    /// GB 6441-86 accident-type codes (`01`-`20`); default to the library item's.
    #[validate(length(max = 20))]
    #[schema(max_items = 20, inline)]
    pub accident_types: Option<Vec<AccidentTypeCode>>,
    /// Submit at once instead of keeping a draft.
    #[serde(default)]
    pub submit: bool,
}

/// A GB 6441-86 accident-type code, `01` to `20`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(pattern = "^(0[1-9]|1[0-9]|20)$", min_length = 2, max_length = 2)]
pub struct AccidentTypeCode(pub String);

/// White space around the text goes; its length was checked at the edge.
fn text(value: &str) -> String {
    value.trim().to_string()
}

/// Creates the finding; `Ok((detail, false))` when `client_id` names one already made.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    req: &NewFinding,
    origin: &Origin,
) -> Result<(FindingDetail, bool), ApiError> {
    let e = scope::enterprise(&state.db, caller, None).await?;
    create_in(state, caller, &e, req, origin).await
}

/// Creates the finding in `e`, an enterprise the caller has already been checked to
/// report into: their own, or one where an expert holds a task they checked in for
/// (the experts' field work in `governance`). An expert's finding is marked `origin = expert`.
///
/// A `client_id` seen before is not looked up first: the insert meets the unique index
/// and the finding made then is answered instead (also when two replays race), and so
/// is a body refused now (a round closed since) whose finding was made before.
pub async fn create_in(
    state: &AppState,
    caller: &Caller,
    e: &Enterprise,
    req: &NewFinding,
    origin: &Origin,
) -> Result<(FindingDetail, bool), ApiError> {
    let existing = async || rows::by_client_id(&state.db, e.id, &req.client_id).await;
    let checked = match check(state, caller, e, req).await {
        Ok(c) => c,
        Err(err) => match existing().await? {
            Some(f) => return Ok((detail(&state.db, f).await?, false)),
            None => return Err(err),
        },
    };
    // Whole microseconds, as the databases keep them, so that the answer built from
    // what was written is what a later read gives.
    let now = crate::domain::clock::now().trunc_subsecs(6);
    let at = now.fixed_offset();
    let initial = checked.initial;

    let txn = crate::platform::db::begin_write(&state.db).await?;
    let hazard_item_id = match checked.lib_item {
        Some(item) => {
            let version = i32::try_from(item.version).unwrap_or(i32::MAX);
            match hazard_items::id_of(&txn, &item.id, version).await? {
                Some(id) => Some(id),
                // The library's version of the item not stored yet: store it.
                None => {
                    store_items(&txn, &[item], "active", &state.hazards.version).await?;
                    hazard_items::id_of(&txn, &item.id, version).await?
                }
            }
        }
        None => None,
    };
    let row = NewFindingRow {
        enterprise_id: e.id,
        client_id: req.client_id.clone(),
        inspection_id: checked.inspection_id,
        inspection_item_id: checked.item_row.as_ref().map(|i| i.id),
        hazard_item_id,
        location: text(&req.location),
        description: text(&req.description),
        grade: checked.grade.as_str().to_string(),
        accident_types: checked.accident_types,
        state: initial.as_str().to_string(),
        reported_by: caller.user_id,
        origin: if caller.role == crate::identity::Role::Expert { "expert" } else { "self" }.to_string(),
        at,
    };
    let row = match rows::insert(&txn, row).await {
        Ok(r) => r,
        Err(err) => {
            // Made before under this client id (a replay), or by a replay racing this
            // one: answer with that one.
            txn.rollback().await?;
            if let Some(f) = existing().await? {
                return Ok((detail(&state.db, f).await?, false));
            }
            return Err(err.into());
        }
    };
    let h = &checked.history;
    let report = NewTransition {
        from_state: None,
        to_state: h.to_state.as_str(),
        actor_id: h.actor_id,
        actor_role: h.actor_role.as_str(),
        note: None,
        action: "report",
    };
    let report = rows::insert_transition(&txn, row.id, &report, at).await?;
    if let Some(item) = &checked.item_row {
        inspections::mark_item(&txn, item.id, "found", None, caller.user_id, at).await?;
    }
    sync::record(&txn, e.id, sync::Kind::Finding, row.id).await?;
    let counted = Counted { state: &row.state, grade: &row.grade, closed_in: None };
    progress::apply(&txn, e.id, &progress::change(None, counted), at).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "finding.report", "finding").object(row.id).enterprise(e.id).detail(initial.as_str()),
    )
    .await?;
    txn.commit().await?;
    let region = e.region_code.as_deref().and_then(RegionCode::parse);
    state.publish(Event::FiguresChanged { enterprise_id: e.id, region }).await;
    // Reported straight to submitted: the trigger rules may fire (a major hazard).
    if row.state != "draft" {
        state.publish(Event::TriggerInputsChanged { enterprise_id: e.id }).await;
    }
    let item_code = checked.lib_item.map(|i| i.id.clone());
    Ok((reported(row, item_code, report), true))
}

/// What the body makes, checked against the enterprise's rounds and the library.
struct Checked<'a> {
    initial: State,
    history: machine::HistoryRow,
    inspection_id: Option<i64>,
    item_row: Option<InspectionItem>,
    lib_item: Option<&'a HazardItem>,
    grade: Grade,
    accident_types: Vec<String>,
}

/// Checks the body: the caller may report, the round and checklist item are this
/// enterprise's and the round still open, the library item, grade and accident types
/// are known. Reads the database only for a body that names a round or an item.
async fn check<'a>(
    state: &'a AppState,
    caller: &Caller,
    e: &Enterprise,
    req: &NewFinding,
) -> Result<Checked<'a>, ApiError> {
    let actor = Actor::user(caller.user_id, engine_role(caller)?);
    let initial = if req.submit { State::Submitted } else { State::Draft };
    let history =
        machine::created(&actor, initial, crate::domain::clock::now()).map_err(super::act::transition_error)?;

    // The round and checklist item, both of this enterprise and the round still open.
    let mut inspection_id = req.inspection_id;
    let mut item_row = None;
    if let Some(item_id) = req.inspection_item_id {
        let item = inspections::item_by_id(&state.db, item_id).await?;
        let item = item.ok_or_else(|| ApiError::field(ErrorCode::NotFound, "inspection_item_id", "no such item"))?;
        if inspection_id.is_some_and(|i| i != item.inspection_id) {
            return Err(ApiError::field(ErrorCode::InvalidField, "inspection_item_id", "not an item of inspection_id"));
        }
        inspection_id = Some(item.inspection_id);
        item_row = Some(item);
    }
    if let Some(i) = inspection_id {
        let round = inspections::of_enterprise(&state.db, e.id, i)
            .await?
            .ok_or_else(|| ApiError::field(ErrorCode::NotFound, "inspection_id", "no such round of this enterprise"))?;
        if round.status != "open" {
            return Err(ApiError::new(ErrorCode::InvalidState, "the round is closed")
                .with_details(serde_json::json!({ "state": round.status, "field": "inspection_id" })));
        }
    }

    // The library item: through the checklist, or named.
    let lib_item = match (&item_row, &req.item_id) {
        (Some(row), _) => match row.hazard_item_id {
            Some(h) => hazard_items::by_id(&state.db, h).await?.and_then(|h| state.hazards.get(&h.code)),
            None => None,
        },
        (None, Some(code)) => Some(
            state
                .hazards
                .get(code)
                .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "item_id", "not an item of the library"))?,
        ),
        (None, None) => None,
    };
    let grade = match (&req.grade, lib_item) {
        (Some(g), _) => Grade::from(*g),
        (None, Some(item)) => item.grade,
        (None, None) => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "grade",
                "general or major (no library item to take it from)",
            ));
        }
    };
    let accident_types = match (&req.accident_types, lib_item) {
        (Some(codes), _) => {
            let codes: Vec<String> = codes.iter().map(|c| c.0.clone()).collect();
            for (i, c) in codes.iter().enumerate() {
                if !state.catalog.accident_type_86.contains(c) {
                    return Err(ApiError::field(
                        ErrorCode::InvalidField,
                        &format!("accident_types[{i}]"),
                        "not a GB 6441-86 accident-type code (01-20)",
                    ));
                }
            }
            codes
        }
        (None, Some(item)) => item.accident_types_86.clone(),
        (None, None) => Vec::new(),
    };
    Ok(Checked { initial, history, inspection_id, item_row, lib_item, grade, accident_types })
}
