//! The enterprise register by API: the service organisation and the bureaus create,
//! edit, deactivate and reactivate enterprises within their scope. Each value is
//! checked against its standard (GB 32100 credit code with its check character, a
//! GB/T 2260 region inside the caller's, a GB/T 4754 class whose division is in the code
//! table, the hazard library's closed vocabularies for conditions and equipment), and
//! each change is audited with the enterprise before and after.

use chrono::Utc;
use serde_json::{Value, json};
use zhicha_engine::{CreditCode, IndustryCode, RegionCode};

use crate::domain::{Caller, Origin, Scope};
use crate::error::{ApiError, ErrorCode};
use crate::platform::audit::{self, Entry};
use crate::platform::events::{Event, RegionCode as EventRegion};
use crate::state::AppState;
use crate::store::enterprises::Enterprise;
use crate::store::register::{self, Fields};
use crate::store::scope;

/// What a create or an edit gives, as sent (`None`: not given).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub workforce: Option<i32>,
    pub insured_workers: Option<i32>,
    pub service_org_id: Option<i64>,
    pub process_conditions: Option<Vec<String>>,
    pub equipment: Option<Vec<String>>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::InvalidField, field, message)
}

/// Whether the caller may register enterprises in `region`.
fn region_in_scope(caller: &Caller, region: RegionCode) -> Result<(), ApiError> {
    match caller.scope {
        Scope::Region(own) if own.contains(region) => Ok(()),
        Scope::Region(_) => Err(ApiError::field(
            ErrorCode::Forbidden,
            "region_code",
            format!("region_code: {region} is not within your jurisdiction"),
        )),
        Scope::ServiceOrg(_) => Ok(()),
        _ => Err(ApiError::new(ErrorCode::Forbidden, "this account registers no enterprises")),
    }
}

/// Terms of one closed vocabulary, each checked, without repeats.
fn vocabulary(field: &str, terms: &[String], known: impl Fn(&str) -> bool) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::with_capacity(terms.len());
    for (i, t) in terms.iter().enumerate() {
        let t = t.trim();
        if !known(t) {
            return Err(invalid(
                &format!("{field}[{i}]"),
                format!("{field}[{i}]: {t:?} is not a term of rules/hazards/vocabulary.toml"),
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

/// The draft's values checked and normalised into the fields to write.
async fn checked(state: &AppState, caller: &Caller, d: &Draft) -> Result<Fields, ApiError> {
    let mut f = Fields::default();
    if let Some(code) = &d.credit_code {
        let c = CreditCode::parse(code).map_err(|e| invalid("credit_code", format!("credit_code: {e}")))?;
        f.credit_code = Some(c.to_string());
    }
    if let Some(name) = &d.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid("name", "name: 1-200 characters"));
        }
        f.name = Some(name.to_string());
    }
    if let Some(code) = &d.industry_code {
        let i = IndustryCode::parse(code).map_err(|e| invalid("industry_code", format!("industry_code: {e}")))?;
        if !state.catalog.industry.contains(i.division()) {
            return Err(invalid(
                "industry_code",
                format!("industry_code: division {} is not in the GB/T 4754 table", i.division()),
            ));
        }
        f.industry_code = Some(i.to_string());
    }
    if let Some(code) = &d.region_code {
        let r = RegionCode::parse(code).map_err(|e| invalid("region_code", format!("region_code: {e}")))?;
        if !state.catalog.region.contains(&r.to_string()) {
            return Err(invalid("region_code", format!("region_code: {r} is not in the GB/T 2260 table")));
        }
        region_in_scope(caller, r)?;
        f.region_code = Some(r.to_string());
    }
    if let Some(a) = &d.address {
        if a.chars().count() > 300 {
            return Err(invalid("address", "address: at most 300 characters"));
        }
        f.address = Some(a.trim().to_string());
    }
    match (d.latitude, d.longitude) {
        (Some(lat), Some(lon)) => {
            if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(invalid("latitude", "latitude: -90 to 90 degrees"));
            }
            if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                return Err(invalid("longitude", "longitude: -180 to 180 degrees"));
            }
            (f.latitude, f.longitude) = (Some(lat), Some(lon));
        }
        (None, None) => {}
        (Some(_), None) => return Err(invalid("longitude", "longitude: give it with latitude")),
        (None, Some(_)) => return Err(invalid("latitude", "latitude: give it with longitude")),
    }
    for (field, v, slot) in
        [("workforce", d.workforce, &mut f.workforce), ("insured_workers", d.insured_workers, &mut f.insured_workers)]
    {
        if let Some(n) = v {
            if !(0..=10_000_000).contains(&n) {
                return Err(invalid(field, format!("{field}: 0 to 10,000,000")));
            }
            *slot = Some(n);
        }
    }
    if let Some(org) = d.service_org_id {
        match caller.scope {
            Scope::ServiceOrg(own) if own != org => {
                return Err(ApiError::field(
                    ErrorCode::Forbidden,
                    "service_org_id",
                    "service_org_id: a service organisation registers enterprises it serves itself",
                ));
            }
            _ => {}
        }
        if !register::is_service_org(&state.db, org).await? {
            return Err(invalid("service_org_id", "service_org_id: no such service organisation"));
        }
        f.service_org_id = Some(org);
    }
    let vocab = &state.hazards.vocabulary;
    if let Some(t) = &d.process_conditions {
        f.process_conditions = Some(vocabulary("process_conditions", t, |t| vocab.has_condition(t))?);
    }
    if let Some(t) = &d.equipment {
        f.equipment = Some(vocabulary("equipment", t, |t| vocab.has_equipment(t))?);
    }
    Ok(f)
}

