//! Placeholder replaced below.
use std::path::Path;
use sea_orm::DatabaseConnection;
use zhicha_engine::Catalog;

pub async fn load(_db: &DatabaseConnection, _catalog: &Catalog, _dir: &Path) -> anyhow::Result<String> {
    anyhow::bail!("demo seed not written yet")
}

pub async fn sign_in_help(_db: &DatabaseConnection) -> anyhow::Result<Option<String>> {
    Ok(None)
}
