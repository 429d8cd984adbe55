//! The demo city: loaded at start-up into an empty embedded (SQLite) database only;
//! `zhicha seed demo` (the same loader) on any database.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use zhicha_api::entities::{accidents, enterprises, experts, organisations, users};
use zhicha_api::reference::seed;
use zhicha_tests::{Backend, Opts, TestApp, both, demo_enterprise_keys, workspace_dir};

/// Data rows of the committed accident history.
fn history_rows() -> u64 {
    let text = std::fs::read_to_string(workspace_dir().join("seeds/demo/accidents.csv")).unwrap();
    text.lines().count() as u64 - 1
}

async fn assert_loaded(app: &TestApp) {
    let db = &app.db;
    let key = enterprises::Entity::find().filter(enterprises::Column::IsKey.eq(true)).all(db).await.unwrap();
    let enterprises = demo_enterprise_keys().len();
    assert_eq!(key.len(), enterprises);
    assert!(key.iter().all(|e| e.region_code.as_deref().is_some_and(|r| r.starts_with("6402"))));
    assert!(key.iter().all(|e| zhicha_engine::CreditCode::parse(e.credit_code.as_deref().unwrap_or("")).is_ok()));
    let divisions: std::collections::BTreeSet<_> = key.iter().filter_map(|e| e.industry_division.clone()).collect();
    // The programme's key industries (rules/analysis/key_industries.toml) and the others
    // the demo shows: dangerous goods stored and carried, gas supply, food, wood,
    // furniture, paper and printing.
    for d in ["06", "26", "31", "30", "47", "54", "27", "59", "45", "13", "14", "20", "21", "22", "23"] {
        assert!(divisions.contains(d), "no enterprise of division {d}");
    }
    // Every key industry of the programme has at least one.
    let analysis = &app.state.analysis;
    for k in &analysis.key_industries {
        let in_it = |e: &&enterprises::Model| {
            analysis.industries_of(e.industry_code.as_deref().unwrap_or("")).iter().any(|x| x.id == k.id)
        };
        assert!(key.iter().any(|e| in_it(&e)), "no demo enterprise in the key industry {} ({})", k.id, k.name);
    }
    assert_eq!(accidents::Entity::find().count(db).await.unwrap(), history_rows());
    // Every enterprise has a history; every accident is mapped and carries a job.
    for e in &key {
        let n = accidents::Entity::find().filter(accidents::Column::EnterpriseId.eq(e.id)).count(db).await.unwrap();
        assert!(n > 0, "{} has no accidents", e.name);
    }
    let unmapped =
        accidents::Entity::find().filter(accidents::Column::AccidentTypeGb86.is_null()).count(db).await.unwrap();
    assert_eq!(unmapped, 0);
    // GB 6441-86 codes get their 2025 category where the editions correspond.
    let caught = accidents::Entity::find().filter(accidents::Column::AccidentTypeGb86.eq("03")).one(db).await.unwrap();
    assert_eq!(caught.and_then(|a| a.accident_type_gb2025).as_deref(), Some("机械致害"));
    let officers = users::Entity::find().filter(users::Column::Role.eq("enterprise_officer")).count(db).await.unwrap();
    assert_eq!(officers as usize, enterprises);
    assert!(experts::Entity::find().count(db).await.unwrap() >= 8);
    let bureaus =
        organisations::Entity::find().filter(organisations::Column::Kind.ne("service_org")).count(db).await.unwrap();
    assert_eq!(bureaus, 4);
    let shown = seed::demo::sign_in_help(db, &app.state.vault, "127.0.0.1:8080", seed::demo::Secrets::Show)
        .await
        .unwrap()
        .unwrap();
    assert!(shown.contains("demo-officer-e01") && shown.contains("127.0.0.1:8080/auth/login"));
    assert!(shown.contains("TOTP secret "));
    // Any other start lists the accounts but never a secret.
    let withheld = seed::demo::sign_in_help(db, &app.state.vault, "127.0.0.1:8080", seed::demo::Secrets::Withhold)
        .await
        .unwrap()
        .unwrap();
    assert!(withheld.contains("demo-officer-e01") && !withheld.contains("TOTP secret "));
    for user in users::Entity::find().filter(users::Column::TotpSecret.is_not_null()).all(db).await.unwrap() {
        let secret =
            zhicha_api::identity::totp::unseal(&app.state.vault, user.totp_secret.as_deref().unwrap()).unwrap();
        assert!(shown.contains(&secret) && !withheld.contains(&secret));
    }
}

both!(autoload, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    match app.backend {
        Backend::Sqlite => assert_loaded(app).await,
        // Never implicitly on a production database.
        Backend::Postgres => {
            assert_eq!(enterprises::Entity::find().count(&app.db).await.unwrap(), 0);
            let summary = seed::demo::load(
                &app.db,
                &app.state.catalog,
                &workspace_dir().join("seeds/demo"),
                &app.state.settings.auth,
                &app.state.vault,
            )
            .await
            .unwrap();
            let loaded = format!("{} key enterprises", demo_enterprise_keys().len());
            assert!(summary.contains(&loaded), "{summary}");
            assert_loaded(app).await;
        }
    }
    // Loading twice would duplicate the city: the loader refuses a non-empty database
    // through `zhicha seed demo`, and start-up only loads into an empty one.
    assert!(!seed::is_empty(&app.db).await.unwrap());
});
