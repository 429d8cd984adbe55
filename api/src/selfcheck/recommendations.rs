//! Recommendation rounds: the enterprise's ranked checklist from the hazard library,
//! stored with every item's rank, score and explanation, and the feedback officers give
//! per item (found / not found / not applicable with a reason), which feeds the next
//! round and the peers of the same industry.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use zhicha_engine::IndustryCode;
use zhicha_engine::hazards::HazardItem;
use zhicha_engine::recommend::{self, Exposure, Mark, Options, PeerCounts, PeerFeedback, Recommender};
use zhicha_engine::risk::Mix;

use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::events::Event;
use crate::state::AppState;
use crate::store::enterprises::Enterprise;
use crate::store::hazard_items::HazardItem as StoredItem;
use crate::store::rounds::{self as rows, NewAnswer, NewRecommendation};
use crate::{reference::scoring, store::scope};

#[derive(Debug, Serialize, ToSchema)]
pub struct Round {
    pub id: i64,
    pub enterprise_id: i64,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub item_count: i32,
    pub library_version: String,
    /// The risk model whose exposure mix ranked it (`none` without a fit).
    pub model_version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Generated {
    #[serde(flatten)]
    pub round: Round,
    /// Why the round holds fewer than 150 items, when it does.
    #[schema(value_type = Option<Object>)]
    pub shortfall: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Item {
    pub recommendation_id: i64,
    pub rank: i32,
    pub score: f64,
    /// Library item id (`HZ-ELEC-0011`) and version.
    pub item_id: String,
    pub item_version: i32,
    pub title: String,
    pub area: String,
    /// `general` or `major`.
    pub grade: String,
    pub check_point: String,
    pub check_method: String,
    pub pass_criteria: String,
    /// Why it is on the list: drivers, industry match, peers, legal basis, a sentence.
    // Stored as JSON text when the round was made, and copied through as it is.
    #[schema(value_type = Object)]
    pub explanation: Box<RawValue>,
    /// The enterprise's answer, once given.
    pub feedback: Option<String>,
    pub feedback_reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = RoundAreaCount)]
pub struct AreaCount {
    pub area: String,
    pub items: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundPage {
    pub round: Round,
    /// Areas in order of their best item, with their sizes.
    pub areas: Vec<AreaCount>,
    pub items: Vec<Item>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// One answer for one recommended item.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FeedbackAnswer)]
pub struct Answer {
    pub item_id: String,
    /// `found`, `not_found` or `not_applicable`.
    pub result: String,
    /// Required for `not_applicable` (why the item does not apply here).
    pub reason: Option<String>,
}

fn round_of(r: rows::Round) -> Round {
    Round {
        id: r.id,
        enterprise_id: r.enterprise_id,
        created_at: r.created_at,
        item_count: r.item_count,
        library_version: r.library_version,
        model_version: r.model_version,
    }
}

/// Feedback of other enterprises of the same GB/T 4754 division, per item.
async fn peers(state: &AppState, e: &Enterprise) -> Result<PeerFeedback, ApiError> {
    let Some(division) = &e.industry_division else { return Ok(PeerFeedback::default()) };
    let peer_rows = rows::peer_counts(&state.db, division, e.id).await?;
    let mut counts: BTreeMap<String, PeerCounts> = BTreeMap::new();
    for (item_code, result, n) in peer_rows {
        let c = counts.entry(item_code).or_default();
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        match result.as_str() {
            "found" => c.found += n,
            "not_found" => c.not_found += n,
            _ => c.not_applicable += n,
        }
    }
    Ok(PeerFeedback::new(counts))
}

/// The enterprise's latest answer per item.
async fn own(state: &AppState, enterprise_id: i64) -> Result<BTreeMap<String, Mark>, ApiError> {
    let mut out = BTreeMap::new();
    for r in rows::answers_of(&state.db, enterprise_id).await? {
        let mark = match r.result.as_str() {
            "found" => Mark::Found,
            "not_found" => Mark::NotFound,
            _ => Mark::NotApplicable { reason: r.reason.unwrap_or_default() },
        };
        out.insert(r.item_code, mark);
    }
    Ok(out)
}

/// A ranked row, owned, as the engine produced it.
struct Ranked {
    item_id: String,
    rank: u32,
    score: f64,
    explanation: Value,
}

/// A ranked item with the text of the stored library item version it points at, as
/// the page shows it: rendered once, when the round is made.
fn rendered(row: &StoredItem, r: &Ranked) -> NewRecommendation {
    let text = |k: &str| row.definition.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    NewRecommendation {
        hazard_item_id: row.id,
        rank: i32::try_from(r.rank).unwrap_or(i32::MAX),
        score: r.score,
        reasons: r.explanation.clone(),
        item_code: row.code.clone(),
        item_version: row.version,
        title: row.title.clone(),
        area: text("area"),
        grade: row.default_grade.clone(),
        check_point: text("check_point"),
        check_method: text("check_method"),
        pass_criteria: text("pass_criteria"),
    }
}

/// The areas of a round's items (in rank order) with their sizes, in the order of their
/// best item.
fn areas_of(recs: &[NewRecommendation]) -> Vec<AreaCount> {
    let mut areas: Vec<AreaCount> = Vec::new();
    for r in recs {
        match areas.iter_mut().find(|a| a.area == r.area) {
            Some(a) => a.items += 1,
            None => areas.push(AreaCount { area: r.area.clone(), items: 1 }),
        }
    }
    areas
}

/// Generates and stores a new round for the caller's enterprise (or `id` in scope).
pub async fn generate(
    state: &AppState,
    caller: &Caller,
    id: Option<i64>,
    origin: &Origin,
) -> Result<Generated, ApiError> {
    let e = scope::enterprise(&state.db, caller, id).await?;
    make(state, e, Entry::by(caller, origin, "recommendation.generate", "recommendation_round")).await
}

/// Generates the first round of a new unit of the register (day-one coverage), by the
/// system rather than a caller.
pub async fn generate_for_new_unit(state: &AppState, enterprise_id: i64) -> Result<Generated, ApiError> {
    let e = crate::store::enterprises::by_id(&state.db, enterprise_id)
        .await?
        .ok_or_else(|| ApiError::not_found("enterprise"))?;
    let entry = Entry {
        actor_id: None,
        actor_role: "system".to_string(),
        organisation_id: None,
        action: "recommendation.generate".to_string(),
        object_kind: "recommendation_round".to_string(),
        object_id: None,
        enterprise_id: Some(e.id),
        region_code: e.region_code.clone(),
        outcome: audit::Outcome::Ok,
        request_id: None,
        ip: None,
        detail: None,
    };
    make(state, e, entry).await
}

/// The declared terms of one vocabulary (a JSON array of strings), as the ranking reads them.
fn declared(terms: Option<&Value>) -> recommend::Declared {
    let present: Vec<String> =
        terms.and_then(Value::as_array).into_iter().flatten().filter_map(|t| t.as_str().map(str::to_string)).collect();
    recommend::Declared { present, ..recommend::Declared::default() }
}

/// Ranks, stores and audits (`entry`, completed here) a new round for `e`.
async fn make(state: &AppState, e: Enterprise, entry: Entry) -> Result<Generated, ApiError> {
    let code = e.industry_code.as_deref().unwrap_or_default();
    let industry = IndustryCode::parse(code).map_err(|_| {
        ApiError::new(
            ErrorCode::Conflict,
            "the enterprise has no GB/T 4754 industry code; the service organisation sets it",
        )
    })?;
    let risk = scoring::current(&state.db, e.id).await?;
    let mut profile = recommend::Enterprise::new(industry);
    profile.major_hazard.key_enterprise = e.is_key;
    profile.conditions = declared(e.process_conditions.as_ref());
    profile.equipment = declared(e.equipment.as_ref());
    if let Some(mix) = risk.as_ref().and_then(|r| serde_json::from_value::<Mix>(r.mix.clone()).ok()) {
        profile.exposure = Exposure::from_mix(&mix);
    }
    let model_version = risk.as_ref().map_or("none".to_string(), |r| r.model_version.clone());
    let (peer, mine) = (peers(state, &e).await?, own(state, e.id).await?);
    let (library, catalog, profiles) = (state.hazards.clone(), state.catalog.clone(), state.profiles.clone());
    // Ranking is CPU work over the whole library: off the async workers.
    let (ranked, shortfall) = tokio::task::spawn_blocking(move || {
        let recommender = Recommender::new(&library, &catalog, &profiles);
        let ranking = recommender.rank(&profile, &peer, &mine, &Options::default());
        let rows: Vec<Ranked> = ranking
            .round()
            .iter()
            .map(|r| Ranked {
                item_id: r.item_id.to_string(),
                rank: r.rank,
                score: r.score,
                explanation: serde_json::to_value(&r.explanation).unwrap_or_default(),
            })
            .collect();
        (rows, ranking.shortfall.as_ref().and_then(|s| serde_json::to_value(s).ok()))
    })
    .await
    .map_err(ApiError::internal)?;

    let txn = crate::platform::db::begin_write(&state.db).await?;
    // The item versions the round points at, stored once each.
    let library_version = state.hazards.version.clone();
    let wanted: Vec<&str> = ranked.iter().map(|r| r.item_id.as_str()).collect();
    let items: Vec<&HazardItem> = wanted.iter().filter_map(|id| state.hazards.get(id)).collect();
    crate::store::hazard_items::insert_versions(&txn, &items, "active", &library_version).await?;
    let codes: Vec<String> = wanted.iter().map(|c| (*c).to_string()).collect();
    let stored: HashMap<(String, i32), StoredItem> = crate::store::hazard_items::by_codes(&txn, codes)
        .await?
        .into_iter()
        .map(|h| ((h.code.clone(), h.version), h))
        .collect();
    let model_version: String = model_version.chars().take(32).collect();
    let library_version: String = library_version.chars().take(32).collect();
    let item_count = i32::try_from(ranked.len()).unwrap_or(i32::MAX);
    let mut recs = Vec::with_capacity(ranked.len());
    for r in &ranked {
        let version = state.hazards.get(&r.item_id).map_or(0, |i| i32::try_from(i.version).unwrap_or(0));
        let Some(row) = stored.get(&(r.item_id.clone(), version)) else { continue };
        recs.push(rendered(row, r));
    }
    let areas = serde_json::to_string(&areas_of(&recs)).map_err(ApiError::internal)?;
    let round = rows::insert(&txn, e.id, &model_version, &library_version, item_count, areas).await?;
    rows::add_recommendations(&txn, round.id, e.id, recs).await?;
    audit::append(&txn, entry.object(round.id).enterprise(e.id).detail(format!("{} items", ranked.len()))).await?;
    crate::selfcheck::progress::refresh_round(&txn, e.id).await?;
    txn.commit().await?;
    state.publish(Event::FiguresChanged { enterprise_id: e.id, region: None }).await;
    Ok(Generated { round: round_of(round), shortfall })
}

/// The rounds of the caller's enterprise (or `id` in scope), newest first.
pub async fn rounds(state: &AppState, caller: &Caller, id: Option<i64>) -> Result<Vec<Round>, ApiError> {
    Ok(rows::list(&state.db, caller, id).await?.into_iter().map(round_of).collect())
}

/// What a page shows changes only with its round's answers: the round and its rendered
/// items never change. Bump when the page's JSON changes shape.
const PAGE_FORMAT: &str = "round-page-2";

/// A page, or only its tag when the caller already holds that version.
pub struct Versioned<T> {
    /// Opaque, changes whenever the page's content can (the HTTP `ETag`).
    pub tag: String,
    /// `None` when `held` said the caller has the version tagged.
    pub body: Option<T>,
}

/// The tag of a page: the round, its answers' revision, the page asked for, the build.
fn page_tag(round: &rows::Round, area: Option<&str>, (page, per_page): (u64, u64)) -> String {
    let key = format!(
        "{PAGE_FORMAT}|{}|{}|{}|{page}|{per_page}|{area:?}",
        env!("CARGO_PKG_VERSION"),
        round.id,
        round.feedback_revision
    );
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A stored explanation as it is; `null` (and a warning) should the text not be JSON.
fn stored_json(recommendation_id: i64, text: String) -> Box<RawValue> {
    RawValue::from_string(text).unwrap_or_else(|e| {
        tracing::warn!(recommendation_id, error = %e, "a stored explanation is not JSON");
        RawValue::NULL.to_owned()
    })
}

/// One page of a round, in priority order, optionally one area only; `held` is asked
/// whether the caller already has the page's version, and then nothing is read.
pub async fn page(
    state: &AppState,
    caller: &Caller,
    enterprise_id: Option<i64>,
    round_id: i64,
    area: Option<&str>,
    (page, per_page): (u64, u64),
    held: impl FnOnce(&str) -> bool,
) -> Result<Versioned<RoundPage>, ApiError> {
    let round = rows::round_in_scope(&state.db, caller, enterprise_id, round_id).await?;
    let tag = page_tag(&round, area, (page, per_page));
    if held(&tag) {
        return Ok(Versioned { tag, body: None });
    }
    let stored = round.areas.as_deref().and_then(|a| serde_json::from_str::<Vec<AreaCount>>(a).ok());
    let areas: Vec<AreaCount> = match stored {
        Some(areas) => areas,
        // A round made before its areas were stored.
        None => rows::area_counts(&state.db, round.id)
            .await?
            .into_iter()
            .map(|(area, n)| AreaCount { area, items: u64::try_from(n).unwrap_or(0) })
            .collect(),
    };
    let total = match area {
        Some(a) => areas.iter().find(|c| c.area == a).map_or(0, |c| c.items),
        None => areas.iter().map(|c| c.items).sum(),
    };
    let items = rows::page(&state.db, round.id, area, (page, per_page))
        .await?
        .into_iter()
        .map(|r| Item {
            explanation: stored_json(r.id, r.explanation),
            recommendation_id: r.id,
            rank: r.rank,
            score: r.score,
            item_id: r.item_code,
            item_version: r.item_version,
            title: r.title,
            area: r.area,
            grade: r.grade,
            check_point: r.check_point,
            check_method: r.check_method,
            pass_criteria: r.pass_criteria,
            feedback: r.feedback,
            feedback_reason: r.feedback_reason,
        })
        .collect();
    let body = RoundPage { round: round_of(round), areas, items, page, per_page, total };
    Ok(Versioned { tag, body: Some(body) })
}

/// Records answers for items of a round, all or none: every answer is checked first.
/// An item's answer as both the round's feedback and an inspection's marks take it:
/// `found`, `not_found` or `not_applicable` (with a reason, at most 500 characters).
/// Returns the trimmed reason; `field` names the request's fields in errors.
pub fn check_mark<'a>(
    result: &str,
    reason: Option<&'a str>,
    field: impl Fn(&str) -> String,
) -> Result<Option<&'a str>, ApiError> {
    if !["found", "not_found", "not_applicable"].contains(&result) {
        return Err(ApiError::field(ErrorCode::InvalidField, &field("result"), "found, not_found or not_applicable"));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if result == "not_applicable" && reason.is_none() {
        return Err(ApiError::field(ErrorCode::InvalidField, &field("reason"), "say why the item does not apply"));
    }
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::field(ErrorCode::InvalidField, &field("reason"), "at most 500 characters"));
    }
    Ok(reason)
}

pub async fn answer(
    state: &AppState,
    caller: &Caller,
    round_id: i64,
    answers: &[Answer],
    origin: &Origin,
) -> Result<usize, ApiError> {
    if answers.is_empty() || answers.len() > 500 {
        return Err(ApiError::field(ErrorCode::InvalidField, "answers", "1-500 answers per request"));
    }
    let (e, round) = rows::in_scope(&state.db, caller, None, round_id).await?;
    let codes: Vec<String> = answers.iter().map(|a| a.item_id.clone()).collect();
    let recs: HashMap<String, i64> = rows::ids_by_code(&state.db, round.id, codes).await?.into_iter().collect();
    let mut new = Vec::with_capacity(answers.len());
    for (i, a) in answers.iter().enumerate() {
        let field = |f: &str| format!("answers[{i}].{f}");
        let Some(rec) = recs.get(&a.item_id) else {
            return Err(ApiError::field(ErrorCode::InvalidField, &field("item_id"), "not an item of this round"));
        };
        let reason = check_mark(&a.result, a.reason.as_deref(), field)?;
        new.push(NewAnswer {
            recommendation_id: *rec,
            round_id: round.id,
            enterprise_id: e.id,
            item_code: a.item_id.clone(),
            result: a.result.clone(),
            reason: reason.map(str::to_string),
            marked_by: caller.user_id,
            at: crate::domain::clock::now().fixed_offset(),
        });
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let n = new.len();
    rows::store_answers(&txn, new).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "recommendation.feedback", "recommendation_round")
            .object(round.id)
            .enterprise(e.id)
            .detail(format!("{n} answers")),
    )
    .await?;
    crate::selfcheck::progress::refresh_round(&txn, e.id).await?;
    txn.commit().await?;
    state.publish(Event::FiguresChanged { enterprise_id: e.id, region: None }).await;
    Ok(n)
}

/// How many items of a round have an answer (for progress).
pub async fn answered(state: &AppState, round_id: i64) -> Result<u64, ApiError> {
    Ok(rows::answered(&state.db, round_id).await?)
}
