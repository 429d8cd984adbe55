//! Findings and their rectifications and history: the hazard list of an enterprise.

use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::Caller;
use crate::entities::{deadline_extensions, finding_transitions, findings, rectification_updates, rectifications};
use crate::error::{ApiError, ErrorCode};
use crate::store::scope;

pub type Finding = findings::Model;
pub type Rectification = rectifications::Model;

/// Ids of the findings whose rectification is owed (open or rejected) and whose
/// deadline is before `today`.
pub async fn past_deadline(db: &impl ConnectionTrait, today: NaiveDate) -> Result<Vec<i64>, DbErr> {
    rectifications::Entity::find()
        .select_only()
        .column(rectifications::Column::FindingId)
        .filter(rectifications::Column::Deadline.lt(today))
        .filter(rectifications::Column::Status.is_in(["open", "rejected"]))
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Those of `ids` still `to_rectify`.
pub async fn to_rectify_among(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Finding>, DbErr> {
    findings::Entity::find()
        .filter(findings::Column::Id.is_in(ids.to_vec()))
        .filter(findings::Column::State.eq("to_rectify"))
        .all(db)
        .await
}

/// Owed rectifications (open or rejected) with a deadline in `from..=to`, each with
/// its finding.
pub async fn owed_between(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Rectification, Option<Finding>)>, DbErr> {
    rectifications::Entity::find()
        .filter(rectifications::Column::Status.is_in(["open", "rejected"]))
        .filter(rectifications::Column::Deadline.between(from, to))
        .find_also_related(findings::Entity)
        .all(db)
        .await
}

/// (id, grade, state, origin) of the enterprise's findings past draft.
pub async fn facts_of(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
) -> Result<Vec<(i64, String, String, String)>, DbErr> {
    findings::Entity::find()
        .select_only()
        .columns([findings::Column::Id, findings::Column::Grade, findings::Column::State, findings::Column::Origin])
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .filter(findings::Column::State.ne("draft"))
        .into_tuple()
        .all(db)
        .await
}

/// (finding id, deadline) of the enterprise's rectifications.
pub async fn deadlines_of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<(i64, NaiveDate)>, DbErr> {
    rectifications::Entity::find()
        .select_only()
        .columns([rectifications::Column::FindingId, rectifications::Column::Deadline])
        .filter(rectifications::Column::EnterpriseId.eq(enterprise_id))
        .into_tuple::<(i64, NaiveDate)>()
        .all(db)
        .await
}

/// The finding id of every rejected rectification of the enterprise (one per rejection).
pub async fn rejections_of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<i64>, DbErr> {
    finding_transitions::Entity::find()
        .select_only()
        .column(finding_transitions::Column::FindingId)
        .inner_join(findings::Entity)
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .filter(finding_transitions::Column::Action.eq("reject"))
        .into_tuple()
        .all(db)
        .await
}

/// How many findings of `origin` the user reported at the enterprise since `since`.
pub async fn count_reported_since(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    user_id: i64,
    origin: &str,
    since: DateTime<FixedOffset>,
) -> Result<u64, DbErr> {
    findings::Entity::find()
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .filter(findings::Column::ReportedBy.eq(user_id))
        .filter(findings::Column::Origin.eq(origin))
        .filter(findings::Column::CreatedAt.gte(since))
        .count(db)
        .await
}

/// Those of `ids` that are the enterprise's findings.
pub async fn of_enterprise_among(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    ids: &[i64],
) -> Result<Vec<Finding>, DbErr> {
    findings::Entity::find()
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .filter(findings::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await
}

// The selfcheck context's reads and writes: one finding in scope, the list, the rows a
// finding's view is made of, and the writes of reporting it and of each step of its life.

pub type Transition = finding_transitions::Model;
pub type RectificationUpdate = rectification_updates::Model;
pub type DeadlineExtension = deadline_extensions::Model;

/// One finding of an enterprise in the caller's scope (`enterprise` for bureaus); for a
/// responsible person, one assigned to them.
pub async fn in_scope(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
    id: i64,
) -> Result<Finding, ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    findings::Entity::find_by_id(id)
        .filter(findings::Column::EnterpriseId.eq(e.id))
        .filter(scope::findings(caller, findings::Column::Id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("finding"))
}

#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub state: Option<&'a str>,
    pub inspection_id: Option<i64>,
}

/// (total, one page) of the findings of an enterprise in the caller's scope (a
/// responsible person's: those assigned to them), latest change first. The state is
/// checked after the scope, so a caller outside it learns nothing from the error.
pub async fn page(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise: Option<i64>,
    filter: &Filter<'_>,
    (page, per_page): (u64, u64),
) -> Result<(u64, Vec<Finding>), ApiError> {
    let e = scope::enterprise(db, caller, enterprise).await?;
    let mut q = findings::Entity::find()
        .filter(findings::Column::EnterpriseId.eq(e.id))
        .filter(scope::findings(caller, findings::Column::Id));
    if let Some(s) = filter.state {
        if zhicha_engine::findings::State::parse(s).is_none() {
            return Err(ApiError::field(ErrorCode::InvalidQuery, "state", "not a finding state"));
        }
        q = q.filter(findings::Column::State.eq(s));
    }
    if let Some(i) = filter.inspection_id {
        q = q.filter(findings::Column::InspectionId.eq(i));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(findings::Column::UpdatedAt)
        .order_by_desc(findings::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((total, rows))
}

/// The enterprise's finding the phone named `client_id`.
pub async fn by_client_id(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    client_id: &str,
) -> Result<Option<Finding>, DbErr> {
    findings::Entity::find()
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .filter(findings::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// A finding read before in the caller's scope, read again after a write to it.
pub async fn reload(db: &impl ConnectionTrait, id: i64) -> Result<Option<Finding>, DbErr> {
    findings::Entity::find_by_id(id).one(db).await
}

/// How many findings of the round, of `state` if given.
pub async fn count_in_inspection(
    db: &impl ConnectionTrait,
    inspection_id: i64,
    state: Option<&str>,
) -> Result<u64, DbErr> {
    let mut q = findings::Entity::find().filter(findings::Column::InspectionId.eq(inspection_id));
    if let Some(s) = state {
        q = q.filter(findings::Column::State.eq(s));
    }
    q.count(db).await
}

/// A finding as reported, version 1.
#[derive(Debug)]
pub struct NewFindingRow {
    pub enterprise_id: i64,
    pub client_id: String,
    pub inspection_id: Option<i64>,
    pub inspection_item_id: Option<i64>,
    pub hazard_item_id: Option<i64>,
    pub location: String,
    pub description: String,
    pub grade: String,
    pub accident_types: Vec<String>,
    pub state: String,
    pub reported_by: i64,
    /// `self` or `expert`.
    pub origin: String,
    pub at: DateTime<FixedOffset>,
}

pub async fn insert(db: &impl ConnectionTrait, f: NewFindingRow) -> Result<Finding, DbErr> {
    findings::ActiveModel {
        created_at: Set(f.at),
        enterprise_id: Set(f.enterprise_id),
        inspection_id: Set(f.inspection_id),
        inspection_item_id: Set(f.inspection_item_id),
        hazard_item_id: Set(f.hazard_item_id),
        location: Set(f.location),
        description: Set(f.description),
        grade: Set(f.grade),
        accident_types: Set(serde_json::json!(f.accident_types)),
        state: Set(f.state),
        reported_by: Set(f.reported_by),
        version: Set(1),
        updated_at: Set(f.at),
        client_id: Set(Some(f.client_id)),
        origin: Set(f.origin),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// One row of a finding's history.
#[derive(Debug)]
pub struct NewTransition<'a> {
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub actor_id: Option<i64>,
    pub actor_role: &'a str,
    pub note: Option<&'a str>,
    pub action: &'a str,
}

/// Appends a row to the finding's history; returns it as stored.
pub async fn insert_transition(
    db: &impl ConnectionTrait,
    finding_id: i64,
    t: &NewTransition<'_>,
    at: DateTime<FixedOffset>,
) -> Result<Transition, DbErr> {
    finding_transitions::ActiveModel {
        created_at: Set(at),
        finding_id: Set(finding_id),
        from_state: Set(t.from_state.map(str::to_string)),
        to_state: Set(t.to_state.to_string()),
        actor_id: Set(t.actor_id),
        actor_role: Set(t.actor_role.to_string()),
        note: Set(t.note.map(str::to_string)),
        action: Set(Some(t.action.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The finding's history, oldest first.
pub async fn history(db: &impl ConnectionTrait, finding_id: i64) -> Result<Vec<Transition>, DbErr> {
    finding_transitions::Entity::find()
        .filter(finding_transitions::Column::FindingId.eq(finding_id))
        .order_by_asc(finding_transitions::Column::Id)
        .all(db)
        .await
}

/// Who last submitted the finding's rectification (the latest move to
/// `rectification_submitted`), if anyone did.
pub async fn last_rectifier(db: &impl ConnectionTrait, finding_id: i64) -> Result<Option<i64>, DbErr> {
    Ok(finding_transitions::Entity::find()
        .filter(finding_transitions::Column::FindingId.eq(finding_id))
        .filter(finding_transitions::Column::ToState.eq("rectification_submitted"))
        .order_by_desc(finding_transitions::Column::Id)
        .one(db)
        .await?
        .and_then(|t| t.actor_id))
}

/// Moves the finding to `state` and `new_version` if it is still at `version`;
/// `false` when someone else changed it first.
pub async fn set_state_if_version(
    db: &impl ConnectionTrait,
    id: i64,
    version: i32,
    state: &str,
    new_version: i32,
    at: DateTime<FixedOffset>,
) -> Result<bool, DbErr> {
    let updated = findings::Entity::update_many()
        .col_expr(findings::Column::State, Expr::value(state))
        .col_expr(findings::Column::Version, Expr::value(new_version))
        .col_expr(findings::Column::UpdatedAt, Expr::value(at))
        .filter(findings::Column::Id.eq(id))
        .filter(findings::Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The rectifications of these findings (at most one each).
pub async fn rectifications_of(db: &impl ConnectionTrait, finding_ids: Vec<i64>) -> Result<Vec<Rectification>, DbErr> {
    rectifications::Entity::find().filter(rectifications::Column::FindingId.is_in(finding_ids)).all(db).await
}

/// The finding's rectification, once it has been assigned.
pub async fn rectification_of(db: &impl ConnectionTrait, finding_id: i64) -> Result<Option<Rectification>, DbErr> {
    rectifications::Entity::find().filter(rectifications::Column::FindingId.eq(finding_id)).one(db).await
}

/// The 五落实 plan of a major hazard.
#[derive(Debug)]
pub struct Plan<'a> {
    pub responsibility: &'a str,
    pub measures: &'a str,
    pub funds_fen: i64,
    pub deadline: NaiveDate,
    pub contingency: &'a str,
}

/// Assigns the finding's rectification: a new `open` row, or the one it had before
/// rewritten (one row per finding whatever happens).
pub async fn assign(
    db: &impl ConnectionTrait,
    f: &Finding,
    existing: Option<i64>,
    assignee: i64,
    deadline: NaiveDate,
    plan: Option<Plan<'_>>,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let mut row = rectifications::ActiveModel {
        created_at: Set(at),
        finding_id: Set(f.id),
        enterprise_id: Set(f.enterprise_id),
        assignee_id: Set(assignee),
        deadline: Set(deadline),
        status: Set("open".to_string()),
        plan_responsibility: Set(plan.as_ref().map(|p| p.responsibility.to_string())),
        plan_measures: Set(plan.as_ref().map(|p| p.measures.to_string())),
        plan_funds_fen: Set(plan.as_ref().map(|p| p.funds_fen)),
        plan_deadline: Set(plan.as_ref().map(|p| p.deadline)),
        plan_contingency: Set(plan.as_ref().map(|p| p.contingency.to_string())),
        accepted_by: Set(None),
        accepted_at: Set(None),
        version: Set(1),
        updated_at: Set(at),
        ..Default::default()
    };
    match existing {
        Some(id) => {
            row.id = Set(id);
            row.created_at = NotSet;
            row.update(db).await?;
        }
        None => {
            row.insert(db).await?;
        }
    }
    Ok(())
}

/// What a step changes on a rectification; `None` leaves a column as it is.
#[derive(Debug, Default)]
pub struct RectificationChange<'a> {
    pub status: Option<&'a str>,
    pub deadline: Option<NaiveDate>,
    /// (accepted_by, accepted_at), cleared with `(None, None)`.
    pub accepted: Option<(Option<i64>, Option<DateTime<FixedOffset>>)>,
}

pub async fn change_rectification(
    db: &impl ConnectionTrait,
    id: i64,
    change: RectificationChange<'_>,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let mut row = rectifications::ActiveModel { id: Set(id), updated_at: Set(at), ..Default::default() };
    if let Some(s) = change.status {
        row.status = Set(s.to_string());
    }
    if let Some(d) = change.deadline {
        row.deadline = Set(d);
    }
    if let Some((by, when)) = change.accepted {
        row.accepted_by = Set(by);
        row.accepted_at = Set(when);
    }
    row.update(db).await?;
    Ok(())
}

/// A progress note on a rectification (100 % when it is the rectification submitted).
pub async fn add_update(
    db: &impl ConnectionTrait,
    rectification_id: i64,
    author_id: i64,
    note: &str,
    progress_pct: Option<i16>,
    evidence_ids: &[i64],
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    rectification_updates::ActiveModel {
        created_at: Set(at),
        rectification_id: Set(rectification_id),
        author_id: Set(author_id),
        note: Set(note.to_string()),
        progress_pct: Set(progress_pct),
        evidence_ids: Set(Some(serde_json::json!(evidence_ids))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The rectification's progress notes, oldest first.
pub async fn updates_of(db: &impl ConnectionTrait, rectification_id: i64) -> Result<Vec<RectificationUpdate>, DbErr> {
    rectification_updates::Entity::find()
        .filter(rectification_updates::Column::RectificationId.eq(rectification_id))
        .order_by_asc(rectification_updates::Column::Id)
        .all(db)
        .await
}

/// A pending request for a later deadline.
pub async fn request_extension(
    db: &impl ConnectionTrait,
    rectification_id: i64,
    requested_by: i64,
    deadline: NaiveDate,
    reason: &str,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    deadline_extensions::ActiveModel {
        created_at: Set(at),
        rectification_id: Set(rectification_id),
        requested_by: Set(requested_by),
        requested_deadline: Set(deadline),
        reason: Set(reason.to_string()),
        status: Set("pending".to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Decides the rectification's pending extension request (`approved` or `refused`).
pub async fn close_pending_extension(
    db: &impl ConnectionTrait,
    rectification_id: i64,
    status: &str,
    by: i64,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    deadline_extensions::Entity::update_many()
        .col_expr(deadline_extensions::Column::Status, Expr::value(status))
        .col_expr(deadline_extensions::Column::DecidedBy, Expr::value(by))
        .col_expr(deadline_extensions::Column::DecidedAt, Expr::value(at))
        .filter(deadline_extensions::Column::RectificationId.eq(rectification_id))
        .filter(deadline_extensions::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(())
}

/// The rectification's pending extension request, if any.
pub async fn pending_extension(
    db: &impl ConnectionTrait,
    rectification_id: i64,
) -> Result<Option<DeadlineExtension>, DbErr> {
    deadline_extensions::Entity::find()
        .filter(deadline_extensions::Column::RectificationId.eq(rectification_id))
        .filter(deadline_extensions::Column::Status.eq("pending"))
        .one(db)
        .await
}

/// The pending extension requests of these rectifications.
pub async fn pending_extensions_of(
    db: &impl ConnectionTrait,
    rectification_ids: Vec<i64>,
) -> Result<Vec<DeadlineExtension>, DbErr> {
    deadline_extensions::Entity::find()
        .filter(deadline_extensions::Column::RectificationId.is_in(rectification_ids))
        .filter(deadline_extensions::Column::Status.eq("pending"))
        .all(db)
        .await
}

/// Every extension request of the rectification, oldest first.
pub async fn extensions_of(db: &impl ConnectionTrait, rectification_id: i64) -> Result<Vec<DeadlineExtension>, DbErr> {
    deadline_extensions::Entity::find()
        .filter(deadline_extensions::Column::RectificationId.eq(rectification_id))
        .order_by_asc(deadline_extensions::Column::Id)
        .all(db)
        .await
}

/// (state, grade, count) of the enterprise's findings.
pub async fn count_by_state_and_grade(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
) -> Result<Vec<(String, String, i64)>, DbErr> {
    findings::Entity::find()
        .select_only()
        .column(findings::Column::State)
        .column(findings::Column::Grade)
        .column_as(findings::Column::Id.count(), "n")
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .group_by(findings::Column::State)
        .group_by(findings::Column::Grade)
        .into_tuple()
        .all(db)
        .await
}

/// The enterprise's accepted rectifications, each with its finding.
pub async fn accepted_of(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
) -> Result<Vec<(Rectification, Option<Finding>)>, DbErr> {
    rectifications::Entity::find()
        .filter(rectifications::Column::EnterpriseId.eq(enterprise_id))
        .filter(rectifications::Column::Status.eq("accepted"))
        .find_also_related(findings::Entity)
        .all(db)
        .await
}

/// How many of the enterprise's findings count as found (past draft, not cancelled);
/// with `accepted`, only those accepted after rectification (销号).
pub async fn count_found(db: &impl ConnectionTrait, enterprise_id: i64, accepted: bool) -> Result<u64, DbErr> {
    let mut q = findings::Entity::find()
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .filter(findings::Column::State.is_not_in(["draft", "cancelled"]));
    if accepted {
        q = q.filter(findings::Column::State.eq("accepted"));
    }
    q.count(db).await
}

/// Whether finding `id` is the enterprise's and one the caller sees (a responsible
/// person: assigned to them).
pub async fn is_visible(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise_id: i64,
    id: i64,
) -> Result<bool, DbErr> {
    let n = findings::Entity::find_by_id(id)
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .filter(scope::findings(caller, findings::Column::Id))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// The round's findings past draft and not cancelled, by id.
pub async fn found_in_inspection(db: &impl ConnectionTrait, inspection_id: i64) -> Result<Vec<Finding>, DbErr> {
    findings::Entity::find()
        .filter(findings::Column::InspectionId.eq(inspection_id))
        .filter(findings::Column::State.is_not_in(["draft", "cancelled"]))
        .order_by_asc(findings::Column::Id)
        .all(db)
        .await
}
