//! Who acts in the demo's activity: the demo city's own accounts, as the callers the
//! use cases take (what a signed-in request of theirs would resolve to).

use std::collections::BTreeMap;

use crate::identity::caller::scope_of;
use crate::identity::{Caller, Role};
use crate::store::enterprises::{self, Enterprise};
use crate::store::users::{self, User};

/// One enterprise and its people.
pub struct Firm {
    pub enterprise: Enterprise,
    pub officer: Caller,
    /// The two responsible persons (整改责任人) findings are assigned to.
    pub responsible: Vec<Caller>,
}

pub struct Cast {
    /// The demo's enterprises in id order.
    pub firms: Vec<Firm>,
    /// Experts of the pool, by expert id.
    pub experts: BTreeMap<i64, Caller>,
    /// The city's HRSS and emergency bureau accounts.
    pub hrss: Caller,
    pub emergency: Caller,
}

/// A caller as a signed-in request of `u` would be.
pub fn caller_of(u: &User) -> anyhow::Result<Caller> {
    let role = Role::parse(&u.role).ok_or_else(|| anyhow::anyhow!("user {} has unknown role {}", u.id, u.role))?;
    Ok(Caller {
        user_id: u.id,
        display_name: u.display_name.clone(),
        role,
        scope: scope_of(role, u),
        organisation_id: u.organisation_id,
        // No session: the activity acts without signing in; nothing it calls reads one.
        session_id: 0,
        family_id: "demo-activity".to_string(),
    })
}

/// The demo city's accounts, as `seed::demo::load` made them.
pub async fn read(db: &sea_orm::DatabaseConnection) -> anyhow::Result<Cast> {
    let officers = users::with_openid_prefix(db, "enterprise_officer", "demo-openid-demo-officer-").await?;
    let rps = users::with_openid_prefix(db, "responsible_person", "demo-openid-demo-rp-").await?;
    let mut firms = Vec::new();
    for o in &officers {
        let Some(eid) = o.enterprise_id else { continue };
        let Some(enterprise) = enterprises::by_id(db, eid).await? else { continue };
        let responsible =
            rps.iter().filter(|r| r.enterprise_id == Some(eid)).map(caller_of).collect::<anyhow::Result<Vec<_>>>()?;
        if responsible.is_empty() {
            continue;
        }
        firms.push(Firm { enterprise, officer: caller_of(o)?, responsible });
    }
    firms.sort_by_key(|f| f.enterprise.id);
    let mut experts = BTreeMap::new();
    for u in users::with_openid_prefix(db, "expert", "demo-openid-demo-expert-").await? {
        if let Some(x) = u.expert_id {
            experts.insert(x, caller_of(&u)?);
        }
    }
    let staff = users::with_username(db).await?;
    let city_bureau = |role: &str| {
        staff
            .iter()
            .find(|u| u.role == role && u.region_code.as_deref() == Some("640200") && u.organisation_id.is_some())
            .map(caller_of)
            .ok_or_else(|| anyhow::anyhow!("the demo city has no {role} account of 640200"))
    };
    let (hrss, emergency) = (city_bureau("hrss_bureau")??, city_bureau("emergency_bureau")??);
    if firms.is_empty() {
        anyhow::bail!("the demo city's enterprises and officers are not in the database");
    }
    Ok(Cast { firms, experts, hrss, emergency })
}
