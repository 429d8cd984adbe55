//! Risk refits stored whole and made current at once, one at a time across
//! instances, and read through the API within the caller's scope.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement, TransactionTrait,
};
use zhicha_api::entities::{enterprises, risk_fits, risk_scores};
use zhicha_api::reference::scoring::{self, Refit, Trigger};
use zhicha_engine::risk::RiskConfig;
use zhicha_tests::{Backend, Opts, TestApp, both};

use crate::support;

async fn fit(app: &TestApp) -> Refit {
    scoring::refit(&app.db, Trigger::Manual, Utc::now().date_naive(), &RiskConfig::default(), None).await.unwrap()
}

both!(refit_and_read, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let firms = enterprises::Entity::find().count(&app.db).await.unwrap() as usize;
    let Refit::Fitted { fit_id, enterprises, accidents, .. } = fit(app).await else { panic!("no fit") };
    assert_eq!(enterprises, firms, "every enterprise gets a score, those without accidents their industry's");
    assert!(accidents > 200, "{accidents}");
    let scores = risk_scores::Entity::find().filter(risk_scores::Column::FitId.eq(fit_id)).all(&app.db).await.unwrap();
    assert_eq!(scores.len(), firms);
    assert!(
        scores.iter().all(|s| s.expected_accidents > 0.0 && (0.0..1.0).contains(&s.p_any) && s.p_serious <= s.p_any)
    );

    // Two triggers at once: one stands aside while the other runs, or, if the first
    // finished before the second began, both fit in turn; never two current fits.
    let (a, b) = tokio::join!(fit(app), fit(app));
    assert!(
        matches!(
            (&a, &b),
            (Refit::Fitted { .. }, Refit::Busy | Refit::Fitted { .. }) | (Refit::Busy, Refit::Fitted { .. })
        ),
        "{a:?} {b:?}"
    );
    let current = risk_fits::Entity::find().filter(risk_fits::Column::State.eq("current")).all(&app.db).await.unwrap();
    assert_eq!(current.len(), 1, "exactly one current fit");
    assert_ne!(current[0].id, fit_id, "the newer fit replaced the first");

    // On PostgreSQL another instance holding the lock makes this one skip.
    if app.backend == Backend::Postgres {
        let other = app.test_db_connect().await;
        let txn = other.begin().await.unwrap();
        let sql = format!("SELECT pg_advisory_xact_lock({})", scoring::LOCK_KEY);
        txn.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap();
        assert_eq!(fit(app).await, Refit::Busy);
        txn.rollback().await.unwrap();
        assert!(matches!(fit(app).await, Refit::Fitted { .. }));
    }

    // A scheduled or start-up refit judges freshness once it holds the lock: a fit
    // another instance just made counts, so instances started together refit once.
    let fresh = Some(chrono::Duration::hours(1));
    let when = Utc::now().date_naive();
    let again = scoring::refit(&app.db, Trigger::Startup, when, &RiskConfig::default(), fresh).await.unwrap();
    assert_eq!(again, Refit::Fresh);
    let stale = Some(chrono::Duration::zero());
    let forced = scoring::refit(&app.db, Trigger::Schedule, when, &RiskConfig::default(), stale).await.unwrap();
    assert!(matches!(forced, Refit::Fitted { .. }), "{forced:?}");

    // Read through the API: a bureau in its city, an officer its own enterprise.
    let token = crate::wechat::staff_token(app, "hrss.city").await;
    let e =
        enterprises::Entity::find().filter(enterprises::Column::IsKey.eq(true)).one(&app.db).await.unwrap().unwrap();
    let res = app.client.get(app.url(&format!("/gov/enterprises/{}/risk", e.id))).bearer_auth(&token).send().await;
    let (status, _, risk) = support::json(res.unwrap()).await;
    assert_eq!(status, 200, "{risk}");
    assert!(risk["p_any"].as_f64().is_some_and(|p| p > 0.0 && p < 1.0), "{risk}");
    assert!(risk["mix"]["accident_types"].as_array().is_some_and(|a| !a.is_empty()), "{risk}");
    assert!(risk["factors"].as_array().is_some_and(|f| f.iter().all(|x| x["text"].is_string())), "{risk}");
    // Outside the city: not found.
    let elsewhere = zhicha_api::entities::enterprises::ActiveModel {
        name: sea_orm::ActiveValue::Set("外市企业".into()),
        region_code: sea_orm::ActiveValue::Set(Some("640100".into())),
        ..Default::default()
    };
    let elsewhere = sea_orm::ActiveModelTrait::insert(elsewhere, &app.db).await.unwrap();
    let res = app.client.get(app.url(&format!("/gov/enterprises/{}/risk", elsewhere.id))).bearer_auth(&token).send();
    support::error(res.await.unwrap(), 404, "not_found").await;
});