/// The enterprise as the audit trail records it before and after a change.
pub fn snapshot(e: &Enterprise) -> Value {
    json!({
        "credit_code": e.credit_code,
        "name": e.name,
        "industry_code": e.industry_code,
        "region_code": e.region_code,
        "address": e.address,
        "latitude": e.latitude,
        "longitude": e.longitude,
        "workforce": e.workforce,
        "insured_workers": e.insured_workers,
        "service_org_id": e.service_org_id,
        "process_conditions": e.process_conditions,
        "equipment": e.equipment,
        "active": e.active,
    })
}

fn entry(caller: &Caller, origin: &Origin, action: &str, before: Option<&Enterprise>, after: &Enterprise) -> Entry {
    audit_entry(Some((caller, origin)), action, before, after)
}

/// The audit record of a change to the register: by `by` (a caller and its request),
/// or by the operator's command line when `None`; the enterprise before and after.
pub fn audit_entry(
    by: Option<(&Caller, &Origin)>,
    action: &str,
    before: Option<&Enterprise>,
    after: &Enterprise,
) -> Entry {
    let detail = json!({ "before": before.map(snapshot), "after": snapshot(after) });
    let mut e = match by {
        Some((caller, origin)) => Entry::by(caller, origin, action, "enterprise"),
        None => Entry {
            actor_id: None,
            actor_role: "system".to_string(),
            organisation_id: None,
            action: action.to_string(),
            object_kind: "enterprise".to_string(),
            object_id: None,
            enterprise_id: None,
            region_code: None,
            outcome: audit::Outcome::Ok,
            request_id: None,
            ip: None,
            detail: None,
        },
    }
    .object(after.id)
    .enterprise(after.id)
    .detail(detail.to_string());
    e.region_code = after.region_code.clone().or(e.region_code);
    e
}

async fn changed(state: &AppState, e: &Enterprise) {
    let region = e.region_code.as_deref().and_then(EventRegion::parse);
    state.publish(Event::FiguresChanged { enterprise_id: e.id, region }).await;
}

/// A unique credit code: another enterprise holding it is a conflict.
async fn unique_code(state: &AppState, code: &str, except: Option<i64>) -> Result<(), ApiError> {
    let holders = register::by_credit_codes(&state.db, &[code.to_string()]).await?;
    if let Some(other) = holders.iter().find(|e| Some(e.id) != except) {
        return Err(ApiError::field(
            ErrorCode::Conflict,
            "credit_code",
            "credit_code: another enterprise is registered with this code",
        )
        .with_details(json!({ "field": "credit_code", "enterprise_id": other.id })));
    }
    Ok(())
}

/// Creates an enterprise; credit code, name, industry and region are required. The
/// service organisation's enterprises are its clients.
pub async fn create(state: &AppState, caller: &Caller, origin: &Origin, d: Draft) -> Result<Enterprise, ApiError> {
    for (field, given) in [
        ("credit_code", d.credit_code.is_some()),
        ("name", d.name.is_some()),
        ("industry_code", d.industry_code.is_some()),
        ("region_code", d.region_code.is_some()),
    ] {
        if !given {
            return Err(invalid(field, format!("{field} is required")));
        }
    }
    let mut f = checked(state, caller, &d).await?;
    if let Scope::ServiceOrg(org) = caller.scope {
        f.service_org_id = Some(org);
    }
    unique_code(state, f.credit_code.as_deref().unwrap_or_default(), None).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let e = register::insert(&txn, &f, "api", Utc::now().fixed_offset()).await?;
    audit::append(&txn, entry(caller, origin, "enterprise.create", None, &e)).await?;
    txn.commit().await?;
    changed(state, &e).await;
    state.publish(Event::UnitsAdded).await;
    Ok(e)
}

/// Sets the fields given on enterprise `id` in the caller's scope.
pub async fn edit(
    state: &AppState,
    caller: &Caller,
    origin: &Origin,
    id: i64,
    d: Draft,
) -> Result<Enterprise, ApiError> {
    let before = scope::enterprise(&state.db, caller, Some(id)).await?;
    let f = checked(state, caller, &d).await?;
    if let Some(code) = &f.credit_code {
        unique_code(state, code, Some(id)).await?;
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let after = register::update(&txn, before.clone(), &f, Utc::now().fixed_offset()).await?;
    audit::append(&txn, entry(caller, origin, "enterprise.update", Some(&before), &after)).await?;
    txn.commit().await?;
    changed(state, &after).await;
    Ok(after)
}

/// Deactivates (`active = false`) or reactivates enterprise `id` in the caller's scope.
/// A deactivated enterprise leaves the lists and the proposals; its records stay.
pub async fn set_active(
    state: &AppState,
    caller: &Caller,
    origin: &Origin,
    id: i64,
    active: bool,
) -> Result<Enterprise, ApiError> {
    let before = scope::enterprise(&state.db, caller, Some(id)).await?;
    if before.active == active {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            if active { "the enterprise is already active" } else { "the enterprise is already deactivated" },
        )
        .with_details(json!({ "state": if active { "active" } else { "deactivated" } })));
    }
    let action = if active { "enterprise.reactivate" } else { "enterprise.deactivate" };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let after = register::set_active(&txn, before.clone(), active, Utc::now().fixed_offset()).await?;
    audit::append(&txn, entry(caller, origin, action, Some(&before), &after)).await?;
    txn.commit().await?;
    changed(state, &after).await;
    Ok(after)
}
