//! Loads the demo city (`seeds/demo/`) in one transaction: regions, bureaus and the
//! service organisation, the key enterprises of `enterprises.csv`, the expert pool, users
//! for every role, and three years of accident history through the generic importer.

use std::collections::HashMap;
use std::path::Path;

use sea_orm::DatabaseConnection;
use zhicha_engine::Catalog;

use super::demo_files::{self, DemoFiles};
use crate::config::AuthSettings;
use crate::identity::{Role, password, totp};
use crate::platform::pii::Vault;
use crate::reference::import::{self, Profile, Progress};
use crate::store::enterprises::{self, NewEnterprise};
use crate::store::experts::{self, NewCompetence, NewExpert};
use crate::store::organisations;
use crate::store::users::{self, NewUser};

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
        let m = organisations::insert(&txn, &o.kind, &o.name, Some(&o.region)).await?;
        orgs.insert(o.key.clone(), m.id);
    }
    let service_org = orgs.get("service").copied();

    let mut enterprise_ids = Vec::new();
    for e in &demo_enterprises {
        let m = enterprises::insert(
            &txn,
            NewEnterprise {
                credit_code: Some(e.credit_code.clone()),
                name: e.name.clone(),
                industry_code: Some(e.industry_code.clone()),
                industry_division: Some(e.division().to_string()),
                region_code: Some(e.region_code.clone()),
                address: Some(e.address.clone()),
                latitude: Some(e.latitude),
                longitude: Some(e.longitude),
                workforce: Some(e.workforce),
                insured_workers: Some(e.insured_workers),
                risk_class: Some(e.risk_class),
                standardisation_grade: Some(e.standardisation_grade.clone()).filter(|g| !g.is_empty()),
                is_key: true,
                service_org_id: service_org,
                ..NewEnterprise::default()
            },
        )
        .await?;
        enterprise_ids.push((e.key.clone(), e.name.clone(), m.id));
    }

    for (n, x) in city.experts.iter().enumerate() {
        let m = experts::insert(
            &txn,
            NewExpert {
                name: x.name.clone(),
                organisation_id: service_org,
                region_code: Some(x.region.clone()),
                latitude: Some(x.lat),
                longitude: Some(x.lon),
                title: Some(x.title.clone()),
            },
        )
        .await?;
        let competences = x
            .industries
            .iter()
            .map(|c| ("industry", "gb4754-2017", c))
            .chain(x.accident_types.iter().map(|c| ("accident_type", "gb6441-86", c)))
            .map(|(kind, system, code)| NewCompetence {
                kind: kind.to_string(),
                code_system: system.to_string(),
                code: code.clone(),
            })
            .collect();
        experts::insert_competences(&txn, m.id, competences).await?;
        users::insert(
            &txn,
            NewUser {
                display_name: x.name.clone(),
                role: "expert".to_string(),
                expert_id: Some(m.id),
                organisation_id: service_org,
                wx_openid: Some(format!("demo-openid-demo-expert-{:02}", n + 1)),
                ..NewUser::default()
            },
        )
        .await?;
    }

    let mut people = Vec::new();
    for u in &city.users {
        people.push(NewUser {
            display_name: u.name.clone(),
            role: u.role.clone(),
            organisation_id: u.organisation.as_ref().and_then(|k| orgs.get(k).copied()),
            region_code: u.region.clone(),
            username: Some(u.username.clone()),
            password_hash: Some(password::hash(auth, DEMO_PASSWORD)?),
            totp_secret: match Role::parse(&u.role) {
                Some(r) if totp::required_for(r) => Some(totp::enrol(vault)?.1),
                _ => None,
            },
            ..NewUser::default()
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
        people.push(NewUser {
            phone_cipher: cipher,
            phone_key_id: key_id,
            phone_hash: hash,
            display_name: format!("{name} 安全员"),
            role: "enterprise_officer".to_string(),
            enterprise_id: Some(*id),
            wx_openid: Some(format!("demo-openid-{}", officer_code(key))),
            ..NewUser::default()
        });
        for n in 1..=2 {
            let (cipher, key_id, hash) = phone(i + 1, usize::from(n))?;
            people.push(NewUser {
                phone_cipher: cipher,
                phone_key_id: key_id,
                phone_hash: hash,
                display_name: format!("{name} 整改责任人{n}"),
                role: "responsible_person".to_string(),
                enterprise_id: Some(*id),
                wx_openid: Some(format!("demo-openid-{}", responsible_code(key, n))),
                ..NewUser::default()
            });
        }
    }
    let n_users = people.len();
    users::insert_many(&txn, people).await?;

    // From `demo.dir`, or built in when it is empty (the default).
    let (mapping_path, mapping_text) = demo_files::file(dir, "accidents.mapping.toml")?;
    let mapping = import::generic::Mapping::parse(&mapping_path, &mapping_text)?;
    let (csv_path, csv) = demo_files::file(dir, "accidents.csv")?;
    let history = import::run_bytes(
        &*txn,
        catalog,
        Profile::Generic,
        Some(&mapping),
        &csv_path.display().to_string(),
        csv.as_bytes(),
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

/// Whether the banner shows the demo's TOTP secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// The demo city was just loaded into a new embedded database: nobody else has used
    /// these accounts, and without the secrets no bureau account can sign in.
    Show,
    /// Any other start: the accounts may be in use, and standard output ends up in logs.
    Withhold,
}

/// How to act as each demo role, for the `serve` banner; None without the demo's
/// accounts (a database that was not seeded with the demo city shows nothing).
pub async fn sign_in_help(
    db: &DatabaseConnection,
    vault: &Vault,
    addr: &str,
    secrets: Secrets,
) -> anyhow::Result<Option<String>> {
    let officers = users::with_openid_prefix(db, "enterprise_officer", "demo-openid-").await?;
    let staff = users::with_username(db).await?;
    if officers.is_empty() || staff.is_empty() {
        return Ok(None);
    }
    let mut s = format!(
        "  demo accounts; username accounts sign in with password {DEMO_PASSWORD:?}, bureau and administrator accounts also with a TOTP code:\n    curl -s -XPOST {addr}/auth/login -H 'content-type: application/json' -d '{{\"username\":\"service\",\"password\":\"{DEMO_PASSWORD}\"}}'\n"
    );
    if secrets == Secrets::Withhold {
        s.push_str(
            "    (TOTP secrets are printed only when the demo city is loaded into a new embedded database;\n     to see them again, stop the server, delete its database file and start it again)\n",
        );
    }
    for u in &staff {
        s.push_str(&format!(
            "    {:<20} username {:<20} {}\n",
            u.role,
            u.username.as_deref().unwrap_or(""),
            u.display_name
        ));
        // Demo only: the TOTP secret, for an authenticator app or `oathtool --totp -b SECRET`.
        if secrets == Secrets::Show
            && let Some(secret) = u.totp_secret.as_deref().and_then(|t| totp::unseal(vault, t).ok())
        {
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
