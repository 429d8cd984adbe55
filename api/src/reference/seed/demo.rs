//! Loads the demo city (`seeds/demo/`) in one transaction: regions, bureaus and the
//! service organisation, 30 key enterprises, the expert pool, users for every role,
//! and three years of accident history through the generic importer.

use std::collections::HashMap;
use std::path::Path;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use zhicha_engine::Catalog;

use super::demo_files::{self, DemoFiles};
use crate::config::AuthSettings;
use crate::entities::{enterprises, expert_competences, experts, organisations, users};
use crate::identity::{Role, password, totp};
use crate::platform::pii::Vault;
use crate::reference::import::{self, Profile, Progress};

/// The WeChat demo code of an enterprise's safety officer / responsible persons.
pub fn officer_code(enterprise_key: &str) -> String {
    format!("demo-officer-{enterprise_key}")
}

pub fn responsible_code(enterprise_key: &str, n: u8) -> String {
    format!("demo-rp-{enterprise_key}-{n}")
}

/// The password of every demo account that signs in with a username.
pub const DEMO_PASSWORD: &str = "zhicha-demo";

pub async fn load(
    db: &DatabaseConnection,
    catalog: &Catalog,
    dir: &Path,
    auth: &AuthSettings,
    vault: &Vault,
) -> anyhow::Result<String> {
    let DemoFiles { city, enterprises: demo_enterprises } = demo_files::read(dir, catalog)?;
    let txn = crate::platform::db::begin_write(db).await?;

    let mut orgs = HashMap::new();
    for o in &city.organisations {
        let m = organisations::ActiveModel {
            kind: Set(o.kind.clone()),
            name: Set(o.name.clone()),
            region_code: Set(Some(o.region.clone())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        orgs.insert(o.key.clone(), m.id);
    }
    let service_org = orgs.get("service").copied();

    let mut enterprise_ids = Vec::new();
    for e in &demo_enterprises {
        let m = enterprises::ActiveModel {
            credit_code: Set(Some(e.credit_code.clone())),
            name: Set(e.name.clone()),
            industry_code: Set(Some(e.industry_code.clone())),
            industry_division: Set(Some(e.division().to_string())),
            region_code: Set(Some(e.region_code.clone())),
            address: Set(Some(e.address.clone())),
            latitude: Set(Some(e.latitude)),
            longitude: Set(Some(e.longitude)),
            workforce: Set(Some(e.workforce)),
            insured_workers: Set(Some(e.insured_workers)),
            risk_class: Set(Some(e.risk_class)),
            standardisation_grade: Set(Some(e.standardisation_grade.clone()).filter(|g| !g.is_empty())),
            is_key: Set(true),
            service_org_id: Set(service_org),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        enterprise_ids.push((e.key.clone(), e.name.clone(), m.id));
    }

    for (n, x) in city.experts.iter().enumerate() {
        let m = experts::ActiveModel {
            name: Set(x.name.clone()),
            organisation_id: Set(service_org),
            region_code: Set(Some(x.region.clone())),
            latitude: Set(Some(x.lat)),
            longitude: Set(Some(x.lon)),
            title: Set(Some(x.title.clone())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let competences = x
            .industries
            .iter()
            .map(|c| ("industry", "gb4754-2017", c))
            .chain(x.accident_types.iter().map(|c| ("accident_type", "gb6441-86", c)))
            .map(|(kind, system, code)| expert_competences::ActiveModel {
                expert_id: Set(m.id),
                kind: Set(kind.to_string()),
                code_system: Set(system.to_string()),
                code: Set(code.clone()),
                ..Default::default()
            });
        expert_competences::Entity::insert_many(competences).exec_without_returning(&txn).await?;
        users::ActiveModel {
            display_name: Set(x.name.clone()),
            role: Set("expert".to_string()),
            expert_id: Set(Some(m.id)),
            organisation_id: Set(service_org),
            wx_openid: Set(Some(format!("demo-openid-demo-expert-{:02}", n + 1))),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }

    let mut people = Vec::new();
    for u in &city.users {
        people.push(users::ActiveModel {
            display_name: Set(u.name.clone()),
            role: Set(u.role.clone()),
            organisation_id: Set(u.organisation.as_ref().and_then(|k| orgs.get(k).copied())),
            region_code: Set(u.region.clone()),
            username: Set(Some(u.username.clone())),
            password_hash: Set(Some(password::hash(auth, DEMO_PASSWORD)?)),
            totp_secret: Set(match Role::parse(&u.role) {
                Some(r) if totp::required_for(r) => Some(totp::enrol(vault)?.1),
                _ => None,
            }),
            ..Default::default()
        });
    }
    // Fictitious mobile numbers, sealed like real ones: 139 5200 EENN.
    let phone = |e: usize, n: usize| -> anyhow::Result<(Option<String>, Option<String>, Option<String>)> {
        let p = format!("1395200{e:02}{n:02}");
        let (sealed, key) = vault.seal(&p)?;
        Ok((Some(sealed), Some(key), Some(vault.lookup_hash(&p))))
    };
    for (i, (key, name, id)) in enterprise_ids.iter().enumerate() {
        let (cipher, key_id, hash) = phone(i + 1, 0)?;
        people.push(users::ActiveModel {
            phone_cipher: Set(cipher),
            phone_key_id: Set(key_id),
            phone_hash: Set(hash),
            display_name: Set(format!("{name} 安全员")),
            role: Set("enterprise_officer".to_string()),
            enterprise_id: Set(Some(*id)),
            wx_openid: Set(Some(format!("demo-openid-{}", officer_code(key)))),
            ..Default::default()
        });
        for n in 1..=2 {
            let (cipher, key_id, hash) = phone(i + 1, usize::from(n))?;
            people.push(users::ActiveModel {
                phone_cipher: Set(cipher),
                phone_key_id: Set(key_id),
                phone_hash: Set(hash),
                display_name: Set(format!("{name} 整改责任人{n}")),
                role: Set("responsible_person".to_string()),
                enterprise_id: Set(Some(*id)),
                wx_openid: Set(Some(format!("demo-openid-{}", responsible_code(key, n)))),
                ..Default::default()
            });
        }
    }
    let n_users = people.len();
    users::Entity::insert_many(people).exec_without_returning(&txn).await?;

    let history = import::run(
        &txn,
        catalog,
        Profile::Generic,
        Some(&dir.join("accidents.mapping.toml")),
        &dir.join("accidents.csv"),
        Progress::Hidden,
    )
    .await?;
    if !history.skipped.is_empty() {
        anyhow::bail!("demo accident history has bad rows:\n{history}");
    }
    txn.commit().await?;
    Ok(format!(
        "demo city {} loaded: {} organisations, {} key enterprises, {} experts, {} users, {} accidents",
        city.city,
        city.organisations.len(),
        enterprise_ids.len(),
        city.experts.len(),
        n_users + city.experts.len(),
        history.imported
    ))
}

/// How to act as each demo role, for the `serve` banner; None without demo data.
pub async fn sign_in_help(db: &DatabaseConnection, vault: &Vault, addr: &str) -> anyhow::Result<Option<String>> {
    let staff = users::Entity::find()
        .filter(users::Column::Username.is_not_null())
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?;
    if staff.is_empty() {
        return Ok(None);
    }
    let officers = users::Entity::find()
        .filter(users::Column::Role.eq("enterprise_officer"))
        .filter(users::Column::WxOpenid.starts_with("demo-openid-"))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?;
    let mut s = format!(
        "  demo accounts; username accounts sign in with password {DEMO_PASSWORD:?}, bureau accounts also with a TOTP code:\n    curl -s -XPOST {addr}/auth/login -H 'content-type: application/json' -d '{{\"username\":\"service\",\"password\":\"{DEMO_PASSWORD}\"}}'\n"
    );
    for u in &staff {
        s.push_str(&format!(
            "    {:<20} username {:<20} {}\n",
            u.role,
            u.username.as_deref().unwrap_or(""),
            u.display_name
        ));
        // Demo only: the TOTP secret, for an authenticator app or `oathtool --totp -b SECRET`.
        if let Some(secret) = u.totp_secret.as_deref().and_then(|t| totp::unseal(vault, t).ok()) {
            s.push_str(&format!("{:<46}TOTP secret {secret}\n", ""));
        }
    }
    // The WeChat stand-in answers these codes (README: identity and access).
    s.push_str(&format!(
        "  mini-program (WeChat stand-in): curl -s -XPOST {addr}/mp/auth/login -H 'content-type: application/json' -d '{{\"code\":\"demo-officer-e01\"}}'\n"
    ));
    for u in officers.iter().take(3) {
        let code = u.wx_openid.as_deref().unwrap_or("").trim_start_matches("demo-openid-");
        s.push_str(&format!("    {:<20} wx code  {:<20} {}\n", u.role, code, u.display_name));
    }
    if officers.len() > 3 {
        s.push_str(&format!(
            "    … {} more officers (demo-officer-e01 … e{:02}), two responsible persons each (demo-rp-eNN-1, -2); any other demo-<name> is a new unbound user\n",
            officers.len() - 3,
            officers.len()
        ));
    }
    Ok(Some(s.trim_end().to_string()))
}
