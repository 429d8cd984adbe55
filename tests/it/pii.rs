//! Phone numbers at rest: sealed, found by keyed hash, never in clear in a dump.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use zhicha_api::entities::users;
use zhicha_tests::{Backend, Opts, TestApp, both};

/// Every byte the database holds, as a dump would show it.
fn dump(app: &TestApp) -> Vec<u8> {
    let url = app.state.settings.database_url();
    match app.backend {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_string();
            let mut bytes = std::fs::read(&path).unwrap();
            for suffix in ["-wal", "-shm"] {
                if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        Backend::Postgres => {
            let out = std::process::Command::new("pg_dump").arg("--data-only").arg(&url).output().unwrap();
            assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        }
    }
}

both!(phones_are_sealed, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let officer =
        users::Entity::find().filter(users::Column::Role.eq("enterprise_officer")).one(&app.db).await.unwrap().unwrap();
    let phone = app
        .state
        .vault
        .open_sealed(officer.phone_cipher.as_deref().unwrap(), officer.phone_key_id.as_deref().unwrap())
        .unwrap();
    assert!(phone.starts_with("1395200") && phone.len() == 11, "{phone}");
    // Found by its keyed hash.
    let found = users::Entity::find()
        .filter(users::Column::PhoneHash.eq(app.state.vault.lookup_hash(&phone)))
        .one(&app.db)
        .await
        .unwrap()
        .map(|u| u.id);
    assert_eq!(found, Some(officer.id));
    assert_eq!(zhicha_api::platform::pii::mask_phone(&phone), format!("139****{}", &phone[7..]));
    // No demo number appears anywhere in the stored bytes.
    let bytes = dump(app);
    assert!(bytes.len() > 10_000, "the dump holds the demo city");
    let needle = b"1395200";
    assert!(!bytes.windows(needle.len()).any(|w| w == needle), "a phone number is stored in clear");
});
